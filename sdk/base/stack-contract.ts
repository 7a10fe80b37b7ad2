/**
 * The contract between the deployed stack and the code that uses it (CLI, launchers, rank
 * runtime, sweeper, infra): stack output keys, environment variable names and their typed
 * readers, queue names and the object-key layout of the bucket. One module, so a name changes in
 * one place; it imports nothing, so infra/ and the Lambda functions can share it.
 */

/**
 * Output keys of the stack (`OutputKey` in `DescribeStacks`, keys of
 * `cdk deploy --outputs-file`). They are literal logical ids, stable across releases and
 * never exported (no `Export`), so nothing else can take a dependency on the stack.
 */
export const STACK_OUTPUTS = {
  /** Name of the rank function, for `Invoke`. */
  rankFunctionName: 'RankFunctionName',
  /** ARN of the rank function, for `GetFunctionConcurrency` and IAM checks. */
  rankFunctionArn: 'RankFunctionArn',
  /** Bucket for job code (`jobs/`) and large payloads (`payloads/`). */
  bucketName: 'BucketName',
  /** Every job queue is named `<QueuePrefix>-<job>-<rank>`; IAM allows only these. */
  queuePrefix: 'QueuePrefix',
  /** Region the stack is deployed in. */
  region: 'Region',
  /** Name of the CloudFormation stack. */
  stackName: 'StackName',
} as const;

/**
 * Outputs a stack has only in some configurations; a reader must do without them.
 */
export const OPTIONAL_STACK_OUTPUTS = {
  /**
   * With `rankFunctionCopies` > 1 only: the names of every copy of the rank function,
   * comma-separated, copy 0 (`RankFunctionName`) first. Absent: one rank function.
   */
  rankFunctionNames: 'RankFunctionNames',
} as const;

/** Every environment variable tsmpi-cloud reads. */
export const ENV = {
  /** Set by the stack on the rank and sweeper functions: every job queue is `<prefix>-<jobId>-…`. */
  queuePrefix: 'TSMPI_QUEUE_PREFIX',
  /** Set by the stack on the rank function: the bucket of job code and offloaded payloads. */
  bucket: 'TSMPI_BUCKET',
  /** Set by the stack on the rank function: its CloudFormation stack, for log lines. */
  stack: 'TSMPI_STACK',
  /** Set by the stack on the sweeper: queues older than this many seconds are deleted. */
  maxJobAgeSeconds: 'TSMPI_MAX_JOB_AGE_SECONDS',
  /** An SQS/S3 emulator (fauxqs, LocalStack) instead of AWS: tests and local runs only. */
  sqsEndpoint: 'TSMPI_SQS_ENDPOINT',
  /** A `cdk deploy --outputs-file` file to read the stack's outputs from (the CLI's `--outputs-file`). */
  outputsFile: 'TSMPI_OUTPUTS_FILE',
  /** How long a blocking receive busy-polls before it parks, in microseconds (0: never). */
  recvSpinUs: 'TSMPI_RECV_SPIN_US',
} as const;

/** Environment variables the stack sets on the rank function. */
export const RANK_ENVIRONMENT = {
  queuePrefix: ENV.queuePrefix,
  bucket: ENV.bucket,
  stack: ENV.stack,
} as const;

/**
 * Key prefixes in the bucket. Ranks may only read these and write `payloads/`, and only
 * these expire, so the launcher and the SQS transport must put every object under one of them.
 */
export const BUCKET_PREFIXES = {
  /** Bundled user job code, keyed by content hash; written by the launcher, read by ranks. */
  jobs: 'jobs/',
  /** Message payloads over the SQS size limit; written, read and deleted by ranks. */
  payloads: 'payloads/',
} as const;

/**
 * Days after which the bucket's lifecycle rules expire objects under each prefix. S3 removes
 * expired objects asynchronously, at some time after that: an object past its expiry may vanish
 * at any moment, so the launcher re-uploads a job bundle long before (see `ship-job.ts`).
 */
export const BUCKET_EXPIRY_DAYS = {
  jobs: 2,
  payloads: 1,
} as const;

/**
 * The stack's custom resource that deletes every job queue of its prefix when it is deleted
 * (`cdk destroy`): queues are made at run time, so CloudFormation does not know them. The sweeper
 * function serves it (`functions/sweeper.ts`); `prefixProperty` names the prefix it may sweep.
 */
export const JOB_QUEUES_RESOURCE = {
  type: 'Custom::TsmpiJobQueues',
  prefixProperty: 'QueuePrefix',
} as const;

/**
 * Whether `name` is a queue of a job of the deployment with queue prefix `prefix`:
 * `<prefix>-<jobId>-<rank>`, `…-ctl` (the control queue) or `…-c<rank>` (a rank's claim queue,
 * `claim-rank.ts`), whose job id has no '-' (`newJobId` is base 36). So the queues of a deployment
 * whose prefix extends this one's (`hpc` and `hpc-prod`) are never taken for this one's.
 */
export function isJobQueueOf(prefix: string, name: string): boolean {
  return name.startsWith(`${prefix}-`) && JOB_QUEUE_REST.test(name.slice(prefix.length + 1));
}
const JOB_QUEUE_REST = /^[A-Za-z0-9_]+-(?:0|[1-9][0-9]*|ctl|c(?:0|[1-9][0-9]*))$/;

/** A deployment's queue prefix: lowercase letters, digits and '-', starting with a letter, not ending with '-'. */
export const QUEUE_PREFIX_PATTERN = /^[a-z][a-z0-9-]*[a-z0-9]$/;

/** The SQS queue of one rank of a job, or of its control queue (`'ctl'`). */
export function jobQueueName(prefix: string, jobId: string, rank: number | 'ctl'): string {
  return `${prefix}-${jobId}-${rank}`;
}

/** The S3 key of a shipped job bundle. */
export function jobObjectKey(hash: string): string {
  return `${BUCKET_PREFIXES.jobs}${hash}.mjs`;
}

/** The S3 key prefix of a job's offloaded payloads (the stack's IAM policy and lifecycle rule cover it). */
export function payloadPrefix(jobId: string): string {
  return `${BUCKET_PREFIXES.payloads}${jobId}/`;
}

/** The S3 key of an offloaded control report. */
export function reportObjectKey(jobId: string, rank: number, seq: number): string {
  return `${payloadPrefix(jobId)}reports/${rank}-${seq}.bin`;
}

/**
 * Typed readers of the environment that fail with the variable's name, what is wrong and what to
 * do (`hint`), as the caller's own error class.
 *
 * @example
 * const read = new EnvReader(process.env, (m) => new RankEnvironmentError(m), 'deploy the stack with `cdk deploy`');
 * const prefix = read.queuePrefix();
 */
export class EnvReader {
  readonly #env: NodeJS.ProcessEnv;
  readonly #fail: (message: string) => Error;
  readonly #hint: string;

  constructor(env: NodeJS.ProcessEnv, fail: (message: string) => Error, hint: string) {
    this.#env = env;
    this.#fail = fail;
    this.#hint = hint;
  }

  /** The value, or undefined when unset or empty. */
  optional(name: string): string | undefined {
    const v = this.#env[name];
    return v === undefined || v === '' ? undefined : v;
  }

  required(name: string): string {
    const v = this.optional(name);
    if (v === undefined) throw this.#fail(`${name} is required: ${this.#hint}`);
    return v;
  }

  /** `TSMPI_QUEUE_PREFIX`, checked against {@link QUEUE_PREFIX_PATTERN}. */
  queuePrefix(): string {
    const v = this.required(ENV.queuePrefix);
    if (!QUEUE_PREFIX_PATTERN.test(v)) {
      throw this.#fail(
        `${ENV.queuePrefix} must be lowercase letters, digits and '-', got \`${v}\`: ${this.#hint}`,
      );
    }
    return v;
  }

  /** A required integer >= 1. */
  positiveInteger(name: string): number {
    const raw = this.required(name);
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw this.#fail(`${name} must be a positive integer, got \`${raw}\`: ${this.#hint}`);
    }
    return n;
  }
}
