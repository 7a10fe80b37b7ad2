import { describe, expect, it } from 'vitest';
import type { AlgorithmSpec, CollectiveName } from '../../../sdk/collectives/algorithms.js';
import { predict } from '../../../sdk/collectives/predict.js';
import { SQS_PROFILE } from '../../../sdk/collectives/transport-profile.js';
import { simulate } from '../../../sim/simulate.js';

const SPECS: [CollectiveName, AlgorithmSpec][] = [
  ['bcast', { name: 'knomial', radix: 2 }],
  ['bcast', { name: 'knomial', radix: 3 }],
  ['bcast', { name: 'knomial', radix: 100 }],
  ['reduce', { name: 'knomial', radix: 4 }],
  ['allreduce', { name: 'recursive', radix: 2 }],
  ['allreduce', { name: 'recursive', radix: 3 }],
  ['allreduce', { name: 'reduce-bcast', radix: 100, radix2: 4 }],
  ['gather', { name: 'knomial', radix: 2 }],
  ['scatter', { name: 'knomial', radix: 3 }],
  ['allgather', { name: 'bruck', radix: 2 }],
  ['allgather', { name: 'gather-bcast', radix: 2, radix2: 100 }],
  ['alltoall', { name: 'direct' }],
  ['alltoall', { name: 'bruck', radix: 3 }],
  ['barrier', { name: 'dissemination', radix: 2 }],
  ['barrier', { name: 'tree', radix: 100, radix2: 100 }],
  ['scan', { name: 'prefix', radix: 2 }],
  ['scan', { name: 'prefix', radix: 3 }],
];

describe('the simulation runs the real algorithms in virtual time', () => {
  it.each(SPECS)(
    '%s %o: same hops and messages as the model counts, at 5, 8 and 16 ranks',
    async (collective, spec) => {
      for (const size of [5, 8, 16]) {
        const sim = await simulate({ profile: SQS_PROFILE, size, collective, algorithm: spec, trials: 1 });
        const model = predict(SQS_PROFILE, { collective, size, bytes: 8 }, spec);
        expect({ size, hops: sim.hops, messages: sim.messages }).toEqual({
          size,
          hops: model.hops,
          messages: model.messages,
        });
      }
    },
  );

  it('a binomial bcast at 64 ranks is 6 hops deep, a flat one 1, and every rank receives once', async () => {
    const binomial = await simulate({
      profile: SQS_PROFILE,
      size: 64,
      collective: 'bcast',
      algorithm: { name: 'knomial', radix: 2 },
      trials: 1,
    });
    const flat = await simulate({
      profile: SQS_PROFILE,
      size: 64,
      collective: 'bcast',
      algorithm: { name: 'knomial', radix: 64 },
      trials: 1,
    });
    expect(binomial.hops).toBe(6);
    expect(flat.hops).toBe(1);
    for (const s of [binomial, flat]) expect(s.requests).toMatchObject({ send: 63, receive: 63, delete: 63 });
  });

  it('batches a flat reduce: the root takes 63 messages in far fewer receive calls', async () => {
    const s = await simulate({
      profile: SQS_PROFILE,
      size: 64,
      collective: 'reduce',
      algorithm: { name: 'knomial', radix: 64 },
      trials: 2,
    });
    expect(s.requests.send).toBe(63);
    expect(s.requests.receive).toBeLessThan(30);
    expect(s.requests.delete).toBeLessThan(30);
  });

  it('is reproducible: the same seed gives the same times', async () => {
    const o = {
      profile: SQS_PROFILE,
      size: 16,
      collective: 'allreduce' as const,
      algorithm: { name: 'recursive' as const, radix: 4 },
      trials: 3,
      seed: 5,
    };
    expect(await simulate(o)).toEqual(await simulate(o));
  });

  it('agrees with the closed-form model on the time of trees within 20%', async () => {
    for (const [collective, spec] of [
      ['bcast', { name: 'knomial', radix: 4 }],
      ['reduce', { name: 'knomial', radix: 64 }],
    ] as [CollectiveName, AlgorithmSpec][]) {
      const sim = await simulate({ profile: SQS_PROFILE, size: 64, collective, algorithm: spec, trials: 24 });
      const model = predict(SQS_PROFILE, { collective, size: 64, bytes: 8 }, spec);
      expect(model.timeMs / sim.meanMs).toBeGreaterThan(0.8);
      expect(model.timeMs / sim.meanMs).toBeLessThan(1.2);
    }
  });
});
