import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { describeValue } from '../sdk/base/describe-value.js';
import { TsmpiError } from '../sdk/base/errors.js';

/**
 * Settings of {@link TsmpiCloud}. Every one has a default; unknown keys are rejected so a
 * typo (`memmorySize`) fails the synth instead of being ignored.
 */
export interface TsmpiCloudProps {
  /**
   * Every job queue is named `<queuePrefix>-<job>-<rank>`, and IAM lets the functions touch
   * only queues named `<queuePrefix>-*`. 2 to 24 characters of `[a-z0-9-]`, starting with a
   * letter, not ending with `-`. Keep it unique per account and region, and never another
   * stack's prefix followed by `-` (`hpc` would match `hpc-prod-*`). `tsmpi` is refused: every
   * default prefix and the queues of `--backend sqs` jobs start with `tsmpi-`.
   *
   * @default `tsmpi-` + the first 8 hex digits of the SHA-256 of the stack name (in a nested
   * stack, whose name is only known at deploy time: of its top-level stack's name and its path below it)
   */
  readonly queuePrefix?: string;
  /**
   * Memory of the rank function in MB, 128 to 10240. CPU is proportional: 1769 MB is one
   * full vCPU, 3538 two, 10240 six.
   *
   * It also sets how many ranks one invocation runs (a node: ranks in worker threads sharing
   * memory, one SQS queue per node): `tsmpi-cloud run --backend aws` defaults to one rank per
   * vCPU, clamp(round(memorySize / 1769), 1, 6), so 10240 runs 6 ranks per invocation (a 64-rank
   * job is 11 invocations); `--ranks-per-node K` overrides it per run. Lambda bills GB-s per
   * invocation, so fewer, larger invocations cost less for the same job.
   *
   * @default 1769 (one rank per invocation)
   */
  readonly memorySize?: number;
  /**
   * Timeout of one rank invocation, 1 s to 15 min: the longest a rank can run.
   *
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;
  /**
   * The sweeper deletes job queues older than this. Must be at least `timeout` plus 5 minutes
   * (`JOB_START_MARGIN`), so a queue is never deleted under a running rank: a rank starts up to
   * the launcher's start window (90 s) after its job's queues are made, then runs up to `timeout`.
   *
   * @default Duration.hours(2)
   */
  readonly maxJobAge?: Duration;
  /**
   * How long the rank and sweeper log groups keep events.
   *
   * @default RetentionDays.ONE_WEEK
   */
  readonly logRetention?: RetentionDays;
  /**
   * Path of the rank handler module (exports `handler`). A relative path is resolved against
   * the current directory.
   *
   * Set, it is bundled at synth time with the local esbuild (a `NodejsFunction`: the app needs
   * esbuild installed and a lock file). Such a function has no `node-worker.mjs`, so it runs one
   * rank per invocation only: run it with `--ranks-per-node 1` (a node event is refused, with
   * that advice, by the rank function).
   *
   * @default - the rank function pre-bundled in the package (`dist/functions/rank/`)
   */
  readonly rankEntry?: string;
  /**
   * Reserved concurrency of the rank function, 1 or more. Unset by default: a job needs all
   * its ranks running at once, and a reservation would cap the largest job at this number
   * (it also takes that many from the account's unreserved pool even while idle).
   *
   * @default - no reservation (the function uses the account's unreserved concurrency)
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * How many identical copies of the rank function to deploy, 1 to 10 (same code, role,
   * environment, memory, timeout and log group). Lambda scales each function on its own ("for
   * each function, your concurrency scaling rate is 1,000 execution environment instances every
   * 10 seconds", Lambda developer guide, scaling behavior), so a job of more than 1,000
   * invocations waits ~10 s per further 1,000 on one function. `run --backend aws` spreads the
   * invocations it makes round-robin over the copies, and a fan-out tree head invokes its subtree
   * on its own copy, so the whole job spreads. The account's concurrency is shared by all copies.
   *
   * Off by default: the per-function rate is documented, but spreading over copies has not been
   * measured on AWS. With `reservedConcurrentExecutions` R, each copy reserves floor(R / copies)
   * (R must be at least `copies`).
   *
   * @default 1
   */
  readonly rankFunctionCopies?: number;
  /**
   * The account's concurrent-execution limit in the stack's region (`aws lambda
   * get-account-settings`, `AccountLimit.ConcurrentExecutions`), used to check
   * `reservedConcurrentExecutions` at synth: Lambda keeps at least 100 executions unreserved
   * ("You can reserve up to the Unreserved account concurrency value that is shown, minus 100
   * for functions that don't have reserved concurrency", Lambda developer guide, configuring
   * reserved concurrency), and a deploy that would leave fewer fails. `tsmpi-cloud doctor`
   * checks the real account.
   *
   * @default 1000 (Lambda's default quota; new accounts often have less)
   */
  readonly accountConcurrency?: number;
  /**
   * What happens to the bucket and the log groups when the stack is deleted. The bucket is
   * scratch storage (job code and payloads that expire within two days), so by default it is
   * emptied and deleted with the stack (`autoDeleteObjects`). `RETAIN` keeps both. Job queues
   * are deleted with the stack whatever this says (they only serve running jobs).
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Bucket that receives the S3 server access logs of the job bucket, under the prefix
   * `<queuePrefix>/`. Without it the bucket has no access logs: it holds only short-lived
   * scratch objects written by the stack's own function, and CloudTrail data events are the
   * place to audit it if needed.
   *
   * @default - no server access logs
   */
  readonly accessLogsBucket?: IBucket;
}

/** A {@link TsmpiCloudProps} value is out of range or of the wrong type. */
export class TsmpiCloudPropsError extends TsmpiError {
  constructor(message: string) {
    super('INVALID_PROPS', message);
    this.name = 'TsmpiCloudPropsError';
  }
}

/** {@link TsmpiCloudProps} with every default applied and every value checked. */
export interface ResolvedTsmpiCloudProps {
  readonly queuePrefix: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly maxJobAge: Duration;
  readonly logRetention: RetentionDays;
  /** Undefined: the pre-bundled rank function of the package. */
  readonly rankEntry: string | undefined;
  /** The total reservation asked for (each copy reserves floor(this / rankFunctionCopies)). */
  readonly reservedConcurrentExecutions: number | undefined;
  readonly rankFunctionCopies: number;
  readonly accountConcurrency: number;
  readonly removalPolicy: RemovalPolicy;
  readonly accessLogsBucket: IBucket | undefined;
}

export const DEFAULT_MEMORY_SIZE = 1769;
export const DEFAULT_TIMEOUT = Duration.minutes(15);
export const DEFAULT_MAX_JOB_AGE = Duration.hours(2);
/**
 * How much longer than `timeout` a job's queues may be needed: ranks start up to the launcher's
 * start window (90 s by default) after the queues are made (Lambda holds an undelivered event up
 * to `RANK_MAX_EVENT_AGE`, 60 s), then run up to `timeout`. 5 minutes covers both with room.
 */
export const JOB_START_MARGIN = Duration.minutes(5);
export const DEFAULT_LOG_RETENTION = RetentionDays.ONE_WEEK;
export const DEFAULT_ACCOUNT_CONCURRENCY = 1000;
/** Executions Lambda keeps unreserved in every account and region. */
export const MIN_UNRESERVED_CONCURRENCY = 100;
/** The most copies of the rank function a stack may have. */
export const MAX_RANK_FUNCTION_COPIES = 10;

const KNOWN_KEYS: readonly (keyof TsmpiCloudProps)[] = [
  'queuePrefix',
  'memorySize',
  'timeout',
  'maxJobAge',
  'logRetention',
  'rankEntry',
  'reservedConcurrentExecutions',
  'rankFunctionCopies',
  'accountConcurrency',
  'removalPolicy',
  'accessLogsBucket',
];

const QUEUE_PREFIX = /^[a-z][a-z0-9-]{0,22}[a-z0-9]$/;
/** Starts every default prefix, and is the queue prefix of `--backend sqs` jobs. */
const SHARED_QUEUE_STEM = 'tsmpi';
const ENTRY_EXTENSION = /\.(ts|mts|js|mjs)$/;

/** The default queue prefix of a stack: short, stable for the stack name, `[a-z0-9-]`. */
export function defaultQueuePrefix(stackName: string): string {
  return `${SHARED_QUEUE_STEM}-${createHash('sha256').update(stackName).digest('hex').slice(0, 8)}`;
}

/** Applies the defaults and checks every value; throws {@link TsmpiCloudPropsError}. */
export function resolveTsmpiCloudProps(props: TsmpiCloudProps, stackName: string): ResolvedTsmpiCloudProps {
  if (typeof props !== 'object' || props === null) {
    throw new TsmpiCloudPropsError(`Expected TsmpiCloud props to be an object, got ${describeValue(props)}`);
  }
  for (const key of Object.keys(props)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(key)) {
      throw new TsmpiCloudPropsError(
        `Unknown TsmpiCloud prop \`${key}\`; known props: ${KNOWN_KEYS.join(', ')}`,
      );
    }
  }

  const queuePrefix = props.queuePrefix ?? defaultQueuePrefix(stackName);
  if (typeof queuePrefix !== 'string' || !QUEUE_PREFIX.test(queuePrefix)) {
    throw new TsmpiCloudPropsError(
      'Expected `queuePrefix` to be 2 to 24 characters of [a-z0-9-], starting with a letter and not ' +
        `ending with '-', got ${describeValue(queuePrefix)}`,
    );
  }

  // IAM and the sweeper cover `<queuePrefix>-*`: this one would cover other stacks' queues.
  if (queuePrefix === SHARED_QUEUE_STEM) {
    throw new TsmpiCloudPropsError(
      `Expected \`queuePrefix\` not to be \`"${SHARED_QUEUE_STEM}"\`: every default prefix (${SHARED_QUEUE_STEM}-<hash>) and the ` +
        `queues of \`--backend sqs\` jobs start with \`${SHARED_QUEUE_STEM}-\`, so this stack's IAM and sweeper would reach ` +
        "(and delete) other stacks' queues. Leave it unset or pick another, e.g. `hpc`",
    );
  }

  const memorySize = props.memorySize ?? DEFAULT_MEMORY_SIZE;
  if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10240) {
    throw new TsmpiCloudPropsError(
      `Expected \`memorySize\` to be an integer in [128, 10240] MB, got ${describeValue(memorySize)}`,
    );
  }

  const timeout = props.timeout ?? DEFAULT_TIMEOUT;
  const timeoutSeconds = durationSeconds('timeout', timeout);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 900) {
    throw new TsmpiCloudPropsError(
      `Expected \`timeout\` to be a whole number of seconds in [1, 900] (Lambda's limit is 15 minutes), got ${timeout.toHumanString()}`,
    );
  }

  const maxJobAge = props.maxJobAge ?? DEFAULT_MAX_JOB_AGE;
  const maxJobAgeSeconds = durationSeconds('maxJobAge', maxJobAge);
  const leastAge = timeoutSeconds + JOB_START_MARGIN.toSeconds();
  if (!Number.isInteger(maxJobAgeSeconds) || maxJobAgeSeconds < leastAge) {
    throw new TsmpiCloudPropsError(
      `Expected \`maxJobAge\` to be a whole number of seconds, at least \`timeout\` (${timeout.toHumanString()}) ` +
        `plus ${JOB_START_MARGIN.toHumanString()} (${leastAge} s), got ${maxJobAge.toHumanString()}: ranks start up to ` +
        '90 s after their queues are made and run up to `timeout`, so the sweeper would delete the queues of running jobs',
    );
  }

  const logRetention = props.logRetention ?? DEFAULT_LOG_RETENTION;
  if (!(Object.values(RetentionDays) as unknown[]).includes(logRetention)) {
    throw new TsmpiCloudPropsError(
      `Expected \`logRetention\` to be a RetentionDays value, got ${describeValue(logRetention)}`,
    );
  }

  if (props.rankEntry !== undefined && (typeof props.rankEntry !== 'string' || props.rankEntry === '')) {
    throw new TsmpiCloudPropsError(
      `Expected \`rankEntry\` to be a file path, got ${describeValue(props.rankEntry)}`,
    );
  }
  const rankEntry = props.rankEntry === undefined ? undefined : resolve(props.rankEntry);
  if (rankEntry !== undefined && !ENTRY_EXTENSION.test(rankEntry)) {
    throw new TsmpiCloudPropsError(
      `Expected \`rankEntry\` to be a .ts, .mts, .js or .mjs file, got \`${rankEntry}\``,
    );
  }
  if (rankEntry !== undefined && (!existsSync(rankEntry) || !statSync(rankEntry).isFile())) {
    throw new TsmpiCloudPropsError(`\`rankEntry\` does not exist or is not a file: \`${rankEntry}\``);
  }

  const reserved = props.reservedConcurrentExecutions;
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 1)) {
    throw new TsmpiCloudPropsError(
      `Expected \`reservedConcurrentExecutions\` to be an integer >= 1 (leave it unset for no reservation; ` +
        `0 would stop every rank), got ${describeValue(reserved)}`,
    );
  }

  const copies = props.rankFunctionCopies ?? 1;
  if (!Number.isInteger(copies) || copies < 1 || copies > MAX_RANK_FUNCTION_COPIES) {
    throw new TsmpiCloudPropsError(
      `Expected \`rankFunctionCopies\` to be an integer in [1, ${MAX_RANK_FUNCTION_COPIES}] (identical copies of the rank function), got ${describeValue(props.rankFunctionCopies)}`,
    );
  }
  if (reserved !== undefined && reserved < copies) {
    throw new TsmpiCloudPropsError(
      `\`reservedConcurrentExecutions\` ${reserved} is split over ${copies} copies of the rank function (\`rankFunctionCopies\`), ` +
        `floor(${reserved} / ${copies}) each: reserve at least ${copies}, or leave the reservation unset`,
    );
  }

  const accountConcurrency = props.accountConcurrency ?? DEFAULT_ACCOUNT_CONCURRENCY;
  if (!Number.isInteger(accountConcurrency) || accountConcurrency < 1) {
    throw new TsmpiCloudPropsError(
      `Expected \`accountConcurrency\` to be an integer >= 1 (the account's concurrent-execution limit, from \`aws lambda get-account-settings\`), got ${describeValue(accountConcurrency)}`,
    );
  }
  if (reserved !== undefined && accountConcurrency - reserved < MIN_UNRESERVED_CONCURRENCY) {
    const most = accountConcurrency - MIN_UNRESERVED_CONCURRENCY;
    throw new TsmpiCloudPropsError(
      `\`reservedConcurrentExecutions\` ${reserved} would leave ${accountConcurrency - reserved} of the account's ${accountConcurrency} ` +
        `concurrent executions (\`accountConcurrency\`) unreserved, and Lambda keeps at least ${MIN_UNRESERVED_CONCURRENCY} unreserved: ` +
        '`cdk deploy` would fail. ' +
        (most >= 1
          ? `Reserve at most ${most} (less what other functions reserve), `
          : 'Request a higher quota, ') +
        "set `accountConcurrency` to your account's limit if it is higher, or leave the reservation unset",
    );
  }

  const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
  if (removalPolicy !== RemovalPolicy.DESTROY && removalPolicy !== RemovalPolicy.RETAIN) {
    throw new TsmpiCloudPropsError(
      `Expected \`removalPolicy\` to be RemovalPolicy.DESTROY or RemovalPolicy.RETAIN, got ${describeValue(removalPolicy)}`,
    );
  }

  // A bucket name (or any non-bucket) would synthesize a LoggingConfiguration without a
  // destination, which S3 reads as "log into the job bucket itself", under a prefix that never expires.
  const accessLogsBucket = props.accessLogsBucket;
  if (accessLogsBucket !== undefined && !isBucket(accessLogsBucket)) {
    throw new TsmpiCloudPropsError(
      "Expected `accessLogsBucket` to be an S3 bucket construct (e.g. `Bucket.fromBucketName(this, 'AccessLogs', 'my-logs')`), " +
        `got ${describeValue(accessLogsBucket)}`,
    );
  }

  return {
    queuePrefix,
    memorySize,
    timeout,
    maxJobAge,
    logRetention,
    rankEntry,
    reservedConcurrentExecutions: reserved,
    rankFunctionCopies: copies,
    accountConcurrency,
    removalPolicy,
    accessLogsBucket,
  };
}

function isBucket(value: unknown): value is IBucket {
  return (
    Construct.isConstruct(value) &&
    typeof (value as Partial<IBucket>).bucketName === 'string' &&
    typeof (value as Partial<IBucket>).bucketArn === 'string'
  );
}

function durationSeconds(name: string, value: Duration): number {
  if (!(value instanceof Duration)) {
    throw new TsmpiCloudPropsError(`Expected \`${name}\` to be a Duration, got ${describeValue(value)}`);
  }
  let seconds: number;
  try {
    seconds = value.toSeconds({ integral: false });
  } catch (error) {
    throw new TsmpiCloudPropsError(
      `Expected \`${name}\` to be a concrete Duration (not a token), got ${value.toString()}: ${String(error)}`,
    );
  }
  // `Duration.seconds(NaN)` is a Duration whose human string is empty.
  if (!Number.isFinite(seconds)) {
    throw new TsmpiCloudPropsError(`Expected \`${name}\` to be a finite Duration, got ${seconds} seconds`);
  }
  return seconds;
}
