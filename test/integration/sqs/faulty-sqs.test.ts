import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createJobQueues, deleteJobQueues, findJobQueues } from '../../../sdk/transport/sqs/job-queues.js';
import { SqsTransport } from '../../../sdk/transport/sqs/sqs-transport.js';
import { faultySqs, type InjectedFaults } from '../../helpers/faulty-sqs.js';
import { useFauxqs } from '../../helpers/fauxqs.js';
import { Inbox, makeFrame } from './frames.js';

const fx = useFauxqs();
const PREFIX = 'tsmpi-faulty';
const created: string[][] = [];

afterAll(async () => {
  for (const queueUrls of created) await deleteJobQueues({ client: fx.sqs, queueUrls });
});

async function exchange(size: number, perPair: number, faults: Parameters<typeof faultySqs>[1]) {
  const jobId = `f${randomUUID().slice(0, 8)}`;
  const { queueUrls } = await createJobQueues({ client: fx.sqs, prefix: PREFIX, jobId, size });
  created.push(queueUrls);
  const injected: InjectedFaults[] = [];
  const transports = queueUrls.map((_, rank) => {
    const faulty = faultySqs(fx.sqs, { ...faults, seed: 1000 + rank });
    injected.push(faulty.injected);
    return new SqsTransport({
      rank,
      size,
      queueUrls,
      sqs: faulty.client,
      s3: fx.s3,
      bucket: fx.bucket,
      jobId,
      retry: { baseDelayMs: 1, maxDelayMs: 10, maxAttempts: 30 },
    });
  });
  const inboxes = transports.map((t) => new Inbox(t.rank));
  for (const t of transports) t.start(inboxes[t.rank]!.onFrames, inboxes[t.rank]!.onError);
  const sends: Promise<void>[] = [];
  for (const t of transports) {
    for (let dst = 0; dst < size; dst++) {
      for (let seq = 0; seq < perPair; seq++)
        sends.push(t.send(dst, makeFrame(t.rank, dst, seq, (seq * 131) % 700)));
    }
  }
  await Promise.all(sends);
  await Promise.all(inboxes.map((box) => box.until(size * perPair)));
  await Promise.all(transports.map((t) => t.close()));
  return { transports, inboxes, injected, jobId };
}

function total(injected: InjectedFaults[], key: keyof InjectedFaults): number {
  return injected.reduce((n, i) => n + i[key], 0);
}

describe('SqsTransport over a fault-injecting SQS client', () => {
  it('with >= 10% of received messages duplicated, shuffled and delayed, every frame arrives intact', async () => {
    const size = 4;
    const perPair = 30;
    const { inboxes, injected } = await exchange(size, perPair, { duplicate: 0.25, maxDelayMs: 5 });
    const received = inboxes.reduce((n, b) => n + b.received, 0);
    const distinct = inboxes.reduce((n, b) => n + b.distinct.size, 0);
    expect(inboxes.flatMap((b) => b.errors)).toEqual([]);
    expect(distinct).toBe(size * size * perPair);
    // Duplicates really reached the transport's consumer: at least 10% more frames than sent.
    expect(total(injected, 'duplicates')).toBeGreaterThan(0);
    expect(received).toBeGreaterThanOrEqual(Math.floor(distinct * 1.1));
    expect(total(injected, 'shuffled')).toBeGreaterThan(0);
  });

  it('throttling, 500s, lost responses and partial batch failures lose no frame', async () => {
    const size = 4;
    const perPair = 30;
    const { inboxes, injected, transports } = await exchange(size, perPair, {
      duplicate: 0.1,
      throttle: 0.08,
      serverError: 0.08,
      lostResponse: 0.1,
      partialBatch: 0.15,
    });
    expect(inboxes.flatMap((b) => b.errors)).toEqual([]);
    for (const b of inboxes) expect(b.distinct.size).toBe(size * perPair);
    expect(total(injected, 'throttles')).toBeGreaterThan(0);
    expect(total(injected, 'serverErrors')).toBeGreaterThan(0);
    expect(total(injected, 'partialFailures')).toBeGreaterThan(0);
    expect(total(injected, 'lostResponses')).toBeGreaterThan(0);
    expect(transports.reduce((n, t) => n + (t.stats().retries as number), 0)).toBeGreaterThan(0);
  });

  it('leaves no queue behind once the job is over', async () => {
    const { jobId } = await exchange(2, 5, { duplicate: 0.2 });
    const urls = created.pop()!;
    // The job's queues are there until deleted: an empty listing below is not a vacuous one.
    expect(await findJobQueues({ client: fx.sqs, prefix: PREFIX, jobId })).toHaveLength(2);
    await deleteJobQueues({ client: fx.sqs, queueUrls: urls, prefix: PREFIX, jobId });
    expect(await findJobQueues({ client: fx.sqs, prefix: PREFIX, jobId })).toEqual([]);
  });
});

describe('offloaded frames over a fault-injecting SQS client', () => {
  it('a redelivered pointer whose payload was already delivered and deleted is dropped, not reported lost', async () => {
    const jobId = `o${randomUUID().slice(0, 8)}`;
    const { queueUrls } = await createJobQueues({ client: fx.sqs, prefix: PREFIX, jobId, size: 2 });
    created.push(queueUrls);
    const faulty = faultySqs(fx.sqs, { duplicate: 1, seed: 7 });
    const make = (rank: number) =>
      new SqsTransport({
        rank,
        size: 2,
        queueUrls,
        sqs: rank === 1 ? faulty.client : fx.sqs,
        s3: fx.s3,
        bucket: fx.bucket,
        jobId,
      });
    const [sender, receiver] = [make(0), make(1)];
    const inbox = new Inbox(1);
    receiver.start(inbox.onFrames, inbox.onError);
    // One at a time, so that every copy of a pointer arrives after its payload was deleted.
    for (let seq = 0; seq < 4; seq++) {
      await sender.send(1, makeFrame(0, 1, seq, 1_500_000));
      await inbox.until(seq + 1);
    }
    // The last stashed copies come back with the next receive: send small frames until they did.
    let seq = 4;
    while ((receiver.stats().stalePointers as number) === 0) {
      await sender.send(1, makeFrame(0, 1, seq, 10));
      await inbox.until(++seq);
    }
    await Promise.all([sender.close(), receiver.close()]);
    expect(inbox.errors).toEqual([]);
    expect(receiver.stats().stalePointers).toBeGreaterThan(0);
    expect(faulty.injected.duplicates).toBeGreaterThan(0);
  });
});
