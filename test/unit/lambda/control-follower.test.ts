import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { payloadPrefix } from '../../../sdk/base/stack-contract.js';
import { ControlFollower } from '../../../sdk/launch/lambda/control-follower.js';
import { encodeEnvelope, pointerBody, type RankReport } from '../../../sdk/runtime/lambda/control-report.js';
import { mockedAwsClients } from '../../helpers/mocked-aws.js';

const { sqs, s3, sqsMock, s3Mock } = mockedAwsClients();

describe('ControlFollower', () => {
  it('reads an offloaded report through S3 503 SlowDown (retried), as AWS asks of clients', async () => {
    const report: RankReport = { type: 'output', lines: [['stdout', 'big line']] };
    const bytes = encodeEnvelope({ v: 1, jobId: 'j1', rank: 1, seq: 0, report });
    const key = `${payloadPrefix('j1')}report-1-0`;
    let receives = 0;
    // One message, then empty long polls (answered a little later, as a long poll is).
    sqsMock.on(ReceiveMessageCommand).callsFake(async () => {
      if (receives++ === 0) {
        return {
          Messages: [
            {
              MessageId: 'm1',
              ReceiptHandle: 'h1',
              Body: pointerBody({ bucket: 'b', key, bytes: bytes.length }),
            },
          ],
        };
      }
      await new Promise((r) => setTimeout(r, 20));
      return {};
    });
    sqsMock.on(DeleteMessageBatchCommand).resolves({});
    const slowDown = Object.assign(new Error('Please reduce your request rate.'), {
      name: 'SlowDown',
      $metadata: { httpStatusCode: 503 },
    });
    s3Mock
      .on(GetObjectCommand)
      .rejectsOnce(slowDown)
      .resolves({ Body: { transformToByteArray: async () => bytes } } as never);
    const got: [number, RankReport][] = [];
    const errors: Error[] = [];
    // A report or an error, whichever comes first.
    let resolveReport!: () => void;
    const reported = new Promise<void>((r) => (resolveReport = r));
    const follower = new ControlFollower({
      sqs,
      s3,
      controlUrl: 'ctl',
      jobId: 'j1',
      size: 2,
      pollers: 1,
      onReport: (rank, r) => {
        got.push([rank, r]);
        resolveReport();
      },
      onNotice: () => undefined,
      onError: (err) => {
        errors.push(err);
        resolveReport();
      },
    });
    follower.start();
    await reported;
    await follower.stop();
    expect(errors).toEqual([]);
    expect(got).toEqual([[1, report]]);
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(2);
    expect(follower.calls.GetObject).toBe(2);
  });
});
