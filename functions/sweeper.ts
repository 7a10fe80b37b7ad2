/**
 * The sweeper: a Lambda handler that deletes job queues a launcher left behind.
 *
 * Run by a schedule, it deletes queues of jobs that cannot still be running. The launcher deletes
 * a job's queues when the job ends, whatever happened; this catches the cases where it could not
 * (the laptop slept, the process was killed). A queue named `<TSMPI_QUEUE_PREFIX>-…` that is
 * older than `TSMPI_MAX_JOB_AGE_SECONDS` belongs to a job that cannot still be running (the stack
 * rejects a maximum job age shorter than the rank function's timeout), so deleting it is safe.
 *
 * It also serves the stack's custom resource `Custom::TsmpiJobQueues`: when the stack (or the
 * construct) is deleted, CloudFormation asks it to delete every queue of the prefix, whatever its
 * age, since no job can run without the stack's functions. Queues are made at run time, so
 * CloudFormation does not know them and would otherwise leave them behind.
 */

import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GetQueueAttributesCommand,
  paginateListQueues,
  QueueDoesNotExist,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { TsmpiError } from '../sdk/base/errors.js';
import { forEachLimit } from '../sdk/base/map-limit.js';
import { ENV, EnvReader, isJobQueueOf, JOB_QUEUES_RESOURCE } from '../sdk/base/stack-contract.js';
import { deleteQueue } from '../sdk/transport/sqs/job-queues.js';
import {
  type CustomResourceEvent,
  type CustomResourceOutcome,
  isCustomResourceEvent,
  type RespondOptions,
  respond,
} from './custom-resource.js';

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
  /** Each deleted queue; `ageSeconds` where the sweep went by age (the scheduled one). */
  readonly deleted: readonly { readonly queue: string; readonly ageSeconds?: number }[];
  readonly failed: readonly { readonly queue: string; readonly error: string }[];
}

/** The environment is missing or malformed: the function was not deployed by the stack. */
export class SweeperConfigError extends TsmpiError {
  constructor(message: string) {
    super('SWEEPER_CONFIG', message);
    this.name = 'SweeperConfigError';
  }
}

/** Some queues could not be deleted. */
export class SweepError extends TsmpiError {
  readonly report: SweepReport;
  /**
   * `scheduled`: stale queues, retried by the next run; `all`: every queue of the prefix, when
   * the stack's resource is deleted (whoever catches it says what to do next).
   */
  constructor(report: SweepReport, kind: 'scheduled' | 'all' = 'scheduled') {
    const first = report.failed[0];
    const of = `${report.failed.length} of ${report.failed.length + report.deleted.length}`;
    super(
      'SWEEP_FAILED',
      kind === 'scheduled'
        ? `Could not delete ${of} stale queue(s); first: ${first?.queue} (${first?.error}). The next scheduled sweep retries them; ` +
            "if it keeps failing, check the sweeper role's sqs:DeleteQueue permission."
        : `Could not delete ${of} job queue(s) of the stack; first: ${first?.queue} (${first?.error}); ` +
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
 * Deletes every job queue of `queuePrefix` (`<queuePrefix>-<job>-<rank|ctl|c<rank>>`) created more
 * than `maxJobAgeSeconds` before `now`.
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
  const report = await deleteQueues(client, config.queuePrefix, log, async (url) => {
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
    return ageSeconds > config.maxJobAgeSeconds ? ageSeconds : false;
  });
  log(
    JSON.stringify({
      event: 'sweep-done',
      queuePrefix: config.queuePrefix,
      maxJobAgeSeconds: config.maxJobAgeSeconds,
      scanned: report.scanned,
      deleted: report.deleted.length,
      failed: report.failed,
    }),
  );
  if (report.failed.length > 0) throw new SweepError(report);
  return report;
}

/**
 * Deletes every job queue of `queuePrefix`, whatever its age: what the stack's deletion asks
 * for (a job still running then has lost its functions anyway). Queues that vanish meanwhile are
 * not failures. ListQueues is eventually consistent ("queue URLs ... might not be immediately
 * visible", SQS API reference), so a queue made in the last moments before the deletion may be
 * missed; the launcher deletes its own queues when its job ends.
 */
export async function sweepAll(
  client: SQSClient,
  queuePrefix: string,
  log: (line: string) => void = console.log,
): Promise<SweepReport> {
  const report = await deleteQueues(client, queuePrefix, log, () => Promise.resolve(undefined));
  log(
    JSON.stringify({
      event: 'sweep-all-done',
      queuePrefix,
      scanned: report.scanned,
      deleted: report.deleted.length,
      failed: report.failed,
    }),
  );
  if (report.failed.length > 0) throw new SweepError(report, 'all');
  return report;
}

/**
 * Lists the job queues of `queuePrefix` (`isJobQueueOf`) and deletes each that `judge` does not keep: `judge`
 * answers `false` to keep a queue, else its age in seconds (or undefined when age does not matter).
 */
async function deleteQueues(
  client: SQSClient,
  queuePrefix: string,
  log: (line: string) => void,
  judge: (url: string) => Promise<number | false | undefined>,
): Promise<SweepReport> {
  const namePrefix = `${queuePrefix}-`;
  const urls: string[] = [];
  // pageSize becomes MaxResults, without which ListQueues returns at most 1000 and no NextToken.
  for await (const page of paginateListQueues({ client, pageSize: 1000 }, { QueueNamePrefix: namePrefix })) {
    urls.push(...(page.QueueUrls ?? []));
  }

  const deleted: { queue: string; ageSeconds?: number }[] = [];
  const failed: { queue: string; error: string }[] = [];
  await forEachLimit(urls, CONCURRENCY, async (url) => {
    const queue = queueName(url);
    // ListQueues matches the prefix only: `hpc-` also lists the queues of a stack whose prefix
    // is `hpc-prod`. Only names of this prefix's jobs are touched (and a misbehaving endpoint
    // listing other queues cannot make the sweeper delete them).
    if (!isJobQueueOf(queuePrefix, queue)) return;
    try {
      const ageSeconds = await judge(url);
      if (ageSeconds === false) return;
      // QueueDoesNotExist is tried again for a second or two: a queue just made may not be known
      // yet to the SQS host that answers; after that it is gone (deleted meanwhile).
      if ((await deleteQueue(client, url)) === 'gone') return;
      const entry = ageSeconds === undefined ? { queue } : { queue, ageSeconds };
      deleted.push(entry);
      log(JSON.stringify({ event: 'queue-deleted', ...entry }));
    } catch (error) {
      // Deleted meanwhile (by the launcher's own cleanup, or a previous sweep) before its age was read.
      if (error instanceof QueueDoesNotExist || (error as { name?: unknown }).name === 'QueueDoesNotExist')
        return;
      failed.push({ queue, error: error instanceof Error ? error.message : String(error) });
    }
  });
  return { scanned: urls.length, deleted, failed };
}

/** What {@link answerStackEvent} needs besides the request. */
export interface StackEventDeps {
  readonly client: SQSClient;
  /** The function's configuration (read lazily, so a bad environment is an answer, not a crash). */
  readonly config: () => SweeperConfig;
  /** The status of the stack `stackId` (see {@link describeStackStatus}). */
  readonly stackStatus: (stackId: string) => Promise<string>;
  /** Milliseconds left before Lambda stops the function (`context.getRemainingTimeInMillis`). */
  readonly remainingMs?: () => number;
  readonly log?: (line: string) => void;
  readonly respond?: RespondOptions;
}

/**
 * How long before the function's own timeout a sweep that has not finished is given up and
 * answered FAILED: room for the answer's PUT, retries included (see `respond`).
 */
export const ANSWER_MARGIN_MS = 60_000;

/**
 * Stack statuses in which a Delete of the job-queues resource means the stack's jobs are over:
 * the stack is being deleted (or was: DescribeStacks by id also describes deleted stacks), the
 * resource was removed by an update (its cleanup phase), or the stack's creation is being rolled
 * back. In any other, notably `UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS` (an update that added
 * the resource failed, and the stack stays), the queues may belong to running jobs and are kept.
 */
export const SWEEP_ON_DELETE_STATUSES: ReadonlySet<string> = new Set([
  'DELETE_IN_PROGRESS',
  'DELETE_COMPLETE',
  'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'ROLLBACK_IN_PROGRESS',
]);

/** The `StackStatus` of the stack `stackId` (an ARN: deleted stacks are described too). */
export async function describeStackStatus(client: CloudFormationClient, stackId: string): Promise<string> {
  const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackId }));
  const status = Stacks?.[0]?.StackStatus;
  if (status === undefined) throw new Error(`DescribeStacks returned no status for ${stackId}`);
  return status;
}

/**
 * Answers a CloudFormation request for the job-queues resource: Create and Update succeed at
 * once; Delete, when the stack's status says its jobs are over ({@link SWEEP_ON_DELETE_STATUSES}),
 * deletes every job queue of the prefix ({@link sweepAll}), and answers FAILED, with the reason
 * and what to do, if the stack's status cannot be read (nothing is deleted then), if some queues
 * could not be deleted, or if the work did not finish {@link ANSWER_MARGIN_MS} before the
 * function's timeout (CloudFormation would otherwise wait until the resource's
 * `ServiceTimeout`). Its physical id is `<queuePrefix>-job-queues` from creation on, so an
 * update is never a replacement, whose Delete of the "old" resource would reach the queues of
 * running jobs. Every request is answered; only a failure to deliver the answer rejects. A
 * request delivered twice (Lambda's asynchronous invocations are at least once) is answered
 * twice alike: a second sweep finds nothing left.
 */
export async function answerStackEvent(
  event: CustomResourceEvent,
  deps: StackEventDeps,
): Promise<CustomResourceOutcome> {
  const log = deps.log ?? console.log;
  let outcome: CustomResourceOutcome;
  try {
    outcome = await decide(event, deps, log);
  } catch (err) {
    // Unforeseen (a malformed request): still an answer, never a silent hour of waiting.
    outcome = {
      status: 'FAILED',
      reason: `The sweeper could not handle the ${event.RequestType} request: ${(err as Error).message}`,
      physicalResourceId: event.RequestType === 'Create' ? event.LogicalResourceId : event.PhysicalResourceId,
    };
  }
  log(
    JSON.stringify({
      event: 'stack-request',
      requestType: event.RequestType,
      logicalResourceId: event.LogicalResourceId,
      status: outcome.status,
      ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
      ...(outcome.data === undefined ? {} : { data: outcome.data }),
    }),
  );
  await respond(event, outcome, deps.respond);
  return outcome;
}

async function decide(
  event: CustomResourceEvent,
  deps: StackEventDeps,
  log: (line: string) => void,
): Promise<CustomResourceOutcome> {
  const given = event.RequestType === 'Create' ? undefined : event.PhysicalResourceId;
  let config: SweeperConfig;
  try {
    config = deps.config();
  } catch (err) {
    const reason = `The sweeper function's environment is not usable: ${(err as Error).message}`;
    // A Delete it cannot act on must not keep the stack from being deleted: nothing is known to sweep.
    if (given !== undefined && event.RequestType === 'Delete')
      return { status: 'SUCCESS', reason, physicalResourceId: given };
    return { status: 'FAILED', reason, physicalResourceId: given ?? event.LogicalResourceId };
  }
  const physicalResourceId = given ?? `${config.queuePrefix}-job-queues`;
  if (event.RequestType !== 'Delete') return { status: 'SUCCESS', physicalResourceId };

  const named: unknown = event.ResourceProperties?.[JOB_QUEUES_RESOURCE.prefixProperty];
  if (named !== config.queuePrefix) {
    // Never delete queues of a prefix the resource does not name.
    return {
      status: 'SUCCESS',
      reason: `Not swept: the resource names queue prefix ${JSON.stringify(named)}, the function ${config.queuePrefix}`,
      physicalResourceId,
    };
  }
  // Read first: nothing may throw between starting the work and awaiting it.
  const budget = deps.remainingMs === undefined ? undefined : deps.remainingMs() - ANSWER_MARGIN_MS;
  const listed = `\`aws sqs list-queues --queue-name-prefix ${config.queuePrefix}-\``;
  let step = `reading the status of stack ${event.StackId}`;
  let status: string | undefined;
  const work = (async (): Promise<CustomResourceOutcome> => {
    try {
      status = await deps.stackStatus(event.StackId);
    } catch (err) {
      // Unknown: keep the queues (they may be a running job's), but say so where it shows.
      return {
        status: 'FAILED',
        reason:
          `Could not read the status of stack ${event.StackId} (${(err as Error).message}), so no job queue was deleted. ` +
          "If the stack is being deleted, run `cdk destroy` again to retry (the sweeper's role needs cloudformation:DescribeStacks on it).",
        physicalResourceId,
      };
    }
    if (!SWEEP_ON_DELETE_STATUSES.has(status)) {
      return {
        status: 'SUCCESS',
        reason: `Not swept: the stack is ${status}, so it stays, and its queues may be running jobs'`,
        physicalResourceId,
      };
    }
    step = `deleting the job queues ${config.queuePrefix}-*`;
    const report = await sweepAll(deps.client, config.queuePrefix, log);
    return { status: 'SUCCESS', physicalResourceId, data: { Deleted: report.deleted.length } };
  })();
  /** What to do after a failure, by what the stack is doing (an update's cleanup leaves it up). */
  const next = () =>
    status === 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'
      ? `The stack's update itself succeeded (this resource was removed from it); delete the queues listed by ${listed} by hand.`
      : `Run \`cdk destroy\` again to retry, or delete the queues listed by ${listed} by hand and retry.`;
  let timer: NodeJS.Timeout | undefined;
  const late =
    budget === undefined
      ? undefined
      : new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), Math.max(0, budget));
        });
  try {
    const done = await (late === undefined ? work : Promise.race([work, late]));
    if (done !== 'late') return done;
    work.catch(() => undefined);
    return {
      status: 'FAILED',
      reason: `The sweeper ran out of time ${step}. ${next()}`,
      physicalResourceId,
    };
  } catch (err) {
    const what =
      err instanceof SweepError
        ? err.message
        : `Could not delete the job queues ${config.queuePrefix}-*: ${(err as Error).message}.`;
    return { status: 'FAILED', reason: `${what} ${next()}`, physicalResourceId };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

// Created once per execution environment, so warm invocations reuse the connection.
const sqs = new SQSClient({});
let cloudFormation: CloudFormationClient | undefined;
let config: SweeperConfig | undefined;
const readConfig = () => {
  config ??= readSweeperConfig();
  return config;
};

/**
 * The Lambda entry point: a CloudFormation request for the job-queues resource is answered by
 * {@link answerStackEvent}; anything else (the EventBridge schedule) runs a {@link sweep}.
 */
export async function handler(
  event?: unknown,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<SweepReport | CustomResourceOutcome> {
  if (isCustomResourceEvent(event)) {
    return answerStackEvent(event, {
      client: sqs,
      config: readConfig,
      stackStatus: (stackId) =>
        describeStackStatus((cloudFormation ??= new CloudFormationClient({})), stackId),
      ...(context === undefined ? {} : { remainingMs: () => context.getRemainingTimeInMillis() }),
    });
  }
  return sweep(sqs, readConfig());
}

function queueName(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}
