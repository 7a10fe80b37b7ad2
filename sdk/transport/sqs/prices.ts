/**
 * Published AWS prices the transport's `costUsd` estimate is computed from. One place, so a
 * price change is a one-line edit.
 *
 * Source: https://aws.amazon.com/sqs/pricing/ and https://aws.amazon.com/s3/pricing/
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
