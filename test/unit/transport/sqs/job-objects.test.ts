import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteJobObjects } from '../../../../sdk/transport/sqs/job-objects.js';

// DeleteObjects answers 200 while listing, per key, what it did not delete ("check the response
// for errors", DeleteObjects API reference; in quiet mode only those are listed).
const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
const s3Mock = mockClient(s3);
afterEach(() => s3Mock.reset());

const listed = { Contents: [{ Key: 'payloads/j1/a' }, { Key: 'payloads/j1/b' }, { Key: 'payloads/j1/c' }] };
const keysOf = (i: number) =>
  s3Mock.commandCalls(DeleteObjectsCommand)[i]!.args[0].input.Delete!.Objects!.map((o) => o.Key);

describe('deleteJobObjects', () => {
  it('tries again the keys a 200 answer lists as not deleted while their errors are transient', async () => {
    s3Mock.on(ListObjectsV2Command).resolves(listed);
    s3Mock
      .on(DeleteObjectsCommand)
      .resolvesOnce({
        Errors: [{ Key: 'payloads/j1/b', Code: 'SlowDown', Message: 'Reduce your request rate.' }],
      })
      .resolves({});
    await expect(deleteJobObjects({ s3, bucket: 'bk', jobId: 'j1' })).resolves.toEqual({ deleted: 3 });
    expect([keysOf(0), keysOf(1)]).toEqual([
      ['payloads/j1/a', 'payloads/j1/b', 'payloads/j1/c'],
      ['payloads/j1/b'],
    ]);
  });

  it('rejects naming a key and its error when some are refused, instead of counting them deleted', async () => {
    s3Mock.on(ListObjectsV2Command).resolves(listed);
    s3Mock.on(DeleteObjectsCommand).resolves({
      Errors: [
        { Key: 'payloads/j1/a', Code: 'AccessDenied', Message: 'Access Denied' },
        { Key: 'payloads/j1/c', Code: 'AccessDenied', Message: 'Access Denied' },
      ],
    });
    await expect(deleteJobObjects({ s3, bucket: 'bk', jobId: 'j1' })).rejects.toThrow(
      "2 of the job's objects were not deleted, e.g. payloads/j1/a: AccessDenied Access Denied",
    );
    expect(s3Mock.commandCalls(DeleteObjectsCommand)).toHaveLength(1); // not transient: no retry
  });
});
