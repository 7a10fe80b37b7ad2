import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Comm, ERR_COUNT, ERR_TRUNCATE, MAX, MIN, Op, PROD, SUM } from '../../../sdk/index.js';
import type { ContractWorld } from '../contract-world.js';

const CONCAT = Op.create((a: string, b: string) => a + b, false);
const OPS = { SUM, MAX, MIN, PROD, CONCAT } as const;
type OpName = keyof typeof OPS;

/** Runs every collective once on `comm` with per-rank values derived from `seed`. */
async function everything(c: Comm, root: number, opName: OpName, seed: number) {
  const op = OPS[opName];
  const v = opName === 'CONCAT' ? `${(seed + c.rank) % 7}` : ((seed * (c.rank + 3)) % 11) - 5;
  return {
    bcast: await c.bcast(c.rank === root ? { seed, list: [seed, root] } : null, root),
    reduce: await c.reduce(v, op, root),
    allreduce: await c.allreduce(v, op),
    gather: await c.gather([c.rank, v], root),
    scatter: await c.scatter(
      c.rank === root ? Array.from({ length: c.size }, (_, i) => `${seed}:${i}`) : null,
      root,
    ),
    allgather: await c.allgather(v),
    alltoall: await c.alltoall(Array.from({ length: c.size }, (_, j) => c.rank * 100 + j)),
    scan: await c.scan(v, op),
    exscan: await c.exscan(v, op),
  };
}

/**
 * Random cases per run of the property: on a transport with millisecond hops (not
 * `exhaustive`) a case is two jobs of up to 9 ranks, about a second, so it gets a handful.
 */
const FULL_RUNS = 60;
const SMOKE_RUNS = 3;

export function oraclePropertiesContract(world: ContractWorld): void {
  describe('tree collectives agree with their naive oracles', () => {
    it('for random sizes, roots, radices, ops and values', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 9 }),
          fc.nat(),
          fc.integer({ min: 2, max: 10 }),
          fc.constantFrom<OpName>('SUM', 'MAX', 'MIN', 'PROD', 'CONCAT'),
          fc.integer({ min: 0, max: 1000 }),
          fc.constantFrom<'recursive-doubling' | 'reduce-bcast'>('recursive-doubling', 'reduce-bcast'),
          async (size, rootSeed, radix, opName, seed, allreduce) => {
            const root = rootSeed % size;
            const tree = await world.run(size, (c) => everything(c, root, opName, seed), {
              seed,
              tuning: { optimize: null, radix, allreduce },
            });
            const oracle = await world.run(size, (c) => everything(c, root, opName, seed), {
              seed,
              tuning: { naive: true },
            });
            expect(tree).toEqual(oracle);
          },
        ),
        { numRuns: world.exhaustive ? FULL_RUNS : SMOKE_RUNS },
      );
    });
  });

  describe('buffer collectives reject mismatched buffers', () => {
    it('a Gather recvbuf too small for size x sendbuf fails at the root with ERR_TRUNCATE', async () => {
      const got = await world.run(2, async (c) => {
        try {
          await c.Gather(new Float64Array(3), c.rank === 0 ? new Float64Array(5) : null, 0);
          return 'ok';
        } catch (e) {
          return (e as { errorClass: number }).errorClass;
        }
      });
      expect(got).toEqual([ERR_TRUNCATE, 'ok']);
    });

    it('Allreduce of different lengths fails with ERR_COUNT on the ranks that combine them', async () => {
      const got = await world.run(2, async (c) => {
        try {
          await c.Allreduce(new Float64Array(c.rank + 1), new Float64Array(4), SUM);
          return 'ok';
        } catch (e) {
          return (e as { errorClass: number }).errorClass;
        }
      });
      expect(got).toEqual([ERR_COUNT, ERR_COUNT]);
    });
  });
}
