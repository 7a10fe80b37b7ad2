import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DeleteQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { SqsTransportError } from '../../../sdk/transport/sqs/errors.js';
import { createJobQueues, deleteJobQueues, findJobQueues } from '../../../sdk/transport/sqs/job-queues.js';
import { SqsTransport, type SqsTransportOptions } from '../../../sdk/transport/sqs/sqs-transport.js';
import { useFauxqs } from '../../helpers/fauxqs.js';
import { Inbox, makeFrame } from './frames.js';

const fx = useFauxqs();
const PREFIX = 'tsmpi-it';

interface Job {
  jobId: string;
  queueUrls: string[];
  transports: SqsTransport[];
  inboxes: Inbox[];
}

const jobs: Job[] = [];

async function startJob(
  size: number,
  extra: Partial<SqsTransportOptions> & { sqs?: SQSClient } = {},
  start = true,
): Promise<Job> {
  const jobId = `j${randomUUID().slice(0, 8)}`;
  const { queueUrls } = await createJobQueues({ client: fx.sqs, prefix: PREFIX, jobId, size });
  const transports = queueUrls.map(
    (_, rank) =>
      new SqsTransport({
        rank,
        size,
        queueUrls,
        sqs: fx.sqs,
        s3: fx.s3,
        bucket: fx.bucket,
        jobId,
        retry: { baseDelayMs: 1, maxDelayMs: 20 },
        ...extra,
      }),
  );
  const inboxes = transports.map((t) => new Inbox(t.rank));
  if (start) for (const t of transports) t.start(inboxes[t.rank]!.onFrames, inboxes[t.rank]!.onError);
  const job = { jobId, queueUrls, transports, inboxes };
  jobs.push(job);
  return job;
}

afterEach(async () => {
  for (const job of jobs.splice(0)) {
    await Promise.all(job.transports.map((t) => t.close()));
    await deleteJobQueues({ client: fx.sqs, queueUrls: job.queueUrls });
  }
});

describe('SqsTransport over fauxqs', () => {
  it('4 ranks sending numbered frames all-to-all deliver every frame, intact, at least once', async () => {
    const size = 4;
    const perPair = 25;
    const { transports, inboxes } = await startJob(size);
    const sends: Promise<void>[] = [];
    for (const t of transports) {
      for (let dst = 0; dst < size; dst++) {
        for (let seq = 0; seq < perPair; seq++) {
          sends.push(t.send(dst, makeFrame(t.rank, dst, seq, (seq * 997 + dst * 31) % 3000)));
        }
      }
    }
    await Promise.all(sends);
    await Promise.all(inboxes.map((box) => box.until(size * perPair)));
    for (const box of inboxes) {
      expect(box.errors).toEqual([]);
      expect(box.distinct.size).toBe(size * perPair);
    }
    for (const t of transports) {
      const s = t.stats();
      expect(s.messagesSent).toBe(size * perPair);
      // 25 quick frames to one queue: one alone, then full batches: at most 4 calls per queue.
      expect(s.calls.SendMessageBatch).toBeLessThanOrEqual(size * 4);
      expect(s.costUsd).toBeGreaterThan(0);
    }
  });

  it('a 6 MiB frame travels through S3 and its object is deleted after delivery', async () => {
    const { jobId, transports, inboxes } = await startJob(2);
    const big = makeFrame(0, 1, 7, 6 * 1024 * 1024);
    await transports[0]!.send(1, big);
    await inboxes[1]!.until(1);
    expect(inboxes[1]!.errors).toEqual([]);
    expect(transports[0]!.stats().offloads).toBe(1);
    expect(transports[0]!.stats().calls.PutObject).toBe(1);
    // The receiver deletes the object right after delivering the frame; close() waits for that.
    await transports[1]!.close();
    expect(transports[1]!.stats().calls.DeleteObject).toBe(1);
    const left = await fx.s3.send(
      new ListObjectsV2Command({ Bucket: fx.bucket, Prefix: `payloads/${jobId}/` }),
    );
    expect(left.KeyCount ?? 0).toBe(0);
  });

  it('a frame over the limit the emulator counts in base64 is re-planned through S3, not lost', async () => {
    // 900 kB inline is within AWS's 1 MiB (raw bytes) but over it for fauxqs, which counts the
    // base64 text: the transport switches its accounting and offloads the frame.
    const { transports, inboxes } = await startJob(2);
    await transports[0]!.send(1, makeFrame(0, 1, 1, 900_000));
    await inboxes[1]!.until(1);
    const s = transports[0]!.stats();
    expect(s.binaryAccounting).toBe('base64');
    expect(s.offloads).toBe(1);
  });

  it('a batch the emulator finds too long is split and re-sent, every frame delivered', async () => {
    const { transports, inboxes } = await startJob(2);
    const sends = Array.from({ length: 12 }, (_, seq) =>
      transports[0]!.send(1, makeFrame(0, 1, seq, 100_000)),
    );
    await Promise.all(sends);
    await inboxes[1]!.until(12);
    expect(inboxes[1]!.errors).toEqual([]);
    expect(transports[0]!.stats().binaryAccounting).toBe('base64');
    expect(transports[0]!.stats().offloads).toBe(0);
  });

  it('empty frames and frames with every byte value arrive unchanged', async () => {
    const { transports } = await startJob(2, {}, false);
    const got: Uint8Array[] = [];
    let done: () => void = () => undefined;
    const arrived = new Promise<void>((r) => (done = r));
    transports[1]!.start(
      (frames) => {
        got.push(...frames);
        if (got.length >= 2) done();
      },
      (err) => {
        throw err;
      },
    );
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    await Promise.all([transports[0]!.send(1, new Uint8Array(0)), transports[0]!.send(1, all)]);
    await arrived;
    const sorted = got.sort((a, b) => a.length - b.length);
    expect(sorted[0]!.length).toBe(0);
    expect([...sorted[1]!]).toEqual([...all]);
  });

  it('close() ends idle long polls promptly, is idempotent, and later sends reject as CLOSED', async () => {
    const { transports } = await startJob(2);
    const first = transports[0]!.close();
    expect(transports[0]!.close()).toBe(first);
    await first;
    expect(transports[0]!.stats().pollers).toBe(0);
    await expect(transports[0]!.send(1, new Uint8Array(1))).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('a rank whose queue was deleted gets a QUEUE_GONE error naming its rank, and stops polling', async () => {
    const { queueUrls, transports, inboxes } = await startJob(2, { newQueueGraceMs: 0 }, false);
    await fx.sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrls[1] }));
    transports[1]!.start(inboxes[1]!.onFrames, inboxes[1]!.onError);
    const err = await inboxes[1]!.nextError();
    expect(err).toBeInstanceOf(SqsTransportError);
    expect(err.message).toMatch(
      /the queue of rank 1 was deleted mid-job: the job was aborted or its queues swept/,
    );
    await transports[1]!.close();
    expect(transports[1]!.stats().pollers).toBe(0);
  });

  it('sending to a rank whose queue was deleted rejects with an error naming that rank', async () => {
    const { queueUrls, transports } = await startJob(3, { newQueueGraceMs: 0 }, false);
    await fx.sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrls[2] }));
    const err = await transports[0]!.send(2, new Uint8Array([1, 2, 3])).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'QUEUE_GONE' });
    expect((err as Error).message).toMatch(/the queue of rank 2 does not exist/);
    // And at once for every later frame, without another call.
    const calls = transports[0]!.stats().calls.SendMessageBatch;
    await expect(transports[0]!.send(2, new Uint8Array([4]))).rejects.toMatchObject({ code: 'QUEUE_GONE' });
    expect(transports[0]!.stats().calls.SendMessageBatch).toBe(calls);
  });

  it('with latency injection on, frames still arrive and the job leaves no queue behind', async () => {
    const job = await startJob(2, { latency: { p50Ms: 2, p99Ms: 10 } });
    await Promise.all(
      Array.from({ length: 5 }, (_, seq) => job.transports[0]!.send(1, makeFrame(0, 1, seq, 10))),
    );
    await job.inboxes[1]!.until(5);
    await Promise.all(job.transports.map((t) => t.close()));
    await deleteJobQueues({ client: fx.sqs, queueUrls: job.queueUrls, prefix: PREFIX, jobId: job.jobId });
    expect(await findJobQueues({ client: fx.sqs, prefix: PREFIX, jobId: job.jobId })).toEqual([]);
  });
});
