/**
 * The event one rank invocation receives: what the launcher (or a head rank of a fan-out tree)
 * sends the rank function. JSON, because Lambda events are; small, because a fan-out of 4096
 * ranks sends it 4096 times (the queue URLs are derived, not listed).
 */

import { describeValue } from '../../base/describe-value.js';
import { ENV_NAME, LAMBDA_RESERVED_ENV_RULE, lambdaReservedEnvName } from '../../base/env-names.js';
import { TsmpiError } from '../../base/errors.js';
import type { RecordRequest } from '../../base/rank-trace.js';
import { jobObjectKey, jobQueueName } from '../../base/stack-contract.js';
import { OPTIMIZE_VALUES, type Optimize } from '../../collectives/choose.js';
import type { JobArgs } from '../../jobs/define-job.js';

/** The event version this runtime speaks. A launcher of another version is told to redeploy. */
export const RANK_EVENT_VERSION = 1;

/** The largest world a rank accepts (the same bound as `run()`'s `MAX_RANKS`). */
export const MAX_EVENT_RANKS = 4096;

/** Which job a rank runs: a built-in (shipped in the function bundle) or a bundle in the stack's bucket. */
export type RankJobRef = { builtin: string } | { s3Key: string; hash: string };

export interface RankEvent {
  v: typeof RANK_EVENT_VERSION;
  /** `[A-Za-z0-9_-]+`, part of every queue name of the job. */
  jobId: string;
  rank: number;
  size: number;
  /** The job's control queue, `<prefix>-<jobId>-ctl`: where the rank reports. */
  controlUrl: string;
  /**
   * Every rank's queue, by rank. Usually absent: then rank r's queue is the control queue's URL
   * with its last path segment replaced by `<prefix>-<jobId>-<r>` (how SQS builds queue URLs).
   */
  queueUrls?: string[];
  job: RankJobRef;
  /** Job arguments when they survive JSON exactly. */
  args?: JobArgs;
  /** Otherwise: the arguments as base64 codec bytes (any structured-cloneable value). */
  argsCodec?: string;
  /**
   * The job's time limit (`--timeout`), as an epoch-ms instant on the launcher's clock. The rank
   * turns it into a budget relative to `launchedAt`, so clock skew between laptop and Lambda
   * does not move it.
   */
  deadlineMs?: number;
  /** When the launcher sent the event (epoch ms, launcher's clock). */
  launchedAt: number;
  /**
   * Fan-out tree: this invocation also invokes ranks `[from, to)` (same event, their own rank,
   * no `spawn`) before running its own rank. See `fan-out-model.ts` for when the launcher uses it.
   * With `ranksPerNode`, the invocations are nodes: one per `ranksPerNode` ranks from `from`.
   */
  spawn?: { from: number; to: number };
  /** `--optimize`: how the ranks' cost model picks collective algorithms. */
  optimize?: Optimize;
  /**
   * Several ranks per invocation (a node, see `NodePlan`): this invocation runs ranks
   * `rank .. rank + ranksOn(node) - 1` (`rank` is the node's first, a multiple of this), one
   * worker thread each; the job's queues (and `queueUrls`) are then one per node. Absent: one
   * rank per invocation, one queue per rank.
   */
  ranksPerNode?: number;
  /** `--trace` / `--profile`: record events and return them in the report's stats. */
  record?: RecordRequest;
  /** `-x` / `--env`: variables set in `process.env` while the job runs (see `enterJobSandbox`). */
  env?: Record<string, string>;
}

/** The event is malformed: the launcher and the deployed function disagree, or someone else invoked it. */
export class RankEventError extends TsmpiError {
  constructor(message: string) {
    super('BAD_RANK_EVENT', message);
    this.name = 'RankEventError';
  }
}

const KEYS = new Set([
  'v',
  'jobId',
  'rank',
  'size',
  'controlUrl',
  'queueUrls',
  'job',
  'args',
  'argsCodec',
  'deadlineMs',
  'launchedAt',
  'spawn',
  'optimize',
  'record',
  'ranksPerNode',
  'env',
]);
const PART = /^[A-Za-z0-9_-]+$/;
/** Hashes are lowercase hex (16 from `resolveJob`, up to a full SHA-256). */
const HASH = /^[0-9a-f]{16,64}$/;

function fail(field: string, rule: string, value: unknown): never {
  throw new RankEventError(`rank event: expected \`${field}\` to be ${rule}, got ${describeValue(value)}`);
}

function int(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    fail(field, `an integer in [${min}, ${max}]`, v);
  return v;
}

/**
 * Checks a raw event and returns it typed; throws {@link RankEventError} naming the field, the
 * rule and the value. `queuePrefix` is the deployment's (TSMPI_QUEUE_PREFIX): the control queue
 * must be this job's, under it, or the rank's IAM policy would refuse it anyway.
 */
export function parseRankEvent(raw: unknown, queuePrefix: string): RankEvent {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new RankEventError(
      `rank event: expected an object like { v: 1, jobId, rank, size, controlUrl, job, launchedAt }, got ${describeValue(raw)}; ` +
        'rank invocations are made by `tsmpi-cloud run --backend aws`',
    );
  }
  const e = raw as Record<string, unknown>;
  for (const key of Object.keys(e)) {
    if (!KEYS.has(key))
      throw new RankEventError(
        `rank event: unknown key \`${key}\`; known keys: ${[...KEYS].join(', ')}. A launcher newer than the ` +
          'deployed rank function sends keys it does not know: deploy the stack again with `cdk deploy` from the same tsmpi-cloud version as the CLI',
      );
  }
  if (e.v !== RANK_EVENT_VERSION) {
    throw new RankEventError(
      `rank event: version ${describeValue(e.v)}, but the deployed rank function speaks version ${RANK_EVENT_VERSION}: ` +
        'deploy the stack again with `cdk deploy` from the same tsmpi-cloud version as the CLI',
    );
  }
  if (typeof e.jobId !== 'string' || !PART.test(e.jobId)) fail('jobId', 'a string of [A-Za-z0-9_-]', e.jobId);
  const jobId = e.jobId;
  const size = int('size', e.size, 1, MAX_EVENT_RANKS);
  const rank = int('rank', e.rank, 0, size - 1);
  const perNode = e.ranksPerNode === undefined ? undefined : int('ranksPerNode', e.ranksPerNode, 1, size);
  if (perNode !== undefined && rank % perNode !== 0)
    fail('rank', `the first rank of a node (a multiple of ranksPerNode ${perNode})`, rank);
  // One queue per node, or per rank.
  const queues = perNode === undefined ? size : Math.ceil(size / perNode);

  if (typeof e.controlUrl !== 'string' || !/^https?:\/\/[^/]+\/.+/.test(e.controlUrl))
    fail('controlUrl', 'an SQS queue URL', e.controlUrl);
  const controlUrl = e.controlUrl;
  const ctlName = jobQueueName(queuePrefix, jobId, 'ctl');
  if (queueNameOf(controlUrl) !== ctlName) {
    fail(
      'controlUrl',
      `the URL of queue ${ctlName} (this stack's queue prefix is ${queuePrefix}; was the job launched for another stack?)`,
      controlUrl,
    );
  }

  let queueUrls: string[] | undefined;
  if (e.queueUrls !== undefined) {
    if (
      !Array.isArray(e.queueUrls) ||
      e.queueUrls.length !== queues ||
      !e.queueUrls.every((u) => typeof u === 'string' && u !== '')
    )
      fail('queueUrls', `an array of ${queues} queue URLs`, e.queueUrls);
    queueUrls = e.queueUrls as string[];
  }

  const job = e.job as Record<string, unknown> | null;
  let jobRef: RankJobRef;
  if (
    job !== null &&
    typeof job === 'object' &&
    typeof job.builtin === 'string' &&
    Object.keys(job).length === 1
  ) {
    jobRef = { builtin: job.builtin };
  } else if (
    job !== null &&
    typeof job === 'object' &&
    typeof job.hash === 'string' &&
    HASH.test(job.hash) &&
    job.s3Key === jobObjectKey(job.hash) &&
    Object.keys(job).length === 2
  ) {
    jobRef = { s3Key: job.s3Key, hash: job.hash };
  } else {
    fail('job', '{ builtin: name } or { s3Key: "jobs/<hash>.mjs", hash } with a hex hash', job);
  }

  if (e.args !== undefined && (e.args === null || typeof e.args !== 'object' || Array.isArray(e.args)))
    fail('args', 'a plain object', e.args);
  if (
    e.argsCodec !== undefined &&
    (typeof e.argsCodec !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(e.argsCodec))
  )
    fail('argsCodec', 'base64 text', e.argsCodec);
  if (e.args !== undefined && e.argsCodec !== undefined)
    throw new RankEventError('rank event: `args` and `argsCodec` are exclusive; send one of them');

  if (typeof e.launchedAt !== 'number' || !Number.isFinite(e.launchedAt) || e.launchedAt <= 0)
    fail('launchedAt', 'an epoch time in milliseconds', e.launchedAt);
  if (
    e.deadlineMs !== undefined &&
    (typeof e.deadlineMs !== 'number' || !Number.isFinite(e.deadlineMs) || e.deadlineMs <= e.launchedAt)
  )
    fail('deadlineMs', 'an epoch time in milliseconds after `launchedAt`', e.deadlineMs);

  let spawn: RankEvent['spawn'];
  if (e.spawn !== undefined) {
    const s = e.spawn as Record<string, unknown> | null;
    if (s === null || typeof s !== 'object') fail('spawn', 'an object { from, to }', s);
    const from = int('spawn.from', s.from, rank + 1, size);
    const to = int('spawn.to', s.to, from, size);
    if (perNode !== undefined && from % perNode !== 0)
      fail('spawn.from', `the first rank of a node (a multiple of ranksPerNode ${perNode})`, from);
    spawn = { from, to };
  }

  if (e.optimize !== undefined && !OPTIMIZE_VALUES.includes(e.optimize as Optimize))
    fail('optimize', "'balanced', 'latency' or 'cost'", e.optimize);
  const rec = e.record as { profile?: unknown; timeline?: unknown } | null | undefined;
  if (
    rec !== undefined &&
    (rec === null ||
      typeof rec !== 'object' ||
      typeof rec.profile !== 'boolean' ||
      (rec.timeline !== undefined && typeof rec.timeline !== 'boolean'))
  )
    fail('record', 'an object { profile: boolean, timeline?: boolean }', e.record);

  let env: Record<string, string> | undefined;
  if (e.env !== undefined) {
    const rule = 'an object of strings keyed by variable names';
    if (e.env === null || typeof e.env !== 'object' || Array.isArray(e.env)) fail('env', rule, e.env);
    for (const [name, value] of Object.entries(e.env)) {
      if (!ENV_NAME.test(name) || typeof value !== 'string') fail(`env.${name}`, rule, value);
      if (lambdaReservedEnvName(name))
        fail('env', `free of reserved names (${LAMBDA_RESERVED_ENV_RULE})`, name);
    }
    env = e.env as Record<string, string>;
  }

  const out: RankEvent = {
    v: RANK_EVENT_VERSION,
    jobId,
    rank,
    size,
    controlUrl,
    job: jobRef,
    launchedAt: e.launchedAt,
  };
  if (queueUrls !== undefined) out.queueUrls = queueUrls;
  if (e.args !== undefined) out.args = e.args as JobArgs;
  if (e.argsCodec !== undefined) out.argsCodec = e.argsCodec as string;
  if (e.deadlineMs !== undefined) out.deadlineMs = e.deadlineMs as number;
  if (spawn !== undefined) out.spawn = spawn;
  if (e.optimize !== undefined) out.optimize = e.optimize as Optimize;
  if (rec !== undefined) {
    out.record = { profile: rec.profile as boolean };
    if (rec.timeline !== undefined) out.record.timeline = rec.timeline as boolean;
  }
  if (perNode !== undefined) out.ranksPerNode = perNode;
  if (env !== undefined) out.env = env;
  return out;
}

/** The last path segment of a queue URL: the queue's name. */
export function queueNameOf(url: string): string {
  return url.slice(url.lastIndexOf('/') + 1);
}

/** The URL of queue `name` next to the queue at `siblingUrl` (same endpoint and account). */
export function siblingQueueUrl(siblingUrl: string, name: string): string {
  return `${siblingUrl.slice(0, siblingUrl.lastIndexOf('/') + 1)}${name}`;
}

/**
 * Every rank's queue URL (every node's, with `ranksPerNode`): the event's list, or derived from
 * the control queue's URL.
 */
export function rankQueueUrls(event: RankEvent, queuePrefix: string): string[] {
  if (event.queueUrls !== undefined) return event.queueUrls;
  const n = event.ranksPerNode === undefined ? event.size : Math.ceil(event.size / event.ranksPerNode);
  return Array.from({ length: n }, (_, r) =>
    siblingQueueUrl(event.controlUrl, jobQueueName(queuePrefix, event.jobId, r)),
  );
}
