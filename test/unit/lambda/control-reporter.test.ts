import { PutObjectCommand } from '@aws-sdk/client-s3';
import { QueueDoesNotExist, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import {
  decodeEnvelope,
  parseReportBody,
  type ReportEnvelope,
} from '../../../sdk/runtime/lambda/control-report.js';
import { ControlReporter } from '../../../sdk/runtime/lambda/control-reporter.js';
import { mockedAwsClients } from '../../helpers/mocked-aws.js';

const { sqs, s3, sqsMock, s3Mock } = mockedAwsClients();

function sent(): ReportEnvelope[] {
  return sqsMock.commandCalls(SendMessageCommand).map((c) => {
    const parsed = parseReportBody(c.args[0].input.MessageBody ?? '');
    if (!('bytes' in parsed)) throw new Error('pointer');
    return decodeEnvelope(parsed.bytes, 'j1', 4);
  });
}

const usage = { durationMs: 1, initMs: 0, memoryMb: 128, calls: {} };

describe('ControlReporter', () => {
  it('batches output lines and sends them before a later report, numbering everything in order', async () => {
    sqsMock.on(SendMessageCommand).resolves({});
    const r = new ControlReporter({ sqs, controlUrl: 'u', jobId: 'j1', rank: 2, flushMs: 60_000 });
    r.output('stdout', 'a');
    r.output('stderr', 'b');
    await r.report({ type: 'abort', errorcode: 3 });
    r.output('stdout', 'c');
    await r.close();
    expect(sent().map((e) => [e.seq, e.report])).toEqual([
      [
        0,
        {
          type: 'output',
          lines: [
            ['stdout', 'a'],
            ['stderr', 'b'],
          ],
        },
      ],
      [1, { type: 'abort', errorcode: 3 }],
      [2, { type: 'output', lines: [['stdout', 'c']] }],
    ]);
  });

  it('offloads a report too large for a message to S3 under payloads/<jobId>/ and sends a pointer', async () => {
    sqsMock.on(SendMessageCommand).resolves({});
    s3Mock.on(PutObjectCommand).resolves({});
    const r = new ControlReporter({ sqs, s3, bucket: 'b', controlUrl: 'u', jobId: 'j1', rank: 0 });
    const stats = { messagesSent: 0, bytesSent: 0, messagesDelivered: 0, duplicatesDropped: 0 };
    await r.report({ type: 'done', value: new Uint8Array(1_000_000), computeMs: 1, stats, usage });
    expect(s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input.Key).toBe('payloads/j1/reports/0-0.bin');
    expect(JSON.parse(sqsMock.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageBody!)).toMatchObject(
      {
        tsmpi: 'report',
        key: 'payloads/j1/reports/0-0.bin',
      },
    );
  });

  it('notices once that the control queue is gone (the launcher ended the job) and stops sending', async () => {
    sqsMock.on(SendMessageCommand).rejects(new QueueDoesNotExist({ message: 'gone', $metadata: {} }));
    let gone = 0;
    const r = new ControlReporter({ sqs, controlUrl: 'u', jobId: 'j1', rank: 0, onJobGone: () => gone++ });
    await r.report({ type: 'abort', errorcode: 1 });
    await r.report({ type: 'abort', errorcode: 1 });
    expect(gone).toBe(1);
    expect(r.jobGone).toBe(true);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(1);
  });

  it('throws at once for a result that cannot be sent (encoding happens in report())', () => {
    const r = new ControlReporter({ sqs, controlUrl: 'u', jobId: 'j1', rank: 0 });
    const stats = { messagesSent: 0, bytesSent: 0, messagesDelivered: 0, duplicatesDropped: 0 };
    expect(() => r.report({ type: 'done', value: () => 1, computeMs: 0, stats, usage })).toThrow(/function/);
  });
});
