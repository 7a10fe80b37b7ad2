import { HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createJobBucket, deleteJobBucket } from '../../../sdk/transport/sqs/job-bucket.js';
import { deleteJobObjects } from '../../../sdk/transport/sqs/job-objects.js';
import { useFauxqs } from '../../helpers/fauxqs.js';

const fx = useFauxqs();

describe('a job bucket', () => {
  it('is created as <prefix>-<jobId> in lower case, holds payloads, and is gone after deleteJobBucket', async () => {
    const bucket = await createJobBucket({ s3: fx.s3, prefix: 'Tsmpi', jobId: 'JobA1' });
    expect(bucket).toBe('tsmpi-joba1');
    await fx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'payloads/JobA1/x', Body: 'x' }));
    await deleteJobObjects({ s3: fx.s3, bucket: bucket!, jobId: 'JobA1' });
    await deleteJobBucket({ s3: fx.s3, bucket: bucket! });
    await expect(fx.s3.send(new HeadBucketCommand({ Bucket: bucket }))).rejects.toThrow();
  });

  it('is undefined, not an error, where the endpoint refuses to create it', async () => {
    // An S3 client whose every call fails: what a run without bucket permissions meets.
    const refusing = { send: () => Promise.reject(new Error('AccessDenied')) } as unknown as typeof fx.s3;
    await expect(createJobBucket({ s3: refusing, prefix: 'tsmpi', jobId: 'j1' })).resolves.toBeUndefined();
  });
});
