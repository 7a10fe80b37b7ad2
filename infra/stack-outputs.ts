/**
 * The contract between the deployed stack and the code that uses it (CLI, launcher, rank
 * runtime). This file imports nothing from the CDK, so runtime code can import the names
 * without pulling `aws-cdk-lib` in.
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

/** Environment variables the stack sets on the rank function. */
export const RANK_ENVIRONMENT = {
  queuePrefix: 'TSMPI_QUEUE_PREFIX',
  bucket: 'TSMPI_BUCKET',
  stack: 'TSMPI_STACK',
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
