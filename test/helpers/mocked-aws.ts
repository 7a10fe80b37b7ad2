/**
 * TEST-ONLY: an SQS and an S3 client whose calls are answered by aws-sdk-client-mock (for unit
 * tests of error paths), reset after each test of the file that calls this at its top level.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach } from 'vitest';

export function mockedAwsClients() {
  const config = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };
  const sqs = new SQSClient(config);
  const s3 = new S3Client(config);
  const sqsMock = mockClient(sqs);
  const s3Mock = mockClient(s3);
  afterEach(() => {
    sqsMock.reset();
    s3Mock.reset();
  });
  return { sqs, s3, sqsMock, s3Mock };
}
