/**
 * Published AWS Lambda prices the aws backend's cost report is computed from; SQS and S3 prices
 * are the transport's (`sdk/transport/sqs/prices.ts`). One place, so a price change is a
 * one-line edit.
 *
 * Source: https://aws.amazon.com/lambda/pricing/ (us-east-1, as published in 2025), first
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
