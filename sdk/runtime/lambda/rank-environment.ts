/**
 * The rank function's environment, read in one place. The stack sets TSMPI_QUEUE_PREFIX,
 * TSMPI_BUCKET and TSMPI_STACK (see `RANK_ENVIRONMENT` in sdk/base/stack-contract.ts); Lambda sets
 * AWS_REGION, AWS_LAMBDA_FUNCTION_NAME and AWS_LAMBDA_FUNCTION_MEMORY_SIZE.
 */
import { TsmpiError } from '../../base/errors.js';
import { ENV, EnvReader } from '../../base/stack-contract.js';

/** The environment is missing or malformed: the function was not deployed by the stack. */
export class RankEnvironmentError extends TsmpiError {
  constructor(message: string) {
    super('RANK_ENVIRONMENT', message);
    this.name = 'RankEnvironmentError';
  }
}

export interface RankEnvironment {
  /** Every job queue is `<queuePrefix>-<jobId>-…`; the function's IAM allows only those. */
  queuePrefix: string;
  /** Job bundles (`jobs/`) and offloaded payloads (`payloads/`). */
  bucket: string;
  /** The CloudFormation stack, for log lines. */
  stack: string;
  /** This function's name, for ranks that invoke ranks (fan-out tree). */
  functionName: string | undefined;
  /** Configured memory, MB (for the cost report). */
  memoryMb: number;
}

/** Where the clients point: AWS, or an SQS/S3 emulator (`TSMPI_SQS_ENDPOINT`, tests and LocalStack only). */
export interface RankClientEnvironment {
  endpoint: string | undefined;
  region: string | undefined;
}

const DEPLOY_HINT = 'deploy the stack with `cdk deploy`, which sets it on the rank function';

/** Reads and checks the rank function's configuration. */
export function readRankEnvironment(env: NodeJS.ProcessEnv = process.env): RankEnvironment {
  const read = new EnvReader(env, (message) => new RankEnvironmentError(message), DEPLOY_HINT);
  const queuePrefix = read.queuePrefix();
  const bucket = read.required(ENV.bucket);
  const stack = read.required(ENV.stack);
  const rawMemory = env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE;
  const memoryMb = rawMemory === undefined || rawMemory === '' ? 1769 : Number(rawMemory);
  if (!Number.isInteger(memoryMb) || memoryMb < 128) {
    throw new RankEnvironmentError(
      `AWS_LAMBDA_FUNCTION_MEMORY_SIZE must be an integer number of MB, got \`${rawMemory}\` (Lambda sets it)`,
    );
  }
  const functionName = env.AWS_LAMBDA_FUNCTION_NAME || undefined;
  return { queuePrefix, bucket, stack, functionName, memoryMb };
}

/** Reads where the AWS clients point. Never throws for a missing value: AWS is the default. */
export function readRankClientEnvironment(env: NodeJS.ProcessEnv = process.env): RankClientEnvironment {
  const endpoint = env[ENV.sqsEndpoint] || undefined;
  if (endpoint !== undefined && !/^https?:\/\/./.test(endpoint)) {
    throw new RankEnvironmentError(
      `TSMPI_SQS_ENDPOINT must be an http(s) URL of an SQS/S3 emulator, got \`${endpoint}\`; leave it unset on AWS`,
    );
  }
  return { endpoint, region: env.AWS_REGION || undefined };
}
