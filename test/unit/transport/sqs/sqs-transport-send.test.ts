import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { SQS_STANDARD_USD_PER_REQUEST } from '../../../../sdk/base/prices.js';
import {
  acceptAll,
  deferred,
  entryFrame,
  newClients,
  queueGone,
  serverError,
  throttled,
  transport,
} from './helpers.js';

function setup() {
  const { sqs, s3 } = newClients();
  const sqsMock = mockClient(sqs);
  const s3Mock = mockClient(s3);
  return { sqs, s3, sqsMock, s3Mock };
}

function batchesSent(sqsMock: ReturnType<typeof setup>['sqsMock']): SendMessageBatchRequestEntry[][] {
  return sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries ?? []);
}

describe('SqsTransport sending', () => {
  it('retries a throttled batch with backoff and resolves once SQS accepts it', async () => {
    const { sqs, sqsMock } = setup();
    sqsMock
      .on(SendMessageBatchCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(serverError())
      .callsFake((input) => acceptAll(input));
    const t = transport(sqs);
    await t.send(1, new Uint8Array([1, 2, 3]));
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
    expect(t.stats()).toMatchObject({ messagesSent: 1, bytesSent: 3, retries: 2 });
    await t.close();
  });

  it('rejects with RETRIES_EXHAUSTED, naming the rank and the last error, once the attempts run out', async () => {
    const { sqs, sqsMock } = setup();
    sqsMock.on(SendMessageBatchCommand).rejects(throttled());
    const t = transport(sqs, { retry: { baseDelayMs: 0, maxDelayMs: 0, maxAttempts: 3 } });
    const err = await t.send(2, new Uint8Array([9])).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'SqsTransportError', code: 'RETRIES_EXHAUSTED' });
    expect((err as Error).message).toMatch(
      /^SendMessageBatch to the queue of rank 2 still failed after 3 attempts \(last error RequestThrottled: Rate exceeded\)/,
    );
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
    await t.close();
  });

  it('resends exactly the entries a batch reported as failed, with their frames unchanged', async () => {
    const { sqs, sqsMock } = setup();
    sqsMock
      .on(SendMessageBatchCommand)
      .callsFakeOnce((input) => acceptAll(input))
      .callsFakeOnce((input: { Entries: SendMessageBatchRequestEntry[] }) => ({
        Successful: input.Entries.filter((_, i) => i % 2 === 0).map((e) => ({ Id: e.Id })),
        Failed: input.Entries.filter((_, i) => i % 2 === 1).map((e) => ({
          Id: e.Id,
          SenderFault: false,
          Code: 'InternalError',
          Message: 'try again',
        })),
      }))
      .callsFake((input) => acceptAll(input));
    const t = transport(sqs);
    const frames = Array.from({ length: 6 }, (_, i) => new Uint8Array([i, i + 1, i + 2]));
    await t.send(1, frames[0]!);
    await Promise.all(frames.slice(1).map((f) => t.send(1, f)));
    const [first, ...rest] = batchesSent(sqsMock);
    // The first frame went alone; the next five, sent in one turn, went together.
    expect(first).toHaveLength(1);
    expect(rest[0]).toHaveLength(5);
    const failedIds = rest[0]!.filter((_, i) => i % 2 === 1).map((e) => e.Id);
    const resent = rest[1]!;
    expect(resent.map((e) => e.Id)).toEqual(failedIds);
    for (const e of resent) {
      const original = rest[0]!.find((o) => o.Id === e.Id)!;
      expect([...entryFrame(e)]).toEqual([...entryFrame(original)]);
    }
    expect(t.stats().messagesSent).toBe(6);
    await t.close();
  });

  it('rejects only the frame SQS refused as a sender fault, with the code and message', async () => {
    const { sqs, sqsMock } = setup();
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => ({
      Successful: [],
      Failed: input.Entries.map((e) => ({
        Id: e.Id,
        SenderFault: true,
        Code: 'InvalidMessageContents',
        Message: 'bad',
      })),
    }));
    const t = transport(sqs);
    await expect(t.send(1, new Uint8Array([1]))).rejects.toThrow(
      /SendMessageBatch to the queue of rank 1: SQS rejected a frame of 1 bytes: InvalidMessageContents: bad/,
    );
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
    await t.close();
  });

  it('rejects with QUEUE_GONE naming the rank when its queue does not exist, and fails later sends at once', async () => {
    const { sqs, sqsMock } = setup();
    sqsMock.on(SendMessageBatchCommand).rejects(queueGone());
    const t = transport(sqs);
    const sends = [t.send(2, new Uint8Array([1])), t.send(2, new Uint8Array([2]))];
    for (const s of sends) {
      await expect(s).rejects.toMatchObject({
        code: 'QUEUE_GONE',
        message: expect.stringMatching(
          /^the queue of rank 2 does not exist \(https:\/\/sqs\.test\/000\/q-2\)/,
        ),
      });
    }
    const calls = sqsMock.commandCalls(SendMessageBatchCommand).length;
    await expect(t.send(2, new Uint8Array([3]))).rejects.toMatchObject({ code: 'QUEUE_GONE' });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(calls);
    await t.close();
  });

  it('sends a lone frame as soon as the sending code yields, then batches 10 frames sent meanwhile into one call', async () => {
    const { sqs, sqsMock } = setup();
    const gate = deferred();
    sqsMock
      .on(SendMessageBatchCommand)
      .callsFakeOnce(async (input) => {
        await gate.promise;
        return acceptAll(input);
      })
      .callsFake((input) => acceptAll(input));
    const t = transport(sqs);
    const first = t.send(1, new Uint8Array([0]));
    // It leaves on the microtask after the sending code's turn: nothing waits for a timer or for company.
    expect(batchesSent(sqsMock)).toEqual([]);
    await Promise.resolve();
    expect(batchesSent(sqsMock)).toEqual([[expect.objectContaining({ MessageBody: 'f' })]]);
    const rest = Array.from({ length: 10 }, (_, i) => t.send(1, new Uint8Array([i + 1])));
    gate.resolve();
    await Promise.all([first, ...rest]);
    const batches = batchesSent(sqsMock);
    expect(batches.map((b) => b.length)).toEqual([1, 10]);
    expect(batches.flat().map((e) => entryFrame(e)[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await t.close();
  });

  it('holds a partial batch while one is in flight (Nagle) and sends it when that one returns', async () => {
    const { sqs, sqsMock } = setup();
    const gate = deferred();
    sqsMock
      .on(SendMessageBatchCommand)
      .callsFakeOnce(async (input) => {
        await gate.promise;
        return acceptAll(input);
      })
      .callsFake((input) => acceptAll(input));
    const t = transport(sqs);
    const sends = [t.send(1, new Uint8Array([1]))];
    await Promise.resolve();
    sends.push(...[2, 3].map((i) => t.send(1, new Uint8Array([i]))));
    await Promise.resolve();
    expect(batchesSent(sqsMock).map((b) => b.length)).toEqual([1]);
    gate.resolve();
    await Promise.all(sends);
    expect(batchesSent(sqsMock).map((b) => b.length)).toEqual([1, 2]);
    // Frames to another queue never wait for this one.
    await t.send(2, new Uint8Array([4]));
    await t.close();
  });

  it('sends the frames one turn sends to a queue in one call per queue (a flat bcast to the ranks of a node)', async () => {
    const { sqs, sqsMock } = setup();
    sqsMock.on(SendMessageBatchCommand).callsFake((input) => acceptAll(input));
    const t = transport(sqs);
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 8; i++) sends.push(t.send(1 + (i % 2), new Uint8Array([i])));
    await Promise.all(sends);
    const calls = sqsMock.commandCalls(SendMessageBatchCommand).map((c) => ({
      url: c.args[0].input.QueueUrl,
      frames: (c.args[0].input.Entries ?? []).map((e) => entryFrame(e)[0]),
    }));
    expect(calls).toHaveLength(2);
    expect(calls.map((c) => c.frames).sort()).toEqual([
      [0, 2, 4, 6],
      [1, 3, 5, 7],
    ]);
    expect(new Set(calls.map((c) => c.url)).size).toBe(2);
    await t.close();
  });

  it('keeps every batch within 10 entries and 1 MiB of payload', async () => {
    const { sqs, sqsMock } = setup();
    sqsMock.on(SendMessageBatchCommand).callsFake((input) => acceptAll(input));
    const t = transport(sqs);
    const sizes = [300_000, 300_000, 300_000, 300_000, 300_000, 300_000, 300_000, 10, 10, 10, 10, 10, 10, 10];
    await Promise.all(sizes.map((n) => t.send(1, new Uint8Array(n))));
    const batches = batchesSent(sqsMock);
    expect(batches.flat()).toHaveLength(sizes.length);
    for (const b of batches) {
      expect(b.length).toBeLessThanOrEqual(10);
      const bytes = b.reduce((n, e) => n + 1 + 1 + 'Binary'.length + entryFrame(e).length, 0);
      expect(bytes).toBeLessThanOrEqual(1_048_576);
    }
    // 2.1 MB cannot go in fewer than 3 calls.
    expect(batches.length).toBeGreaterThanOrEqual(3);
    await t.close();
  });

  it('re-plans a batch the endpoint rejects as too long, counting binary attributes as base64 from then on', async () => {
    const { sqs, sqsMock } = setup();
    const tooLong = Object.assign(new Error('Batch requests cannot be longer than 1048576 bytes.'), {
      name: 'BatchRequestTooLong',
      $metadata: { httpStatusCode: 400 },
    });
    const gate = deferred();
    sqsMock
      .on(SendMessageBatchCommand)
      .callsFakeOnce(async (input) => {
        await gate.promise;
        return acceptAll(input);
      })
      .rejectsOnce(tooLong)
      .callsFake((input) => acceptAll(input));
    const t = transport(sqs);
    const sends = [t.send(1, new Uint8Array(1))];
    await Promise.resolve();
    for (let i = 0; i < 4; i++) sends.push(t.send(1, new Uint8Array(250_000)));
    gate.resolve();
    await Promise.all(sends);
    expect(t.stats().binaryAccounting).toBe('base64');
    const batches = batchesSent(sqsMock);
    // [1], the rejected [4 x 250 kB], then batches that fit when counted as base64.
    expect(batches[1]).toHaveLength(4);
    for (const b of batches.slice(2)) {
      const base64 = b.reduce((n, e) => n + 8 + 4 * Math.ceil(entryFrame(e).length / 3), 0);
      expect(base64).toBeLessThanOrEqual(1_048_576);
    }
    expect(t.stats().messagesSent).toBe(5);
    await t.close();
  });

  it('offloads a frame too large for SQS to S3 under the job id and sends a pointer', async () => {
    const { sqs, s3, sqsMock, s3Mock } = setup();
    sqsMock.on(SendMessageBatchCommand).callsFake((input) => acceptAll(input));
    s3Mock.on(PutObjectCommand).rejectsOnce(serverError()).resolves({});
    const t = transport(sqs, { s3, bucket: 'bkt' });
    const frame = new Uint8Array(2_000_000).fill(7);
    await t.send(1, frame);
    const put = s3Mock.commandCalls(PutObjectCommand);
    expect(put).toHaveLength(2);
    const key = put[0]!.args[0].input.Key!;
    expect(key).toMatch(/^payloads\/job1\/r0\/[0-9a-f-]{36}$/);
    expect(put[0]!.args[0].input.Body).toBe(frame);
    const [entry] = batchesSent(sqsMock).flat();
    expect(JSON.parse(entry!.MessageBody!)).toEqual({ tsmpi: 's3', bucket: 'bkt', key, bytes: 2_000_000 });
    expect(entry!.MessageAttributes).toBeUndefined();
    expect(t.stats()).toMatchObject({ offloads: 1, messagesSent: 1, bytesSent: 2_000_000 });
    await t.close();
  });

  it('explains an S3 upload that is denied instead of passing the SDK error through', async () => {
    const { sqs, s3, s3Mock } = setup();
    s3Mock.on(PutObjectCommand).rejects(
      Object.assign(new Error('Access Denied'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const t = transport(sqs, { s3, bucket: 'bkt' });
    await expect(t.send(1, new Uint8Array(1_100_000))).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      message: expect.stringMatching(
        /^PutObject s3:\/\/bkt\/payloads\/job1\/\S+ \(a frame for rank 1\): access denied by S3/,
      ),
    });
    await t.close();
  });

  it('rejects a frame too large for SQS with FRAME_TOO_LARGE when no bucket is configured', async () => {
    const { sqs } = setup();
    const t = transport(sqs);
    await expect(t.send(1, new Uint8Array(1_100_000))).rejects.toMatchObject({
      code: 'FRAME_TOO_LARGE',
      message: expect.stringContaining('pass `s3` and `bucket` to SqsTransport'),
    });
    await t.close();
  });

  it('counts calls by action and estimates cost from 64 KiB billing chunks', async () => {
    const { sqs, sqsMock } = setup();
    sqsMock.on(SendMessageBatchCommand).callsFake((input) => acceptAll(input));
    const t = transport(sqs);
    await t.send(1, new Uint8Array(200 * 1024)); // 200 KiB + 8 bytes: 4 chunks
    const s = t.stats();
    expect(s.calls).toEqual({ SendMessageBatch: 1 });
    expect(s.sqsBilledRequests).toBe(4);
    expect(s.costUsd).toBeCloseTo(4 * SQS_STANDARD_USD_PER_REQUEST, 12);
    await t.close();
  });

  it('rejects bad destinations and non-byte frames at the call', async () => {
    const { sqs } = setup();
    const t = transport(sqs);
    await expect(t.send(3, new Uint8Array(1))).rejects.toThrow(
      'Expected `dst` to be an integer in [0, 3), got `3` (number)',
    );
    await expect(t.send(1, 'hi' as unknown as Uint8Array)).rejects.toThrow(
      /Expected `frame` to be a Uint8Array/,
    );
    await t.close();
  });

  it('lets close() finish accepted sends within the grace period', async () => {
    const { sqs, sqsMock } = setup();
    const gate = deferred();
    sqsMock.on(SendMessageBatchCommand).callsFake(async (input) => {
      await gate.promise;
      return acceptAll(input);
    });
    const t = transport(sqs, { closeGraceMs: 10_000 });
    const sent = t.send(1, new Uint8Array([1]));
    const queued = t.send(1, new Uint8Array([2]));
    const closed = t.close();
    gate.resolve();
    await Promise.all([sent, queued, closed]);
    expect(t.stats().messagesSent).toBe(2);
  });

  it('rejects sends still unfinished when the grace period of close() ends', async () => {
    const { sqs, sqsMock } = setup();
    sqsMock.on(SendMessageBatchCommand).callsFake(() => new Promise(() => undefined));
    const t = transport(sqs, { closeGraceMs: 0 });
    const sends = [t.send(1, new Uint8Array([1])), t.send(1, new Uint8Array([2]))];
    await t.close();
    for (const s of sends) await expect(s).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
