/**
 * The sweeper: a scheduled Lambda handler that deletes job queues a launcher left behind.
 *
 * The launcher deletes a job's queues when the job ends, whatever happened; this catches the
 * cases where it could not (the laptop slept, the process was killed). A queue named
 * `<TSMPI_QUEUE_PREFIX>-…` that is older than `TSMPI_MAX_JOB_AGE_SECONDS` belongs to a job
 * that cannot still be running (the stack rejects a maximum job age shorter than the rank
 * function's timeout), so deleting it is safe.
 */

import {
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  paginateListQueues,
  QueueDoesNotExist,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { TsmpiError } from '../sdk/base/errors.js';
import { forEachLimit } from '../sdk/base/map-limit.js';
import { ENV, EnvReader } from '../sdk/base/stack-contract.js';

/** What the sweeper needs from its environment. */
export interface SweeperConfig {
  /** Only queues whose name starts with `<queuePrefix>-` are considered. */
  readonly queuePrefix: string;
  /** Queues created more than this many seconds ago are deleted. */
  readonly maxJobAgeSeconds: number;
}

/** One sweep: what was looked at, what was deleted, what could not be. */
export interface SweepReport {
  readonly scanned: number;
  readonly deleted: readonly { readonly queue: string; readonly ageSeconds: number }[];
  readonly failed: readonly { readonly queue: string; readonly error: string }[];
}

/** The environment is missing or malformed: the function was not deployed by the stack. */
export class SweeperConfigError extends TsmpiError {
  constructor(message: string) {
    super('SWEEPER_CONFIG', message);
    this.name = 'SweeperConfigError';
  }
}

/** Some stale queues could not be deleted; the next scheduled run tries again. */
export class SweepError extends TsmpiError {
  readonly report: SweepReport;
  constructor(report: SweepReport) {
    const first = report.failed[0];
    super(
      'SWEEP_FAILED',
      `Could not delete ${report.failed.length} of ${report.failed.length + report.deleted.length} stale ` +
        `queue(s); first: ${first?.queue} (${first?.error}). The next scheduled sweep retries them; ` +
        "if it keeps failing, check the sweeper role's sqs:DeleteQueue permission.",
    );
    this.name = 'SweepError';
    this.report = report;
  }
}

const DEPLOY_HINT = 'deploy the stack with `cdk deploy`, which sets it on the sweeper function';

/** Reads and checks the sweeper's environment; the only place this file touches `process.env`. */
export function readSweeperConfig(env: NodeJS.ProcessEnv = process.env): SweeperConfig {
  const read = new EnvReader(env, (message) => new SweeperConfigError(message), DEPLOY_HINT);
  return { queuePrefix: read.queuePrefix(), maxJobAgeSeconds: read.positiveInteger(ENV.maxJobAgeSeconds) };
}

/** How many queues are inspected and deleted at once: a job can leave a thousand queues. */
const CONCURRENCY = 16;

/**
 * Deletes every queue named `<queuePrefix>-…` created more than `maxJobAgeSeconds` before `now`.
 * Queues that vanish meanwhile (the launcher cleaned up) are not failures.
 *
 * @example
 * const report = await sweep(new SQSClient({}), { queuePrefix: 'tsmpi-1a2b3c4d', maxJobAgeSeconds: 7200 });
 */
export async function sweep(
  client: SQSClient,
  config: SweeperConfig,
  now: number = Date.now(),
  log: (line: string) => void = console.log,
): Promise<SweepReport> {
  const namePrefix = `${config.queuePrefix}-`;
  const urls: string[] = [];
  // pageSize becomes MaxResults, without which ListQueues returns at most 1000 and no NextToken.
  for await (const page of paginateListQueues({ client, pageSize: 1000 }, { QueueNamePrefix: namePrefix })) {
    urls.push(...(page.QueueUrls ?? []));
  }

  const deleted: { queue: string; ageSeconds: number }[] = [];
  const failed: { queue: string; error: string }[] = [];
  await forEachLimit(urls, CONCURRENCY, async (url) => {
    const queue = queueName(url);
    // ListQueues matches the prefix already; re-checking keeps a misbehaving endpoint from
    // making the sweeper delete another stack's queues.
    if (!queue.startsWith(namePrefix)) return;
    try {
      const attributes = await client.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['CreatedTimestamp'] }),
      );
      const created = Number(attributes.Attributes?.CreatedTimestamp);
      if (!Number.isFinite(created)) {
        throw new Error(
          `CreatedTimestamp is missing or not a number: ${attributes.Attributes?.CreatedTimestamp}`,
        );
      }
      const ageSeconds = Math.floor(now / 1000 - created);
      if (ageSeconds <= config.maxJobAgeSeconds) return;
      await client.send(new DeleteQueueCommand({ QueueUrl: url }));
      deleted.push({ queue, ageSeconds });
      log(JSON.stringify({ event: 'queue-deleted', queue, ageSeconds }));
    } catch (error) {
      // Deleted meanwhile (by the launcher's own cleanup, or a previous sweep): nothing to do.
      if (error instanceof QueueDoesNotExist || (error as { name?: unknown }).name === 'QueueDoesNotExist')
        return;
      failed.push({ queue, error: error instanceof Error ? error.message : String(error) });
    }
  });

  const report: SweepReport = { scanned: urls.length, deleted, failed };
  log(
    JSON.stringify({
      event: 'sweep-done',
      queuePrefix: config.queuePrefix,
      maxJobAgeSeconds: config.maxJobAgeSeconds,
      scanned: report.scanned,
      deleted: deleted.length,
      failed,
    }),
  );
  if (failed.length > 0) throw new SweepError(report);
  return report;
}

// Created once per execution environment, so warm invocations reuse the connection.
const sqs = new SQSClient({});
let config: SweeperConfig | undefined;

/** The Lambda entry point, run by the EventBridge schedule. */
export async function handler(): Promise<SweepReport> {
  config ??= readSweeperConfig();
  return sweep(sqs, config);
}

function queueName(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}
