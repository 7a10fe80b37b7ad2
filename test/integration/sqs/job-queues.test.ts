import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createJobQueues, deleteJobQueues, findJobQueues } from '../../../sdk/transport/sqs/job-queues.js';
import { useFauxqs } from '../../helpers/fauxqs.js';

const fx = useFauxqs();
const PREFIX = 'tsmpi-jq';

function newJobId(): string {
  return `q${randomUUID().slice(0, 8)}`;
}

async function listByPrefix(client: SQSClient, prefix: string): Promise<string[]> {
  const res = await client.send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
  return res.QueueUrls ?? [];
}

/** Wraps a client to record the most CreateQueue calls in flight at once. */
function concurrencyProbe(inner: SQSClient): { client: SQSClient; peak: () => number } {
  let now = 0;
  let peak = 0;
  const client = new Proxy(inner, {
    get(target, prop) {
      if (prop !== 'send') return Reflect.get(target, prop, target);
      return async (cmd: unknown, opts?: unknown) => {
        const create = cmd instanceof CreateQueueCommand;
        if (create) peak = Math.max(peak, ++now);
        try {
          return await (target.send as (c: unknown, o?: unknown) => Promise<unknown>)(cmd, opts);
        } finally {
          if (create) now--;
        }
      };
    },
  });
  return { client, peak: () => peak };
}

describe('job queues', () => {
  it('creates one queue per rank plus the control queue, in rank order, with the job attributes and no tags (nothing reads them; tagging needs sqs:TagQueue)', async () => {
    const jobId = newJobId();
    const { queueUrls, controlUrl } = await createJobQueues({
      client: fx.sqs,
      prefix: PREFIX,
      jobId,
      size: 5,
      control: true,
    });
    try {
      expect(queueUrls.map((u) => u.slice(u.lastIndexOf('/') + 1))).toEqual(
        [0, 1, 2, 3, 4].map((r) => `${PREFIX}-${jobId}-${r}`),
      );
      expect(controlUrl).toMatch(new RegExp(`/${PREFIX}-${jobId}-ctl$`));
      const attrs = await fx.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrls[3], AttributeNames: ['All'] }),
      );
      expect(attrs.Attributes).toMatchObject({
        MaximumMessageSize: '1048576',
        ReceiveMessageWaitTimeSeconds: '20',
        VisibilityTimeout: '60',
      });
      const tags = await fx.sqs.send(new ListQueueTagsCommand({ QueueUrl: queueUrls[0] }));
      expect(tags.Tags ?? {}).toEqual({});
      const found = await findJobQueues({ client: fx.sqs, prefix: PREFIX, jobId });
      expect(found.map((q) => q.rank).sort()).toEqual([0, 1, 2, 3, 4, 'ctl']);
    } finally {
      await deleteJobQueues({ client: fx.sqs, queueUrls, controlUrl });
    }
  });

  it('creates the queues of a 64-rank job in parallel, at most 16 calls at once', async () => {
    const jobId = newJobId();
    const probe = concurrencyProbe(fx.sqs);
    const { queueUrls } = await createJobQueues({ client: probe.client, prefix: PREFIX, jobId, size: 64 });
    expect(queueUrls).toHaveLength(64);
    expect(probe.peak()).toBeGreaterThan(1);
    expect(probe.peak()).toBeLessThanOrEqual(16);
    await deleteJobQueues({ client: fx.sqs, queueUrls });
  });

  it('deleteJobQueues leaves no queue of the job behind (ListQueues), and deleting again is fine', async () => {
    const jobId = newJobId();
    const queues = await createJobQueues({ client: fx.sqs, prefix: PREFIX, jobId, size: 7, control: true });
    expect(await listByPrefix(fx.sqs, `${PREFIX}-${jobId}-`)).toHaveLength(8);
    const first = await deleteJobQueues({ client: fx.sqs, ...queues, prefix: PREFIX, jobId });
    expect(first.deleted).toHaveLength(8);
    expect(await listByPrefix(fx.sqs, `${PREFIX}-${jobId}-`)).toEqual([]);
    const again = await deleteJobQueues({ client: fx.sqs, ...queues });
    expect(again).toEqual({ deleted: [], alreadyGone: expect.arrayContaining(queues.queueUrls) });
  });

  it('findJobQueues tells apart jobs whose ids share a prefix and lists every job for a sweeper', async () => {
    const base = newJobId();
    const a = await createJobQueues({ client: fx.sqs, prefix: PREFIX, jobId: base, size: 2 });
    const b = await createJobQueues({ client: fx.sqs, prefix: PREFIX, jobId: `${base}-0`, size: 2 });
    try {
      const onlyA = await findJobQueues({ client: fx.sqs, prefix: PREFIX, jobId: base });
      expect(onlyA.map((q) => q.url).sort()).toEqual([...a.queueUrls].sort());
      const all = await findJobQueues({ client: fx.sqs, prefix: PREFIX });
      const jobs = new Set(all.map((q) => q.jobId));
      expect(jobs.has(base)).toBe(true);
      expect(jobs.has(`${base}-0`)).toBe(true);
    } finally {
      await deleteJobQueues({ client: fx.sqs, queueUrls: [...a.queueUrls, ...b.queueUrls] });
    }
  });

  it('a job whose queues cannot all be created fails with a clear error and leaves none behind', async () => {
    const jobId = newJobId();
    const failing = new Proxy(fx.sqs, {
      get(target, prop) {
        if (prop !== 'send') return Reflect.get(target, prop, target);
        return (cmd: unknown, opts?: unknown) => {
          if (cmd instanceof CreateQueueCommand && cmd.input.QueueName?.endsWith('-3')) {
            return Promise.reject(
              Object.assign(new Error('not authorized to perform sqs:CreateQueue'), {
                name: 'AccessDenied',
                $metadata: { httpStatusCode: 403 },
              }),
            );
          }
          return (target.send as (c: unknown, o?: unknown) => Promise<unknown>)(cmd, opts);
        };
      },
    });
    await expect(createJobQueues({ client: failing, prefix: PREFIX, jobId, size: 6 })).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
      message: expect.stringMatching(
        new RegExp(`creating the 6 queues of job ${jobId}.*access denied by SQS`),
      ),
    });
    expect(await listByPrefix(fx.sqs, `${PREFIX}-${jobId}-`)).toEqual([]);
  });
});
