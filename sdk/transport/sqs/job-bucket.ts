import {
  CreateBucketCommand,
  DeleteBucketCommand,
  HeadBucketCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

/**
 * Creates a bucket for one job's offloaded payloads, named `<prefix>-<jobId>` in lower case, for
 * a run that was given none (the sqs backend on an emulator). Returns its name, or undefined
 * when the endpoint would not create it: then frames over the SQS limit fail with a message that
 * says so. Delete it with `deleteJobBucket` after `deleteJobObjects`.
 *
 * @example
 * const bucket = await createJobBucket({ s3, prefix: 'tsmpi', jobId: 'j42' }); // 'tsmpi-j42'
 */
export async function createJobBucket(options: {
  s3: S3Client;
  prefix: string;
  jobId: string;
}): Promise<string | undefined> {
  const bucket = `${options.prefix}-${options.jobId}`.toLowerCase();
  try {
    await options.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch {
    return undefined;
  }
  try {
    await options.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return bucket;
  } catch {
    // Made but not usable: not left behind.
    await options.s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
    return undefined;
  }
}

/** Deletes a bucket made by `createJobBucket`; it must be empty (see `deleteJobObjects`). */
export async function deleteJobBucket(options: { s3: S3Client; bucket: string }): Promise<void> {
  await options.s3.send(new DeleteBucketCommand({ Bucket: options.bucket }));
}
