/**
 * The SQS transport against what AWS does and the emulators do not (the rules layer of
 * test/helpers/aws-rules-proxy.ts in front of fauxqs): a redelivered S3 pointer whose object
 * the receiver already deleted (403 AccessDenied without s3:ListBucket), queues used in the
 * second after CreateQueue, and S3 SlowDown.
 */
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSqsClients } from '../../../sdk/transport/sqs/clients.js';
import { createJobQueues, deleteJobQueues } from '../../../sdk/transport/sqs/job-queues.js';
import { SqsTransport, type SqsTransportOptions } from '../../../sdk/transport/sqs/sqs-transport.js';
import { pointerBody } from '../../../sdk/transport/sqs/wire.js';
import { type AwsRulesProxy, startAwsRulesProxy } from '../../helpers/aws-rules-proxy.js';
import { type Fauxqs, startFauxqs } from '../../helpers/fauxqs.js';
import { Inbox, makeFrame } from '../sqs/frames.js';

const PREFIX = 'tsmpi-rules';
/** Over the 1 MiB SQS limit: offloaded to S3, a pointer through the queue. */
const LARGE = 1_100_000;

let fx: Fauxqs;
let proxy: AwsRulesProxy;
let clients: ReturnType<typeof createSqsClients>;
const cleanup: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  fx = await startFauxqs();
  proxy = await startAwsRulesProxy(fx.endpoint, { youngQueueMs: 0, deletedRecentlyMs: 0 });
  clients = createSqsClients({
    endpoint: proxy.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIARANK', secretAccessKey: 'x' },
  });
}, 60_000);

afterAll(async () => {
  clients?.sqs.destroy();
  clients?.s3.destroy();
  await proxy?.close();
  await fx?.stop();
});

afterEach(async () => {
  proxy.rules.youngQueueMs = 0;
  proxy.rules.duplicate = undefined;
  proxy.rules.slowDown = undefined;
  for (const f of cleanup.splice(0).reverse()) await f();
});

function transports(
  jobId: string,
  queueUrls: string[],
  extra: Partial<SqsTransportOptions> = {},
): { ts: SqsTransport[]; inboxes: Inbox[] } {
  const ts = queueUrls.map(
    (_, rank) =>
      new SqsTransport({
        rank,
        size: queueUrls.length,
        queueUrls,
        sqs: clients.sqs,
        s3: clients.s3,
        bucket: fx.bucket,
        jobId,
        retry: { baseDelayMs: 10, maxDelayMs: 200 },
        ...extra,
      }),
  );
  const inboxes = ts.map((t) => new Inbox(t.rank));
  for (const t of ts) t.start(inboxes[t.rank]!.onFrames, inboxes[t.rank]!.onError);
  cleanup.push(() => Promise.all(ts.map((t) => t.close())));
  return { ts, inboxes };
}

async function job(size: number): Promise<{ jobId: string; queueUrls: string[] }> {
  const jobId = `j${randomUUID().slice(0, 8)}`;
  const { queueUrls } = await createJobQueues({ client: clients.sqs, prefix: PREFIX, jobId, size });
  cleanup.push(() => deleteJobQueues({ client: clients.sqs, queueUrls }));
  return { jobId, queueUrls };
}

describe('SqsTransport behind the AWS rules layer (fauxqs)', () => {
  it('drops a redelivered S3 pointer whose object it already delivered and deleted, without fetching it (a GET would answer 403 without s3:ListBucket)', async () => {
    const { jobId, queueUrls } = await job(2);
    const pointers: string[] = [];
    proxy.rules.duplicate = (_queue, body) => {
      if (body.startsWith('{')) pointers.push(body);
      return false;
    };
    const { ts, inboxes } = transports(jobId, queueUrls);
    const forbidden = proxy.fired.get('s3-403') ?? 0;
    await ts[0]!.send(1, makeFrame(0, 1, 0, LARGE));
    await inboxes[1]!.until(1);
    await vi.waitFor(() => expect(ts[1]!.stats().calls.DeleteObject).toBe(1), { timeout: 20_000 });
    // SQS delivers the pointer again (at least once; or its visibility timeout expired while the
    // rank computed): its object is gone, and a GET of it answers 403 to a role without ListBucket.
    expect(pointers).toHaveLength(1);
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrls[1], MessageBody: pointers[0] }));
    await vi.waitFor(
      () => {
        if (inboxes[1]!.errors.length > 0) return;
        expect(ts[1]!.stats().stalePointers).toBe(1);
      },
      { timeout: 30_000, interval: 50 },
    );
    expect(inboxes[1]!.errors.map((e) => e.message)).toEqual([]);
    expect(ts[1]!.stats().stalePointers).toBe(1);
    expect(ts[1]!.stats().calls.GetObject).toBe(1);
    expect(inboxes[1]!.distinct.size).toBe(1);
    // Not fetched: a GET of the deleted object would have met AWS's 403, not the emulator's 404.
    expect(proxy.fired.get('s3-403') ?? 0).toBe(forbidden);
  });

  it('fails loudly, naming the permissions to check, on a 403 for a payload not yet delivered', async () => {
    const { jobId, queueUrls } = await job(2);
    const { inboxes } = transports(jobId, queueUrls);
    const key = `payloads/${jobId}/r0/never-written`;
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrls[1],
        MessageBody: pointerBody({ bucket: fx.bucket, key, bytes: 10 }),
      }),
    );
    const err = await inboxes[1]!.nextError();
    expect(err).toMatchObject({ code: 'ACCESS_DENIED' });
    expect(err.message).toMatch(/not yet delivered/);
    expect(err.message).toMatch(/s3:GetObject/);
    expect(err.message).toMatch(/s3:ListBucket/);
  });

  it('retries a queue that answers QueueDoesNotExist in the second after CreateQueue, then delivers', async () => {
    const jobId = `j${randomUUID().slice(0, 8)}`;
    proxy.rules.youngQueueMs = 1_500;
    const queueUrls: string[] = [];
    for (let r = 0; r < 2; r++) {
      const { QueueUrl } = await clients.sqs.send(
        new CreateQueueCommand({ QueueName: `${PREFIX}-${jobId}-${r}` }),
      );
      queueUrls.push(QueueUrl!);
    }
    cleanup.push(() => deleteJobQueues({ client: clients.sqs, queueUrls }));
    // Used at once, as a rank invoked right after CreateQueue does.
    const { ts, inboxes } = transports(jobId, queueUrls);
    await ts[0]!.send(1, makeFrame(0, 1, 0, 10));
    await ts[1]!.send(0, makeFrame(1, 0, 0, 10));
    await Promise.all([inboxes[0]!.until(1), inboxes[1]!.until(1)]);
    expect(inboxes.flatMap((b) => b.errors)).toEqual([]);
    expect(proxy.fired.get('young-queue')).toBeGreaterThanOrEqual(2);
  });

  it('creates a job’s queues through CreateQueue throttling (RequestThrottled), retrying', async () => {
    proxy.rules.createQueuesPerSecond = 2;
    const jobId = `j${randomUUID().slice(0, 8)}`;
    const throttled = proxy.fired.get('throttled') ?? 0;
    try {
      const { queueUrls } = await createJobQueues({
        client: clients.sqs,
        prefix: PREFIX,
        jobId,
        size: 8,
        retry: { baseDelayMs: 50, maxDelayMs: 1000 },
      });
      cleanup.push(() => deleteJobQueues({ client: clients.sqs, queueUrls }));
      expect(new Set(queueUrls).size).toBe(8);
    } finally {
      proxy.rules.createQueuesPerSecond = undefined;
    }
    expect(proxy.fired.get('throttled') ?? 0).toBeGreaterThan(throttled);
  });

  it('after the grace, QueueDoesNotExist is final: QUEUE_GONE', async () => {
    const jobId = `j${randomUUID().slice(0, 8)}`;
    proxy.rules.youngQueueMs = 60_000;
    const { QueueUrl } = await clients.sqs.send(
      new CreateQueueCommand({ QueueName: `${PREFIX}-${jobId}-0` }),
    );
    const queueUrls = [QueueUrl!, QueueUrl!];
    cleanup.push(() => deleteJobQueues({ client: clients.sqs, queueUrls: [QueueUrl!] }));
    const { ts } = transports(jobId, queueUrls, { newQueueGraceMs: 0 });
    await expect(ts[1]!.send(0, new Uint8Array([1]))).rejects.toMatchObject({ code: 'QUEUE_GONE' });
  });

  it('retries S3 SlowDown with backoff, and spreads payload keys over one prefix per sending rank', async () => {
    const { jobId, queueUrls } = await job(3);
    let refused = 0;
    proxy.rules.slowDown = (method) => method === 'PUT' && refused++ < 4;
    const keys: string[] = [];
    proxy.rules.duplicate = (_q, body) => {
      if (body.startsWith('{')) keys.push((JSON.parse(body) as { key: string }).key);
      return false;
    };
    const { ts, inboxes } = transports(jobId, queueUrls);
    await Promise.all([ts[0]!.send(2, makeFrame(0, 2, 0, LARGE)), ts[1]!.send(2, makeFrame(1, 2, 0, LARGE))]);
    await inboxes[2]!.until(2);
    expect(inboxes[2]!.errors).toEqual([]);
    expect(proxy.fired.get('slow-down')).toBeGreaterThanOrEqual(4);
    const prefixes = new Set(keys.map((k) => k.slice(0, k.lastIndexOf('/') + 1)));
    expect([...prefixes].sort()).toEqual([`payloads/${jobId}/r0/`, `payloads/${jobId}/r1/`]);
  });
});
