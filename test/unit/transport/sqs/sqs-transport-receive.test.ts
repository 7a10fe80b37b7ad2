import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import type { SqsTransport } from '../../../../sdk/transport/sqs/sqs-transport.js';
import {
  deferred,
  forever,
  inlineMessage,
  newClients,
  queueGone,
  serverError,
  throttled,
  transport,
} from './helpers.js';

function setup() {
  const { sqs, s3 } = newClients();
  return { sqs, s3, sqsMock: mockClient(sqs), s3Mock: mockClient(s3) };
}

function messages(n: number, from = 0): Message[] {
  return Array.from({ length: n }, (_, i) => inlineMessage(new Uint8Array([from + i]), `h${from + i}`));
}

/** Starts `t`, recording frames and errors; `frames(n)` resolves once n frames arrived. */
function run(t: SqsTransport) {
  const got: number[] = [];
  const errors: Error[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const firstError = deferred<Error>();
  t.start(
    (frames) => {
      for (const f of frames) got.push(f.length === 0 ? -1 : f[0]!);
      for (const w of waiters) if (got.length >= w.n) w.resolve();
    },
    (err) => {
      errors.push(err);
      firstError.resolve(err);
    },
  );
  return {
    got,
    errors,
    firstError: firstError.promise,
    frames(n: number): Promise<void> {
      if (got.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
  };
}

describe('SqsTransport receiving', () => {
  it('long-polls its own queue for up to 10 messages with the frame attribute', async () => {
    const { sqs, sqsMock } = setup();
    sqsMock.on(ReceiveMessageCommand).callsFake(() => forever());
    const t = transport(sqs, { rank: 1 });
    run(t);
    const [call] = sqsMock.commandCalls(ReceiveMessageCommand);
    expect(call!.args[0].input).toEqual({
      QueueUrl: 'https://sqs.test/000/q-1',
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 20,
      MessageAttributeNames: ['f'],
    });
    await t.close();
  });

  it('hands frames over before deleting their messages, in one DeleteMessageBatch', async () => {
    const { sqs, sqsMock } = setup();
    const log: string[] = [];
    const deleted = deferred();
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: messages(3) })
      .callsFake(() => forever());
    sqsMock
      .on(DeleteMessageBatchCommand)
      .callsFake((input: { Entries: { Id: string; ReceiptHandle: string }[] }) => {
        log.push(`delete ${input.Entries.map((e) => e.ReceiptHandle).join(',')}`);
        deleted.resolve();
        return { Successful: input.Entries.map((e) => ({ Id: e.Id })), Failed: [] };
      });
    const t = transport(sqs);
    t.start(
      (frames) => log.push(`frames ${frames.map((f) => f[0]).join(',')}`),
      (err) => log.push(`error ${err.message}`),
    );
    await deleted.promise;
    expect(log).toEqual(['frames 0,1,2', 'delete h0,h1,h2']);
    await t.close();
  });

  it('loses nothing when deletes keep failing: frames are delivered once and no error is raised', async () => {
    const { sqs, sqsMock } = setup();
    const deletesDone = deferred();
    let deletes = 0;
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: messages(3) })
      .callsFake(() => forever());
    sqsMock.on(DeleteMessageBatchCommand).callsFake(() => {
      if (++deletes === 4) deletesDone.resolve();
      return Promise.reject(serverError());
    });
    const t = transport(sqs);
    const r = run(t);
    await deletesDone.promise;
    await t.close();
    expect(r.got).toEqual([0, 1, 2]);
    expect(r.errors).toEqual([]);
    // 4 attempts, then the 3 messages are left to come back as duplicates the channel drops.
    expect(t.stats()).toMatchObject({ deleteFailures: 3, messagesReceived: 3 });
  });

  it('retries the entries of a DeleteMessageBatch that failed on the server side only', async () => {
    const { sqs, sqsMock } = setup();
    const second = deferred<string[]>();
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: messages(3) })
      .callsFake(() => forever());
    sqsMock
      .on(DeleteMessageBatchCommand)
      .callsFakeOnce((input: { Entries: { Id: string }[] }) => ({
        Successful: [{ Id: input.Entries[0]!.Id }],
        Failed: [
          { Id: input.Entries[1]!.Id, SenderFault: false, Code: 'InternalError' },
          { Id: input.Entries[2]!.Id, SenderFault: true, Code: 'ReceiptHandleIsInvalid' },
        ],
      }))
      .callsFake((input: { Entries: { Id: string; ReceiptHandle: string }[] }) => {
        second.resolve(input.Entries.map((e) => e.ReceiptHandle));
        return { Successful: input.Entries.map((e) => ({ Id: e.Id })), Failed: [] };
      });
    const t = transport(sqs);
    run(t);
    expect(await second.promise).toEqual(['h1']);
    await t.close();
    expect(t.stats().deleteFailures).toBe(1);
  });

  it('reports QUEUE_GONE through onError when its own queue is deleted, and stops polling', async () => {
    const { sqs, sqsMock } = setup();
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: messages(2) })
      .rejects(queueGone());
    const t = transport(sqs, { rank: 2 });
    const r = run(t);
    const err = await r.firstError;
    expect(err).toMatchObject({
      code: 'QUEUE_GONE',
      message:
        'the queue of rank 2 was deleted mid-job: the job was aborted or its queues swept (https://sqs.test/000/q-2)',
    });
    expect(r.got).toEqual([0, 1]);
    await t.close();
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(2);
    expect(r.errors).toHaveLength(1);
  });

  it('retries throttled receives and keeps delivering', async () => {
    const { sqs, sqsMock } = setup();
    sqsMock
      .on(ReceiveMessageCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(serverError())
      .resolvesOnce({ Messages: messages(1) })
      .callsFake(() => forever());
    const t = transport(sqs);
    const r = run(t);
    await r.frames(1);
    expect(r.errors).toEqual([]);
    expect(t.stats().retries).toBe(2);
    await t.close();
  });

  it('adds pollers while receives come back full and drops back to one when they come back short', async () => {
    const { sqs, sqsMock } = setup();
    let call = 0;
    const hung = deferred();
    sqsMock.on(DeleteMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id })),
      Failed: [],
    }));
    sqsMock.on(ReceiveMessageCommand).callsFake(async () => {
      call++;
      if (call <= 6) return { Messages: messages(10, call * 10) };
      if (call <= 30) return { Messages: messages(1, 1000 + call) };
      hung.resolve();
      return forever();
    });
    const t = transport(sqs, { maxPollers: 4 });
    run(t);
    await hung.promise;
    const s = t.stats();
    expect(s.peakPollers).toBeGreaterThan(1);
    expect(s.peakPollers).toBeLessThanOrEqual(4);
    expect(s.pollers).toBe(1);
    await t.close();
  });

  it('fetches an offloaded frame from S3, delivers it, then deletes the object and the message', async () => {
    const { sqs, s3, sqsMock, s3Mock } = setup();
    const log: string[] = [];
    const done = deferred();
    const payload = new Uint8Array(2_000_000).fill(3);
    const pointer = { tsmpi: 's3', bucket: 'bkt', key: 'job1/abc', bytes: payload.length };
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ ReceiptHandle: 'hp', Body: JSON.stringify(pointer) }] })
      .callsFake(() => forever());
    s3Mock.on(GetObjectCommand).resolves({ Body: { transformToByteArray: async () => payload } as never });
    s3Mock.on(DeleteObjectCommand).callsFake((input: { Key: string }) => {
      log.push(`delete object ${input.Key}`);
      return {};
    });
    sqsMock
      .on(DeleteMessageBatchCommand)
      .callsFake((input: { Entries: { Id: string; ReceiptHandle: string }[] }) => {
        log.push(`delete message ${input.Entries[0]!.ReceiptHandle}`);
        done.resolve();
        return { Successful: input.Entries.map((e) => ({ Id: e.Id })), Failed: [] };
      });
    const t = transport(sqs, { s3, bucket: 'bkt' });
    t.start(
      (frames) => log.push(`frame ${frames[0]!.length}`),
      (err) => log.push(`error ${err.message}`),
    );
    await done.promise;
    expect(log).toEqual(['frame 2000000', 'delete object job1/abc', 'delete message hp']);
    await t.close();
  });

  it('treats a missing payload as a duplicate if it was delivered, and as PAYLOAD_LOST otherwise', async () => {
    const { sqs, s3, sqsMock, s3Mock } = setup();
    const pointer = (key: string) => JSON.stringify({ tsmpi: 's3', bucket: 'bkt', key, bytes: 4 });
    const noSuchKey = Object.assign(new Error('The specified key does not exist.'), {
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ ReceiptHandle: 'a1', Body: pointer('job1/a') }] })
      .resolvesOnce({ Messages: [{ ReceiptHandle: 'a2', Body: pointer('job1/a') }] })
      .resolvesOnce({ Messages: [{ ReceiptHandle: 'b1', Body: pointer('job1/b') }] })
      .callsFake(() => forever());
    s3Mock
      .on(GetObjectCommand)
      .resolvesOnce({ Body: { transformToByteArray: async () => new Uint8Array([1, 2, 3, 4]) } as never })
      .rejects(noSuchKey);
    s3Mock.on(DeleteObjectCommand).resolves({});
    sqsMock.on(DeleteMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id })),
      Failed: [],
    }));
    const t = transport(sqs, { s3, bucket: 'bkt' });
    const r = run(t);
    const err = await r.firstError;
    expect(err).toMatchObject({
      code: 'PAYLOAD_LOST',
      message: expect.stringContaining('the payload of a frame for rank 0 is missing from s3://bkt/job1/b'),
    });
    expect(r.got).toEqual([1]);
    await t.close();
    const deletedHandles = sqsMock
      .commandCalls(DeleteMessageBatchCommand)
      .flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => e.ReceiptHandle));
    expect(deletedHandles.sort()).toEqual(['a1', 'a2']);
  });

  it('reports a message it did not write as BAD_MESSAGE', async () => {
    const { sqs, sqsMock } = setup();
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ ReceiptHandle: 'x', Body: 'hello world' }] })
      .callsFake(() => forever());
    const t = transport(sqs);
    const err = await run(t).firstError;
    expect(err).toMatchObject({ code: 'BAD_MESSAGE' });
    expect(err.message).toMatch(/is not a tsmpi frame/);
    await t.close();
  });

  it('reports a throwing frame handler through onError and does not delete its messages', async () => {
    const { sqs, sqsMock } = setup();
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: messages(2) })
      .callsFake(() => forever());
    const t = transport(sqs);
    const err = await new Promise<Error>((resolve) =>
      t.start(() => {
        throw new Error('boom');
      }, resolve),
    );
    expect(err.message).toBe('the frame handler of rank 0 threw: boom');
    await t.close();
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
  });

  it('close() aborts a pending long poll and resolves, leaving no poller', async () => {
    const { sqs, sqsMock } = setup();
    const polling = deferred<AbortSignal | undefined>();
    sqsMock.on(ReceiveMessageCommand).callsFake(() => {
      polling.resolve(undefined);
      return forever();
    });
    const t = transport(sqs);
    run(t);
    await polling.promise;
    await t.close();
    expect(t.stats().pollers).toBe(0);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
  });

  it('passes an abort signal to every call and aborts it on close()', async () => {
    const { sqs } = setup();
    const signals: AbortSignal[] = [];
    const client = new Proxy(sqs, {
      get(target, prop) {
        if (prop !== 'send') return Reflect.get(target, prop, target);
        return (_cmd: unknown, opts?: { abortSignal?: AbortSignal }) => {
          if (opts?.abortSignal) signals.push(opts.abortSignal);
          return forever();
        };
      },
    });
    const t = transport(client);
    run(t);
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(false);
    await t.close();
    expect(signals[0]!.aborted).toBe(true);
  });

  it('start() twice is a usage error', async () => {
    const { sqs, sqsMock } = setup();
    sqsMock.on(ReceiveMessageCommand).callsFake(() => forever());
    const t = transport(sqs);
    run(t);
    expect(() =>
      t.start(
        () => undefined,
        () => undefined,
      ),
    ).toThrow(/start\(\) was called twice on rank 0/);
    await t.close();
  });
});
