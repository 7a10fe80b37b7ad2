/**
 * A job over SQS while the queues deliver messages again (at least once: "you might get that
 * message copy again", standard queues; the rules layer of test/helpers/aws-rules-proxy.ts in
 * front of fauxqs), over the wire: every message is delivered a second time, on a later receive,
 * after the rank received and deleted the first copy. The ranks must take each message once.
 * (The transport's own tests meet duplicates from a client wrapper; this one from the endpoint.)
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../dist/sdk/index.js';
import { type AwsRulesProxy, startAwsRulesProxy } from '../../helpers/aws-rules-proxy.js';
import { type Fauxqs, startFauxqs } from '../../helpers/fauxqs.js';

const job = fileURLToPath(new URL('../../fixtures/jobs/ordered-stream.ts', import.meta.url));

let fx: Fauxqs;
let proxy: AwsRulesProxy;

beforeAll(async () => {
  fx = await startFauxqs();
  proxy = await startAwsRulesProxy(fx.endpoint, {
    youngQueueMs: 0,
    deletedRecentlyMs: 0,
    // Every message received is delivered again, on the next receive of its queue.
    duplicate: () => true,
    duplicateDelayMs: 0,
  });
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await fx?.stop();
});

describe('--backend sqs when SQS delivers every message twice', () => {
  it('streams in order, runs collectives, and leaves no extra message: each copy is dropped', async () => {
    const ranks = 4;
    const res = await run(job, {
      ranks,
      backend: 'sqs',
      endpoint: proxy.endpoint,
      args: { messages: 30 },
      onOutput: () => {},
    });
    expect(res.results).toEqual(
      Array.from({ length: ranks }, () => ({
        wrong: [],
        total: 30 * ranks,
        gathered: [0, 1, 2, 3],
        extra: false,
      })),
    );
    // Copies did reach the ranks (each queue is received from many times in this job), and their
    // channels dropped them.
    expect(proxy.fired.get('duplicate') ?? 0).toBeGreaterThan(0);
    expect(res.stats.duplicatesDropped).toBeGreaterThan(0);
  });
});
