import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { resolveRetryPolicy } from '../../base/retry.js';
import { payloadPrefix } from '../../base/stack-contract.js';
import { withRetries } from './retry.js';

/** The S3 key prefix of a job's offloaded payloads: `payloads/<jobId>/` (the stack's IAM policy and lifecycle rule cover `payloads/`). */
export function jobObjectPrefix(jobId: string): string {
  return payloadPrefix(jobId);
}

/**
 * Deletes whatever offloaded payloads of a job are left in the bucket: those whose pointer
 * message was never consumed because the job failed or was aborted. Call it with the queue
 * cleanup at the end of a job; a lifecycle rule on the bucket is the backstop.
 *
 * @example
 * await deleteJobObjects({ s3, bucket, jobId: 'j42' });
 */
export async function deleteJobObjects(options: {
  s3: S3Client;
  bucket: string;
  jobId: string;
}): Promise<{ deleted: number }> {
  const { s3, bucket, jobId } = options;
  if (typeof jobId !== 'string' || !/^[A-Za-z0-9_-]+$/.test(jobId)) {
    throw new TypeError(
      `Expected \`jobId\` to be a non-empty string of [A-Za-z0-9_-], got \`${String(jobId)}\``,
    );
  }
  const policy = resolveRetryPolicy(undefined, 'deleteJobObjects');
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await withRetries(
      () =>
        s3.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: jobObjectPrefix(jobId),
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        ),
      { policy, what: `ListObjectsV2 s3://${bucket}/${jobObjectPrefix(jobId)}` },
    );
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
    if (keys.length > 0) {
      // A 200 answer may still list keys it did not delete (DeleteObjects API reference): those
      // are tried again, as a failed call is, while their errors are transient.
      let left = keys;
      await withRetries(
        async () => {
          const res = await s3.send(
            new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: left, Quiet: true } }),
          );
          const failed = new Set((res.Errors ?? []).flatMap((e) => (e.Key === undefined ? [] : [e.Key])));
          if (failed.size === 0) return;
          left = left.filter((k) => failed.has(k.Key));
          const first = res.Errors!.find((e) => e.Key !== undefined)!;
          throw Object.assign(
            new Error(
              `${failed.size} of the job's objects were not deleted, e.g. ${first.Key}: ${first.Code ?? 'no code'} ${first.Message ?? ''}`.trim(),
            ),
            { name: first.Code ?? 'Error' },
          );
        },
        { policy, what: `DeleteObjects s3://${bucket}/${jobObjectPrefix(jobId)}` },
      );
      deleted += keys.length;
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return { deleted };
}
