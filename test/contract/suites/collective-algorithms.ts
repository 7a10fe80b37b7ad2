import { describe, expect, it } from 'vitest';
import type { AlgorithmSpec, CollectiveName } from '../../../sdk/collectives/algorithms.js';
import { SQS_PROFILE } from '../../../sdk/collectives/transport-profile.js';
import { BXOR, type Comm, MAX, MAXLOC, Op, PROD, SUM } from '../../../sdk/index.js';
import { type ContractWorld, eachRoot, type WorldRunOptions } from '../contract-world.js';

/** String concatenation: associative, not commutative, so any order mistake shows. */
const CONCAT = Op.create((a: string, b: string) => a + b, false);

/**
 * A sum written as mpi4py user functions often are: the result updated in `b` and returned, or `a`
 * itself returned when `b` adds nothing (rank 3 of 4 or more contributes 0, after two rounds of
 * the doubling scan). A scan must not let its inclusive and exclusive prefixes share one operand.
 */
const SUM_INTO_B = Op.create((a: { s: number }, b: { s: number }) => {
  if (b.s === 0) return a;
  b.s += a.s;
  return b;
});
/** Rank r's operand for `SUM_INTO_B`: zero on every third rank. */
const zeroEveryThird = (r: number) => (r % 3 === 0 ? 0 : r);
const sumOfZeroEveryThird = (n: number) =>
  Array.from({ length: n }, (_, i) => zeroEveryThird(i)).reduce((a, b) => a + b, 0);

/**
 * Every algorithm of every collective, at radices that make binomial, k-nomial (k = 3, 4) and flat
 * shapes, each checked against the naive oracle (`naive: true`) on the same world: sizes 1, 2, 3,
 * 4, 7, 8 and every root. Sizes 3 and 7 exercise the fold of recursive k-ing, size 7 at radix 3 a
 * mixed-radix plan (3·2 + 1).
 */
const FLAT = 64;
const CASES: Record<CollectiveName, AlgorithmSpec[]> = {
  bcast: [
    { name: 'knomial', radix: 2 },
    { name: 'knomial', radix: 3 },
    { name: 'knomial', radix: 4 },
    { name: 'knomial', radix: FLAT },
    { name: 'scatter-allgather', radix: 2, radix2: 2 },
    { name: 'scatter-allgather', radix: 3, radix2: FLAT },
    { name: 'scatter-allgather', radix: FLAT, radix2: 3 },
    { name: 'linear' },
  ],
  reduce: [
    { name: 'knomial', radix: 2 },
    { name: 'knomial', radix: 3 },
    { name: 'knomial', radix: FLAT },
    { name: 'linear' },
  ],
  allreduce: [
    { name: 'recursive', radix: 2 },
    { name: 'recursive', radix: 3 },
    { name: 'recursive', radix: 4 },
    { name: 'recursive', radix: FLAT },
    { name: 'reduce-bcast', radix: 2, radix2: 2 },
    { name: 'reduce-bcast', radix: FLAT, radix2: 3 },
    { name: 'reduce-bcast', radix: 3, radix2: FLAT },
    { name: 'reduce-scatter-allgather', radix: 2 },
    { name: 'reduce-scatter-allgather', radix: 3 },
    { name: 'reduce-scatter-allgather', radix: FLAT },
    { name: 'linear' },
  ],
  gather: [
    { name: 'knomial', radix: 2 },
    { name: 'knomial', radix: 3 },
    { name: 'knomial', radix: FLAT },
    { name: 'linear' },
  ],
  scatter: [
    { name: 'knomial', radix: 2 },
    { name: 'knomial', radix: 3 },
    { name: 'knomial', radix: FLAT },
    { name: 'linear' },
  ],
  allgather: [
    { name: 'gather-bcast', radix: 2, radix2: 2 },
    { name: 'gather-bcast', radix: FLAT, radix2: 3 },
    { name: 'bruck', radix: 2 },
    { name: 'bruck', radix: 3 },
    { name: 'bruck', radix: FLAT },
    { name: 'linear' },
  ],
  alltoall: [
    { name: 'direct' },
    { name: 'bruck', radix: 2 },
    { name: 'bruck', radix: 3 },
    { name: 'bruck', radix: 4 },
    { name: 'linear' },
  ],
  barrier: [
    { name: 'dissemination', radix: 2 },
    { name: 'dissemination', radix: 3 },
    { name: 'dissemination', radix: FLAT },
    { name: 'tree', radix: 2, radix2: 2 },
    { name: 'tree', radix: FLAT, radix2: FLAT },
    { name: 'linear' },
  ],
  scan: [
    { name: 'prefix', radix: 2 },
    { name: 'prefix', radix: 3 },
    { name: 'prefix', radix: 4 },
    { name: 'prefix', radix: FLAT },
    { name: 'linear' },
  ],
  exscan: [
    { name: 'prefix', radix: 2 },
    { name: 'prefix', radix: 3 },
    { name: 'prefix', radix: FLAT },
    { name: 'linear' },
  ],
};

const label = (s: AlgorithmSpec) =>
  `${s.name}${s.radix ? ` k=${s.radix}` : ''}${s.radix2 ? `/${s.radix2}` : ''}`;

function cases(collective: CollectiveName): [string, AlgorithmSpec][] {
  return CASES[collective].map((s) => [label(s), s]);
}

/** Runs `fn` with `spec` forced for `collective`, and with the naive oracle, on two jobs of `size`. */
async function againstOracle<T>(
  world: ContractWorld,
  size: number,
  collective: CollectiveName,
  spec: AlgorithmSpec,
  fn: (c: Comm) => Promise<T>,
): Promise<{ got: T[]; oracle: T[] }> {
  const got = await world.run(size, fn, forced(collective, spec));
  const oracle = await world.run(size, fn, NAIVE);
  return { got, oracle };
}

/** The same for a rooted collective: every root of `size`, each job running them all in turn. */
async function againstOracleAtEachRoot<T>(
  world: ContractWorld,
  size: number,
  collective: CollectiveName,
  spec: AlgorithmSpec,
  fn: (c: Comm, root: number) => Promise<T>,
): Promise<{ root: number; got: T[]; oracle: T[] }[]> {
  const got = await eachRoot(world, size, fn, forced(collective, spec));
  const oracle = await eachRoot(world, size, fn, NAIVE);
  return got.map(([root, g], i) => ({ root, got: g, oracle: oracle[i]![1] }));
}

const NAIVE: WorldRunOptions = { tuning: { naive: true } };
function forced(collective: CollectiveName, spec: AlgorithmSpec): WorldRunOptions {
  return { tuning: { algorithm: { [collective]: spec } } };
}

/** A payload of rank-dependent size whose every byte matters. */
function payload(rank: number): { rank: number; text: string; data: Float64Array } {
  return {
    rank,
    text: `r${rank}:${'xyz'.repeat(rank * 3 + 1)}`,
    data: Float64Array.from({ length: 5 + rank }, (_, i) => rank * 100 + i),
  };
}

export function collectiveAlgorithmsContract(world: ContractWorld): void {
  // Not on transports with millisecond hops (SQS): see `ContractWorld.exhaustive`. The algorithms
  // are plain code over point-to-point; there they run as the cost model picks them (below).
  describe.skipIf(!world.exhaustive)('every collective algorithm matches the naive oracle', () => {
    describe.each(cases('bcast'))('bcast %s', (_, spec) => {
      it('delivers the root value to every rank, for every size and root', async () => {
        for (const size of world.sizes) {
          for (const { root, got, oracle } of await againstOracleAtEachRoot(
            world,
            size,
            'bcast',
            spec,
            (c, root) => c.bcast(c.rank === root ? payload(root) : null, root),
          )) {
            expect(got).toEqual(oracle);
            expect(got[size - 1]).toEqual(payload(root));
          }
        }
      });

      it('Bcast fills every buffer with the root buffer', async () => {
        for (const size of world.sizes) {
          for (const { root, got } of await againstOracleAtEachRoot(
            world,
            size,
            'bcast',
            spec,
            async (c, root) => {
              const buf =
                c.rank === root
                  ? Int32Array.from({ length: 37 }, (_, i) => i * 7 + root)
                  : new Int32Array(37);
              await c.Bcast(buf, root);
              return Array.from(buf);
            },
          )) {
            for (const g of got) expect(g).toEqual(Array.from({ length: 37 }, (_, i) => i * 7 + root));
          }
        }
      });
    });

    describe.each(cases('reduce'))('reduce %s', (_, spec) => {
      it('combines in rank order at the root (non-commutative op), for every size and root', async () => {
        for (const size of world.sizes) {
          for (const { root, got, oracle } of await againstOracleAtEachRoot(
            world,
            size,
            'reduce',
            spec,
            (c, root) => c.reduce(String.fromCharCode(97 + c.rank), CONCAT, root),
          )) {
            expect(got).toEqual(oracle);
            const expected = Array.from({ length: size }, (_, r) => String.fromCharCode(97 + r)).join('');
            expect(got[root]).toBe(expected);
          }
        }
      });

      it('reduces TypedArrays element by element (SUM, MAX)', async () => {
        for (const size of world.sizes) {
          for (const { got, oracle } of await againstOracleAtEachRoot(
            world,
            size,
            'reduce',
            spec,
            async (c, root) => {
              const s = await c.reduce(Float64Array.from([c.rank, 1, -c.rank]), SUM, root);
              const m = await c.reduce([c.rank % 3, 5 - c.rank], MAX, root);
              return [s === null ? null : Array.from(s as Float64Array), m];
            },
          )) {
            expect(got).toEqual(oracle);
          }
        }
      });
    });

    describe.each(cases('allreduce'))('allreduce %s', (_, spec) => {
      it('gives every rank the rank-ordered result of a non-commutative op', async () => {
        for (const size of world.sizes) {
          const { got, oracle } = await againstOracle(world, size, 'allreduce', spec, (c) =>
            c.allreduce(String(c.rank), CONCAT),
          );
          expect(got).toEqual(oracle);
          expect(got).toEqual(Array(size).fill(Array.from({ length: size }, (_, r) => String(r)).join('')));
        }
      });

      it('reduces arrays segment by segment where it can: TypedArrays, plain arrays, any length', async () => {
        for (const size of world.sizes) {
          for (const length of [1, 5, 13]) {
            const { got, oracle } = await againstOracle(world, size, 'allreduce', spec, async (c) => {
              const f = await c.allreduce(
                Float64Array.from({ length }, (_, i) => c.rank * 10 + i),
                SUM,
              );
              const p = await c.allreduce(
                Int32Array.from({ length }, (_, i) => ((c.rank + i) % 5) + 1),
                PROD,
              );
              const x = await c.allreduce(
                Array.from({ length }, (_, i) => c.rank * 3 + i),
                BXOR,
              );
              const buf = new Float32Array(length);
              await c.Allreduce(
                Float32Array.from({ length }, (_, i) => i - c.rank),
                buf,
                MAX,
              );
              return [f, p, x, Array.from(buf)];
            });
            expect(got).toEqual(oracle);
            for (const g of got) {
              expect(g[0]).toBeInstanceOf(Float64Array);
              expect(g[1]).toBeInstanceOf(Int32Array);
            }
          }
        }
      });

      it('MAXLOC finds the extreme value and the lowest rank holding it', async () => {
        for (const size of world.sizes) {
          const vals = Array.from({ length: size }, (_, r) => Math.min(r, size - 1 - r));
          const { got, oracle } = await againstOracle(world, size, 'allreduce', spec, (c) =>
            c.allreduce([vals[c.rank]!, c.rank], MAXLOC),
          );
          expect(got).toEqual(oracle);
        }
      });
    });

    describe.each(cases('gather'))('gather %s', (_, spec) => {
      it('collects every rank value in rank order at the root only', async () => {
        for (const size of world.sizes) {
          for (const { root, got, oracle } of await againstOracleAtEachRoot(
            world,
            size,
            'gather',
            spec,
            (c, root) => c.gather(payload(c.rank), root),
          )) {
            expect(got).toEqual(oracle);
            expect(got[root]).toEqual(Array.from({ length: size }, (_, r) => payload(r)));
          }
        }
      });
    });

    describe.each(cases('scatter'))('scatter %s', (_, spec) => {
      it('hands rank i the i-th value', async () => {
        for (const size of world.sizes) {
          for (const { got, oracle } of await againstOracleAtEachRoot(
            world,
            size,
            'scatter',
            spec,
            (c, root) =>
              c.scatter(c.rank === root ? Array.from({ length: size }, (_, i) => payload(i)) : null, root),
          )) {
            expect(got).toEqual(oracle);
            expect(got).toEqual(Array.from({ length: size }, (_, i) => payload(i)));
          }
        }
      });
    });

    describe.each(cases('allgather'))('allgather %s', (_, spec) => {
      it('gives every rank every value in rank order', async () => {
        for (const size of world.sizes) {
          const { got, oracle } = await againstOracle(world, size, 'allgather', spec, (c) =>
            c.allgather(payload(c.rank)),
          );
          expect(got).toEqual(oracle);
          expect(got[0]).toEqual(Array.from({ length: size }, (_, r) => payload(r)));
        }
      });
    });

    describe.each(cases('alltoall'))('alltoall %s', (_, spec) => {
      it('rank j gets part j of every rank, in rank order', async () => {
        for (const size of world.sizes) {
          const { got, oracle } = await againstOracle(world, size, 'alltoall', spec, (c) =>
            c.alltoall(Array.from({ length: size }, (_, j) => `${c.rank}>${j}${'.'.repeat(c.rank + j)}`)),
          );
          expect(got).toEqual(oracle);
          got.forEach((row, r) => {
            expect(row).toEqual(Array.from({ length: size }, (_, i) => `${i}>${r}${'.'.repeat(i + r)}`));
          });
        }
      });
    });

    describe.each(cases('barrier'))('barrier %s', (_, spec) => {
      it('returns on every rank only after every rank entered it', async () => {
        for (const size of world.sizes) {
          const entered: number[] = [];
          const seen = await world.run(
            size,
            async (c) => {
              for (let i = 0; i < c.rank; i++) await new Promise<void>((r) => setImmediate(r));
              entered.push(c.rank);
              await c.barrier();
              return entered.length;
            },
            { tuning: { algorithm: { barrier: spec } } },
          );
          expect(seen).toEqual(Array(size).fill(size));
        }
      });
    });

    describe.each(cases('scan'))('scan %s', (_, spec) => {
      it('is the inclusive rank-ordered prefix of a non-commutative op', async () => {
        for (const size of world.sizes) {
          const { got, oracle } = await againstOracle(world, size, 'scan', spec, (c) =>
            c.scan(String(c.rank), CONCAT),
          );
          expect(got).toEqual(oracle);
          got.forEach((g, r) => {
            expect(g).toBe(Array.from({ length: r + 1 }, (_, i) => String(i)).join(''));
          });
        }
      });

      it('is right for a user op that updates `b` in place or returns `a`', async () => {
        for (const size of world.sizes) {
          const got = await world.run(
            size,
            (c) => c.scan({ s: zeroEveryThird(c.rank) }, SUM_INTO_B),
            forced('scan', spec),
          );
          expect(got).toEqual(Array.from({ length: size }, (_, r) => ({ s: sumOfZeroEveryThird(r + 1) })));
        }
      });
    });

    describe.each(cases('exscan'))('exscan %s', (_, spec) => {
      it('is the exclusive rank-ordered prefix, null on rank 0', async () => {
        for (const size of world.sizes) {
          const { got, oracle } = await againstOracle(world, size, 'exscan', spec, async (c) => [
            await c.exscan(String(c.rank), CONCAT),
            await c.exscan(Float64Array.from([c.rank, 1]), SUM),
          ]);
          expect(got).toEqual(oracle);
          got.forEach(([g], r) => {
            expect(g).toBe(r === 0 ? null : Array.from({ length: r }, (_, i) => String(i)).join(''));
          });
        }
      });

      it('is right for a user op that updates `b` in place or returns `a`', async () => {
        for (const size of world.sizes) {
          const got = await world.run(
            size,
            (c) => c.exscan({ s: zeroEveryThird(c.rank) }, SUM_INTO_B),
            forced('exscan', spec),
          );
          expect(got).toEqual(
            Array.from({ length: size }, (_, r) => (r === 0 ? null : { s: sumOfZeroEveryThird(r) })),
          );
        }
      });
    });
  });

  describe('algorithms chosen by the cost model', () => {
    it.each(['latency', 'cost'] as const)(
      'every collective is right with the SQS model optimizing %s',
      async (optimize) => {
        for (const size of world.sizes) {
          const root = size - 1;
          const got = await world.run(
            size,
            async (c) => {
              const b = await c.bcast(c.rank === root ? { v: root } : null, root);
              const r = await c.reduce(String(c.rank), CONCAT, root);
              const a = await c.allreduce(String(c.rank), CONCAT);
              const f = await c.allreduce(
                Float64Array.from({ length: 9 }, (_, i) => i + c.rank),
                SUM,
              );
              const g = await c.gather(c.rank, 0);
              const s = await c.scatter(
                c.rank === root ? Array.from({ length: size }, (_, i) => i * i) : null,
                root,
              );
              const ag = await c.allgather(c.rank);
              const a2a = await c.alltoall(Array.from({ length: size }, (_, j) => c.rank * 10 + j));
              const sc = await c.scan(String(c.rank), CONCAT);
              const ex = await c.exscan(1, SUM);
              await c.barrier();
              return { b, r, a, f: Array.from(f), g, s, ag, a2a, sc, ex };
            },
            { tuning: { optimize, profile: SQS_PROFILE } },
          );
          const all = Array.from({ length: size }, (_, i) => String(i)).join('');
          got.forEach((res, rank) => {
            expect(res.b).toEqual({ v: root });
            expect(res.r).toBe(rank === root ? all : null);
            expect(res.a).toBe(all);
            expect(res.f).toEqual(Array.from({ length: 9 }, (_, i) => size * i + (size * (size - 1)) / 2));
            expect(res.g).toEqual(rank === 0 ? Array.from({ length: size }, (_, i) => i) : null);
            expect(res.s).toBe(rank * rank);
            expect(res.ag).toEqual(Array.from({ length: size }, (_, i) => i));
            expect(res.a2a).toEqual(Array.from({ length: size }, (_, i) => i * 10 + rank));
            expect(res.sc).toBe(Array.from({ length: rank + 1 }, (_, i) => String(i)).join(''));
            expect(res.ex).toBe(rank === 0 ? null : rank);
          });
        }
      },
    );
  });
}
