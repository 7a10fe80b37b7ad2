/**
 * Published AWS prices every cost figure of the package is computed from: the SQS transport's
 * `costUsd`, the aws backend's cost report and the collective cost model. One place, so a price
 * change is a one-line edit.
 *
 * SQS and S3 source: https://aws.amazon.com/sqs/pricing/ and https://aws.amazon.com/s3/pricing/
 * (us-east-1, standard tiers, as published in 2025). The estimate ignores the free tier
 * (1 million SQS requests and 2,000 S3 PUTs a month), data transfer (free within a region),
 * S3 storage (objects live for milliseconds) and volume discounts, so it is an upper bound of
 * what a job adds to a bill.
 */

/** SQS standard queue: USD per request. $0.40 per million. */
export const SQS_STANDARD_USD_PER_REQUEST = 0.4 / 1_000_000;

/**
 * SQS bills every 64 KiB chunk of a request's payload as one request: a SendMessageBatch
 * carrying 200 KiB is 4 requests, a ReceiveMessage returning 10 small messages is 1.
 */
export const SQS_BILLING_CHUNK_BYTES = 64 * 1024;

/** S3 Standard: USD per PUT, COPY, POST or LIST request. $0.005 per 1,000. */
export const S3_USD_PER_PUT = 0.005 / 1_000;

/** S3 Standard: USD per GET or SELECT request. $0.0004 per 1,000. */
export const S3_USD_PER_GET = 0.0004 / 1_000;

/** S3: DELETE requests are free. */
export const S3_USD_PER_DELETE = 0;

/** How many billed SQS requests one request with `payloadBytes` of messages counts as. */
export function sqsBilledRequests(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / SQS_BILLING_CHUNK_BYTES));
}

/** The estimated cost of a number of billed SQS requests and S3 calls. */
export function estimateCostUsd(counts: {
  sqsBilledRequests: number;
  s3Puts?: number;
  s3Gets?: number;
  s3Deletes?: number;
}): number {
  return (
    counts.sqsBilledRequests * SQS_STANDARD_USD_PER_REQUEST +
    (counts.s3Puts ?? 0) * S3_USD_PER_PUT +
    (counts.s3Gets ?? 0) * S3_USD_PER_GET +
    (counts.s3Deletes ?? 0) * S3_USD_PER_DELETE
  );
}

/*
 * Lambda source: https://aws.amazon.com/lambda/pricing/ (us-east-1, as published in 2025), first
 * compute tier (the first 6 billion GB-seconds a month on Arm). The report ignores the free tier
 * (1 million requests and 400,000 GB-seconds a month), ephemeral storage above the free 512 MB
 * (the stack does not raise it), data transfer (free within a region) and CloudWatch Logs
 * ingestion ($0.50 per GB; a rank writes a few lines plus what the job prints), so it is an
 * upper bound of what a job adds to a bill, logs aside.
 *
 * Since 1 August 2025 Lambda bills the INIT phase of on-demand functions like invocation time,
 * so a cold start costs its init duration too; the report includes it.
 */

/** USD per request (invocation), either architecture. $0.20 per million. */
export const LAMBDA_USD_PER_REQUEST = 0.2 / 1_000_000;

/** USD per GB-second on Arm (Graviton), which the stack deploys: $0.0000133334. */
export const LAMBDA_ARM_USD_PER_GB_SECOND = 0.0000133334;

/** USD per GB-second on x86_64, for comparison: $0.0000166667. */
export const LAMBDA_X86_USD_PER_GB_SECOND = 0.0000166667;

/** Lambda bills duration in 1 ms increments. */
export const LAMBDA_BILLING_GRANULARITY_MS = 1;

/** GB-seconds of one invocation: billed milliseconds × configured memory (MB / 1024). */
export function lambdaGbSeconds(billedMs: number, memoryMb: number): number {
  const ms = Math.ceil(billedMs / LAMBDA_BILLING_GRANULARITY_MS) * LAMBDA_BILLING_GRANULARITY_MS;
  return (ms / 1000) * (memoryMb / 1024);
}
