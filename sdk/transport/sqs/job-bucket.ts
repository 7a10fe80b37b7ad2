import {
  CreateBucketCommand,
  DeleteBucketCommand,
  HeadBucketCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

/**
 * Creates a bucket of its own for one job's offloaded payloads (the sqs backend when no bucket is
 * named) and waits until it answers. Resolves with its name, or `undefined` when the endpoint
 * cannot make one: the job then runs without offload, and a frame over the SQS limit fails with
 * a message that says so.
 *
 * @example
 * const bucket = await createJobBucket(s3, `tsmpi-${jobId}`);
 */
export async function createJobBucket(s3: S3Client, name: string): Promise<string | undefined> {
  const bucket = name.toLowerCase();
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return bucket;
  } catch {
    return undefined;
  }
}

/** Deletes a bucket made by {@link createJobBucket}; empty it first (`deleteJobObjects`). */
export async function deleteJobBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}
