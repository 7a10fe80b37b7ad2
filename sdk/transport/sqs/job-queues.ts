import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { checkOptions } from '../../base/check-options.js';
import { describeValue } from '../../base/describe-value.js';
import { mapLimitSettled } from '../../base/map-limit.js';
import { type RetryPolicy, resolveRetryPolicy, sleep } from '../../base/retry.js';
import { jobQueueName } from '../../base/stack-contract.js';
import { classifyAwsError, isRetryable } from './aws-error-kind.js';
import { endpointOf, explainAwsError } from './clients.js';
import { SqsTransportError } from './errors.js';
import { withRetries } from './retry.js';

/** SQS queue names: 1 to 80 characters of letters, digits, `-` and `_`. */
export const QUEUE_NAME_RE = /^[A-Za-z0-9_-]{1,80}$/;
const PART_RE = /^[A-Za-z0-9_-]+$/;

/** Queue attributes of a job queue; see `jobQueueAttributes`. */
export interface JobQueueSettings {
  /**
   * Seconds a received message stays invisible before SQS delivers it again. Covers the time
   * from receive to delete, an S3 GetObject of an offloaded payload included. Default 60.
   */
  visibilityTimeoutSeconds?: number;
  /**
   * Seconds an undelivered message is kept. Must outlive the longest job; retention costs
   * nothing and queues are deleted at the end of the job. Default 345600 (4 days, SQS's own
   * default, set explicitly so that no account-level change can shorten it).
   */
  retentionSeconds?: number;
}

/** The attributes every job queue is created with. */
export function jobQueueAttributes(settings: JobQueueSettings = {}): Record<string, string> {
  return {
    // 1 MiB, the maximum, set explicitly: queues created by older tools default to 256 KiB.
    MaximumMessageSize: '1048576',
    SqsManagedSseEnabled: 'true',
    MessageRetentionPeriod: String(settings.retentionSeconds ?? 345_600),
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds ?? 60),
    ReceiveMessageWaitTimeSeconds: '20',
    DelaySeconds: '0',
  };
}

/**
 * Checks that every queue name of a job is a valid SQS queue name. Throws a TypeError naming
 * the prefix and the job id otherwise.
 */
export function validateJobQueueNames(prefix: string, jobId: string, size: number, control = false): void {
  if (typeof prefix !== 'string' || !PART_RE.test(prefix)) {
    throw new TypeError(
      `Expected \`prefix\` to be a non-empty string of [A-Za-z0-9_-] (it starts every SQS queue name), got ${describeValue(prefix)}`,
    );
  }
  if (typeof jobId !== 'string' || !PART_RE.test(jobId)) {
    throw new TypeError(
      `Expected \`jobId\` to be a non-empty string of [A-Za-z0-9_-] (it is part of every SQS queue name), got ${describeValue(jobId)}`,
    );
  }
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new TypeError(`Expected \`size\` to be an integer >= 1, got ${describeValue(size)}`);
  }
  const lastRank = jobQueueName(prefix, jobId, size - 1);
  const ctl = jobQueueName(prefix, jobId, 'ctl');
  const longest = control && ctl.length > lastRank.length ? ctl : lastRank;
  if (longest.length > 80) {
    throw new TypeError(
      `SQS queue names must be at most 80 characters, but prefix \`${prefix}\` (${prefix.length} chars) and jobId \`${jobId}\` (${jobId.length} chars) give \`${longest}\` (${longest.length} chars) for ${size} ranks: shorten the prefix or the job id`,
    );
  }
}

export interface CreateJobQueuesOptions extends JobQueueSettings {
  client: SQSClient;
  /** Starts every queue name; the deployed stack's IAM policy is scoped to it. */
  prefix: string;
  jobId: string;
  /** Number of ranks: queues `<prefix>-<jobId>-0` to `-<size-1>`. */
  size: number;
  /** Also create `<prefix>-<jobId>-ctl`, the job's control queue. */
  control?: boolean;
  /** CreateQueue calls in flight at once. Default 16. */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
}

export interface JobQueues {
  /** `queueUrls[r]` is rank r's queue. */
  queueUrls: string[];
  controlUrl?: string;
}

const CREATE_KEYS = new Set([
  'client',
  'prefix',
  'jobId',
  'size',
  'control',
  'concurrency',
  'retry',
  'visibilityTimeoutSeconds',
  'retentionSeconds',
]);

function checkConcurrency(v: number | undefined, fn: string): number {
  const c = v ?? 16;
  if (!Number.isSafeInteger(c) || c < 1) {
    throw new TypeError(`Expected \`${fn}.concurrency\` to be an integer >= 1, got ${describeValue(v)}`);
  }
  return c;
}

/**
 * "After you create a queue, you must wait at least one second after the queue is created to be
 * able to use the queue" (SQS API reference, CreateQueue). A probe that succeeds sooner proves
 * nothing: another SQS host may still answer QueueDoesNotExist. Launchers whose ranks cannot
 * retry every call (Lambda) wait this long after `createJobQueues` before starting them.
 */
export const NEW_QUEUE_SETTLE_MS = 1_000;

/** A queue just created may answer QueueDoesNotExist for a moment: wait for it, patiently. */
const VISIBILITY_POLICY: RetryPolicy = { maxAttempts: 12, baseDelayMs: 100, maxDelayMs: 2_000 };

/**
 * Creates the queues of one job, in parallel, and returns once every one of them answers (a new
 * queue can be invisible for a moment after CreateQueue). If any queue cannot be created, the
 * ones that were are deleted again before the error is thrown, so a failed start leaves nothing.
 *
 * @example
 * const { queueUrls } = await createJobQueues({ client: sqs, prefix: 'tsmpi', jobId: 'j42', size: 8 });
 */
export async function createJobQueues(options: CreateJobQueuesOptions): Promise<JobQueues> {
  checkOptions('createJobQueues', options, CREATE_KEYS);
  const { client, prefix, jobId, size, control = false } = options;
  validateJobQueueNames(prefix, jobId, size, control);
  const concurrency = checkConcurrency(options.concurrency, 'createJobQueues');
  const policy = resolveRetryPolicy(options.retry, 'createJobQueues');
  const attributes = jobQueueAttributes(options);
  const names: string[] = Array.from({ length: size }, (_, r) => jobQueueName(prefix, jobId, r));
  if (control) names.push(jobQueueName(prefix, jobId, 'ctl'));

  const created: string[] = [];
  const outcomes = await mapLimitSettled(names, concurrency, async (name) => {
    const res = await withRetries(
      // No tags: nothing reads them (the sweeper goes by name and CreatedTimestamp), and tagging on
      // creation costs an sqs:TagQueue permission and a throttling risk on every CreateQueue.
      () => client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })),
      { policy, what: `CreateQueue ${name}` },
    );
    const url = res.QueueUrl;
    if (url === undefined) throw new SqsTransportError('AWS', `CreateQueue ${name} returned no QueueUrl`);
    created.push(url);
    await withRetries(
      () => client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })),
      {
        policy: VISIBILITY_POLICY,
        what: `waiting for the new queue ${name} to become visible`,
        retryIf: (kind) => kind === 'queue-gone' || isRetryable(kind),
      },
    );
    return url;
  });

  const failures = outcomes.flatMap((o, i) =>
    o.status === 'rejected' ? [{ name: names[i], reason: o.reason }] : [],
  );
  if (failures.length > 0) {
    await deleteJobQueues({ client, queueUrls: created, concurrency }).catch(() => undefined);
    const first = failures[0]!;
    const endpoint = await endpointOf(client);
    throw explainAwsError(first.reason, {
      action: `creating the ${names.length} queues of job ${jobId} (${failures.length} failed, first ${first.name})`,
      ...(endpoint === undefined ? {} : { endpoint }),
    });
  }
  const urls = outcomes.map((o) => (o as PromiseFulfilledResult<string>).value);
  const result: JobQueues = { queueUrls: urls.slice(0, size) };
  if (control) result.controlUrl = urls[size]!;
  return result;
}

export interface DeleteJobQueuesOptions {
  client: SQSClient;
  /** Queues to delete, typically `createJobQueues(...).queueUrls`. */
  queueUrls?: readonly string[];
  controlUrl?: string | undefined;
  /**
   * With `jobId`: also delete every queue ListQueues finds for the job. Belt and braces: on AWS
   * ListQueues lags behind CreateQueue, so pass `queueUrls` when you have them.
   */
  prefix?: string;
  jobId?: string;
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
}

/**
 * How long a DeleteQueue answered QueueDoesNotExist is tried again before the queue counts as
 * gone: a queue created less than a second ago may not be known yet to the SQS host that answers
 * ("you must wait at least one second after the queue is created to be able to use the queue",
 * CreateQueue API reference). A rank's claim queue, created just before a short job ends, is such
 * a queue; taking the first answer left it behind for the sweeper.
 */
const YOUNG_QUEUE_DELETE_RETRIES_MS = [400, 800, 1200] as const;

const DELETE_KEYS = new Set(['client', 'queueUrls', 'controlUrl', 'prefix', 'jobId', 'concurrency', 'retry']);

/**
 * Deletes the queues of a job, in parallel. Idempotent: a queue that is already gone counts as
 * deleted. Every queue is attempted; if some deletions fail the error lists them.
 *
 * @example
 * await deleteJobQueues({ client: sqs, ...queues, prefix: 'tsmpi', jobId: 'j42' });
 */
export async function deleteJobQueues(
  options: DeleteJobQueuesOptions,
): Promise<{ deleted: string[]; alreadyGone: string[] }> {
  checkOptions('deleteJobQueues', options, DELETE_KEYS);
  const { client, prefix, jobId } = options;
  const concurrency = checkConcurrency(options.concurrency, 'deleteJobQueues');
  const policy = resolveRetryPolicy(options.retry, 'deleteJobQueues');
  if ((prefix === undefined) !== (jobId === undefined)) {
    throw new TypeError('deleteJobQueues: pass `prefix` and `jobId` together (or neither, with `queueUrls`)');
  }
  if (options.queueUrls === undefined && options.controlUrl === undefined && prefix === undefined) {
    throw new TypeError('deleteJobQueues: pass `queueUrls` (and `controlUrl`) or `prefix` with `jobId`');
  }
  const urls = new Set<string>(options.queueUrls ?? []);
  if (options.controlUrl !== undefined) urls.add(options.controlUrl);
  if (prefix !== undefined && jobId !== undefined) {
    for (const q of await findJobQueues({ client, prefix, jobId })) urls.add(q.url);
  }
  const list = [...urls];
  const deleted: string[] = [];
  const alreadyGone: string[] = [];
  const outcomes = await mapLimitSettled(list, concurrency, async (url) => {
    if ((await deleteQueue(client, url, policy)) === 'deleted') deleted.push(url);
    else alreadyGone.push(url);
  });
  const failed = outcomes.flatMap((o, i) =>
    o.status === 'rejected' ? [{ url: list[i]!, reason: o.reason }] : [],
  );
  if (failed.length > 0) {
    const endpoint = await endpointOf(client);
    const first = explainAwsError(failed[0]!.reason, endpoint === undefined ? {} : { endpoint });
    throw new SqsTransportError(
      first.code,
      `could not delete ${failed.length} of ${list.length} queues (${failed.map((f) => f.url).join(', ')}): ${first.message}`,
      { cause: failed[0]!.reason },
    );
  }
  return { deleted, alreadyGone };
}

/**
 * Deletes one queue: transient failures retried under `policy`; a QueueDoesNotExist answer tried
 * again over `YOUNG_QUEUE_DELETE_RETRIES_MS` (a queue less than a second old may not be known yet
 * to the host that answers) before the queue counts as `'gone'`. Other failures reject.
 */
export async function deleteQueue(
  client: SQSClient,
  url: string,
  policy: RetryPolicy = resolveRetryPolicy(undefined, 'deleteQueue'),
): Promise<'deleted' | 'gone'> {
  for (let attempt = 0; ; attempt++) {
    try {
      await withRetries(() => client.send(new DeleteQueueCommand({ QueueUrl: url })), {
        policy,
        what: `DeleteQueue ${url}`,
      });
      return 'deleted';
    } catch (err) {
      if (classifyAwsError(err) !== 'queue-gone') throw err;
      const wait = YOUNG_QUEUE_DELETE_RETRIES_MS[attempt];
      if (wait === undefined) return 'gone';
      await sleep(wait);
    }
  }
}

export interface JobQueueInfo {
  url: string;
  name: string;
  jobId: string;
  /** The rank whose queue it is, or `'ctl'` for the control queue. */
  rank: number | 'ctl';
}

/**
 * Lists the job queues under `prefix` (all jobs, or one), following ListQueues pagination. Only
 * names of the form `<prefix>-<jobId>-<rank|ctl>` are returned. On AWS, ListQueues is
 * eventually consistent: a queue created or deleted in the last minute may be missing or still
 * listed.
 *
 * @example
 * const orphans = await findJobQueues({ client: sqs, prefix: 'tsmpi' });
 */
export async function findJobQueues(options: {
  client: SQSClient;
  prefix: string;
  jobId?: string;
}): Promise<JobQueueInfo[]> {
  checkOptions('findJobQueues', options, new Set(['client', 'prefix', 'jobId']));
  const { client, prefix, jobId } = options;
  if (typeof prefix !== 'string' || !PART_RE.test(prefix)) {
    throw new TypeError(
      `Expected \`prefix\` to be a non-empty string of [A-Za-z0-9_-], got \`${String(prefix)}\``,
    );
  }
  if (jobId !== undefined && (typeof jobId !== 'string' || !PART_RE.test(jobId))) {
    throw new TypeError(
      `Expected \`jobId\` to be a non-empty string of [A-Za-z0-9_-], got \`${String(jobId)}\``,
    );
  }
  const namePrefix = jobId === undefined ? `${prefix}-` : `${prefix}-${jobId}-`;
  const found: JobQueueInfo[] = [];
  let nextToken: string | undefined;
  do {
    const res = await withRetries(
      () =>
        client.send(
          new ListQueuesCommand({
            QueueNamePrefix: namePrefix,
            MaxResults: 1000,
            ...(nextToken === undefined ? {} : { NextToken: nextToken }),
          }),
        ),
      { policy: resolveRetryPolicy(undefined, 'findJobQueues'), what: `ListQueues ${namePrefix}` },
    );
    for (const url of res.QueueUrls ?? []) {
      const name = url.slice(url.lastIndexOf('/') + 1);
      if (!name.startsWith(namePrefix)) continue;
      const rest = name.slice(`${prefix}-`.length);
      const dash = rest.lastIndexOf('-');
      if (dash <= 0) continue;
      const queueJob = rest.slice(0, dash);
      const suffix = rest.slice(dash + 1);
      if (jobId !== undefined && queueJob !== jobId) continue;
      if (suffix === 'ctl') found.push({ url, name, jobId: queueJob, rank: 'ctl' });
      else if (/^(0|[1-9][0-9]*)$/.test(suffix))
        found.push({ url, name, jobId: queueJob, rank: Number(suffix) });
    }
    nextToken = res.NextToken;
  } while (nextToken !== undefined && nextToken !== '');
  return found;
}
