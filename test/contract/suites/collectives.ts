import { describe, expect, it } from 'vitest';
import {
  type CollectiveTuning,
  ERR_COUNT,
  ERR_OP,
  ERR_ROOT,
  LAND,
  LOR,
  LXOR,
  MAX,
  MAXLOC,
  MIN,
  MINLOC,
  MPIError,
  NO_OP,
  Op,
  PROD,
  REPLACE,
  SUM,
} from '../../../sdk/index.js';
import { type ContractWorld, eachRoot } from '../contract-world.js';

interface Shape {
  name: string;
  tuning: Partial<CollectiveTuning>;
}

/**
 * Tree shapes every collective must get right: binomial, 3-nomial, flat, and the naive oracle.
 * `optimize: null` makes the radix count on transports whose default is the cost model (SQS).
 */
const SHAPES: Shape[] = [
  { name: 'binomial', tuning: { optimize: null, radix: 2 } },
  {
    name: '3-nomial, reduce+bcast allreduce',
    tuning: { optimize: null, radix: 3, allreduce: 'reduce-bcast' },
  },
  { name: 'flat', tuning: { optimize: null, radix: 64 } },
  { name: 'naive oracle', tuning: { naive: true } },
];
/** Where the shapes matrix is too much traffic: what the transport's jobs run by default. */
const DEFAULT_SHAPE: Shape[] = [{ name: 'the default algorithms of the transport', tuning: {} }];
/** String concatenation: associative, not commutative, so any order mistake shows. */
const CONCAT = Op.create((a: string, b: string) => a + b, false);

export function collectivesContract(world: ContractWorld): void {
  describe.each(world.exhaustive ? SHAPES : DEFAULT_SHAPE)('collectives, $name', ({ tuning }) => {
    const opts = { tuning };

    it('bcast delivers the root value to every rank, for every size and root', async () => {
      for (const size of world.sizes) {
        const byRoot = await eachRoot(
          world,
          size,
          (c, root) => c.bcast(c.rank === root ? { from: root, list: [1, 2] } : null, root),
          opts,
        );
        for (const [root, got] of byRoot) expect(got).toEqual(Array(size).fill({ from: root, list: [1, 2] }));
      }
    });

    it('reduce combines in rank order at the root only (non-commutative op), for every size and root', async () => {
      for (const size of world.sizes) {
        const byRoot = await eachRoot(
          world,
          size,
          (c, root) => c.reduce(String.fromCharCode(97 + c.rank), CONCAT, root),
          opts,
        );
        const expected = Array.from({ length: size }, (_, r) => String.fromCharCode(97 + r)).join('');
        for (const [root, got] of byRoot) {
          expect(got).toEqual(Array.from({ length: size }, (_, r) => (r === root ? expected : null)));
        }
      }
    });

    it('a user op left commutative (the default) still gets `a` from the lower ranks: reduce, allreduce, scan, every root', async () => {
      const calls: string[] = [];
      const concat = Op.create((a: string, b: string) => {
        calls.push(`${a}|${b}`);
        return a + b;
      });
      for (const size of world.sizes) {
        const expected = Array.from({ length: size }, (_, r) => String.fromCharCode(97 + r)).join('');
        const byRoot = await eachRoot(
          world,
          size,
          async (c, root) => {
            const mine = String.fromCharCode(97 + c.rank);
            return [
              await c.reduce(mine, concat, root),
              await c.allreduce(mine, concat),
              await c.scan(mine, concat),
            ];
          },
          opts,
        );
        for (const [root, got] of byRoot) {
          expect(got).toEqual(
            Array.from({ length: size }, (_, r) => [
              r === root ? expected : null,
              expected,
              expected.slice(0, r + 1),
            ]),
          );
        }
      }
      // Every call's `a` ends with the letter just before `b`'s first: lower ranks on the left.
      for (const call of calls) {
        const [a, b] = call.split('|') as [string, string];
        expect(a.charCodeAt(a.length - 1) + 1, call).toBe(b.charCodeAt(0));
      }
    });

    it('reduce with SUM/MAX/MIN/PROD gives the arithmetic result at every root', async () => {
      for (const size of world.sizes) {
        const byRoot = await eachRoot(
          world,
          size,
          async (c, root) => [
            await c.reduce(c.rank + 1, SUM, root),
            await c.reduce(c.rank * 3, MAX, root),
            await c.reduce(10 - c.rank, MIN, root),
            await c.reduce(2, PROD, root),
          ],
          opts,
        );
        for (const [root, got] of byRoot) {
          expect(got[root]).toEqual([(size * (size + 1)) / 2, (size - 1) * 3, 10 - (size - 1), 2 ** size]);
        }
      }
    });

    it('allreduce gives every rank the same rank-ordered result', async () => {
      for (const size of world.sizes) {
        const got = await world.run(
          size,
          async (c) =>
            [
              await c.allreduce(String(c.rank), CONCAT),
              await c.allreduce(new Float64Array([c.rank, 1]), SUM),
            ] as const,
          opts,
        );
        const expected = Array.from({ length: size }, (_, r) => String(r)).join('');
        expect(got.map((g) => g[0])).toEqual(Array(size).fill(expected));
        for (const [, s] of got) {
          expect(s).toBeInstanceOf(Float64Array);
          expect(Array.from(s)).toEqual([(size * (size - 1)) / 2, size]);
        }
      }
    });

    it('MAXLOC and MINLOC find the extreme value and the lowest rank holding it', async () => {
      for (const size of world.sizes) {
        // value peaks at the middle ranks, twice where possible: ties go to the lower index
        const vals = Array.from({ length: size }, (_, r) => Math.min(r, size - 1 - r));
        const max = Math.max(...vals);
        const min = Math.min(...vals);
        const got = await world.run(
          size,
          async (c) => [
            await c.allreduce([vals[c.rank]!, c.rank], MAXLOC),
            await c.allreduce([vals[c.rank]!, c.rank], MINLOC),
          ],
          opts,
        );
        expect(got[0]![0]).toEqual([max, vals.indexOf(max)]);
        expect(got[size - 1]![1]).toEqual([min, vals.indexOf(min)]);
      }
    });

    it('REPLACE keeps the last rank and NO_OP the first, as in rank order', async () => {
      for (const size of world.sizes) {
        const got = await world.run(
          size,
          async (c) => [await c.reduce(c.rank, REPLACE, 0), await c.reduce(c.rank, NO_OP, 0)],
          opts,
        );
        expect(got[0]).toEqual([size - 1, 0]);
      }
    });

    it('LAND, LOR and LXOR give booleans whatever the size, one rank and scan’s rank 0 included', async () => {
      for (const size of world.sizes) {
        const got = await world.run(
          size,
          async (c) => [
            await c.allreduce(5, LAND),
            await c.allreduce(c.rank === 0 ? 2 : 0, LOR),
            await c.allreduce(3, LXOR),
            await c.scan(7, LAND),
            await c.allreduce([4, 0], LOR),
            Array.from(await c.allreduce(new Int32Array([9, 0]), LAND)),
          ],
          opts,
        );
        const xor = size % 2 === 1;
        for (const r of got) expect(r).toEqual([true, true, xor, true, [true, false], [1, 0]]);
      }
    });

    it('bcast gives the root a copy of its value too, as every received value is', async () => {
      for (const size of world.sizes) {
        const got = await world.run(
          size,
          async (c) => {
            const mine = { list: [c.rank] };
            const value = await c.bcast(c.rank === 0 ? mine : null, 0);
            return [value === mine, value];
          },
          opts,
        );
        for (const r of got) expect(r).toEqual([false, { list: [0] }]);
      }
    });

    it('scatter hands rank i the i-th value and gather collects them back in rank order', async () => {
      for (const size of world.sizes) {
        const byRoot = await eachRoot(
          world,
          size,
          async (c, root) => {
            const mine = await c.scatter(
              c.rank === root ? Array.from({ length: size }, (_, i) => ({ i })) : null,
              root,
            );
            return c.gather((mine as { i: number }).i * 10, root);
          },
          opts,
        );
        for (const [root, got] of byRoot) {
          expect(got[root]).toEqual(Array.from({ length: size }, (_, i) => i * 10));
          got.forEach((g, r) => {
            if (r !== root) expect(g).toBeNull();
          });
        }
      }
    });

    it('allgather and alltoall exchange every value', async () => {
      for (const size of world.sizes) {
        const got = await world.run(
          size,
          async (c) => ({
            ag: await c.allgather(`r${c.rank}`),
            a2a: await c.alltoall(Array.from({ length: size }, (_, j) => [c.rank, j])),
          }),
          opts,
        );
        got.forEach(({ ag, a2a }, r) => {
          expect(ag).toEqual(Array.from({ length: size }, (_, i) => `r${i}`));
          expect(a2a).toEqual(Array.from({ length: size }, (_, i) => [i, r]));
        });
      }
    });

    it('scan is the inclusive and exscan the exclusive rank-ordered prefix', async () => {
      for (const size of world.sizes) {
        const got = await world.run(
          size,
          async (c) => [await c.scan(String(c.rank), CONCAT), await c.exscan(String(c.rank), CONCAT)],
          opts,
        );
        for (let r = 0; r < size; r++) {
          const prefix = (n: number) => Array.from({ length: n }, (_, i) => String(i)).join('');
          expect(got[r]).toEqual([prefix(r + 1), r === 0 ? null : prefix(r)]);
        }
      }
    });

    it("scan and exscan work on a copy: the caller's operand is left as it was, a logic op's is a boolean", async () => {
      for (const size of world.sizes) {
        const got = await world.run(
          size,
          async (c) => {
            // SUM writes its result into an operand: it must be the collective's own copy.
            const typed = Float64Array.from([c.rank, 1]);
            const list = [c.rank, 1];
            const sc = await c.scan(typed, SUM);
            const ex = await c.exscan(list, SUM);
            const land = await c.exscan(7, LAND);
            return [Array.from(typed), list, Array.from(sc), ex, land];
          },
          opts,
        );
        got.forEach((g, r) => {
          const before = r === 0 ? null : [(r * (r - 1)) / 2, r];
          expect(g).toEqual([[r, 1], [r, 1], [(r * (r + 1)) / 2, r + 1], before, r === 0 ? null : true]);
        });
      }
    });

    it('barrier returns on every rank only after every rank entered it', async () => {
      for (const size of world.sizes) {
        const entered: number[] = [];
        const seenAtExit = await world.run(
          size,
          async (c) => {
            // Ranks enter at different event-loop turns.
            for (let i = 0; i < c.rank; i++) await new Promise<void>((r) => setImmediate(r));
            entered.push(c.rank);
            await c.barrier();
            return entered.length;
          },
          opts,
        );
        expect(seenAtExit).toEqual(Array(size).fill(size));
      }
    });
  });

  describe('non-blocking collectives', () => {
    it('several outstanding collectives on one communicator complete with their own values', async () => {
      for (const size of world.sizes) {
        const got = await world.run(size, async (c) => {
          const a = c.iallreduce(c.rank, SUM);
          const b = c.ibcast(c.rank === 0 ? 'zero' : null, 0);
          const g = c.igather(c.rank, size - 1);
          const s = c.iscan(1, SUM);
          const bar = c.ibarrier();
          // Wait in another order than started.
          const sv = await s.wait();
          await bar.wait();
          return [await g.wait(), await b.wait(), await a.wait(), sv];
        });
        got.forEach(([g, b, a, s], r) => {
          expect(a).toBe((size * (size - 1)) / 2);
          expect(b).toBe('zero');
          expect(g).toEqual(r === size - 1 ? Array.from({ length: size }, (_, i) => i) : null);
          expect(s).toBe(r + 1);
        });
      }
    });

    it('scatter/alltoall and their I* forms take a TypedArray as the sequence, element i to rank i (as numpy arrays in mpi4py)', async () => {
      const size = 3;
      const got = await world.run(size, async (c) => {
        const row = (k: number) => Float64Array.from({ length: size }, (_, j) => 10 * c.rank + j + k);
        return {
          scatter: await c.scatter(c.rank === 1 ? new Int32Array([7, 8, 9]) : null, 1),
          iscatter: await c.iscatter(c.rank === 0 ? new BigInt64Array([1n, 2n, 3n]) : null, 0).wait(),
          alltoall: await c.alltoall(row(0)),
          ialltoall: await c.ialltoall(row(0.5)).wait(),
        };
      });
      got.forEach((g, r) => {
        expect(g.scatter).toBe(7 + r);
        expect(g.iscatter).toBe(BigInt(r + 1));
        expect(g.alltoall).toEqual(Array.from({ length: size }, (_, i) => 10 * i + r));
        expect(g.ialltoall).toEqual(Array.from({ length: size }, (_, i) => 10 * i + r + 0.5));
      });
    });

    it('collectives on different communicators run at the same time without mixing', async () => {
      const got = await world.run(6, async (c) => {
        const half = (await c.split(c.rank % 2))!;
        const dup = await c.dup();
        const [x, y] = await Promise.all([half.allreduce(c.rank, SUM), dup.allreduce(1, SUM)]);
        return [x, y, half.size, half.rank];
      });
      expect(got.map((g) => g[0])).toEqual([6, 9, 6, 9, 6, 9]);
      expect(got.map((g) => g[1])).toEqual(Array(6).fill(6));
      expect(got.map((g) => g[3])).toEqual([0, 0, 1, 1, 2, 2]);
    });
  });

  describe('collective argument errors reject on the calling rank before anything is sent', () => {
    it('a root out of range is ERR_ROOT, checked before a bad operand', async () => {
      const errs = await world.run(3, async (c) => {
        try {
          await c.reduce('not a number', SUM, 5);
        } catch (e) {
          return e;
        }
      });
      for (const e of errs) {
        expect(e).toBeInstanceOf(MPIError);
        expect((e as MPIError).errorClass).toBe(ERR_ROOT);
        expect((e as MPIError).message).toContain('`5`');
      }
    });

    it('every rooted collective, buffer forms too, checks the root before a bad operand (ERR_ROOT)', async () => {
      const got = await world.run(2, async (c) => {
        const bad = [1] as never;
        const calls: Record<string, () => PromiseLike<unknown>> = {
          bcast: () => c.bcast(() => 1, 5),
          Bcast: () => c.Bcast(bad, 5),
          Ibcast: () => c.Ibcast(bad, 5),
          Reduce: () => c.Reduce(bad, bad, SUM, 5),
          Gather: () => c.Gather(bad, bad, 5),
          Scatter: () => c.Scatter(bad, bad, 5),
          Gatherv: () => c.Gatherv(bad, bad, bad, null, 5),
          Scatterv: () => c.Scatterv(bad, bad, null, bad, 5),
        };
        const out: Record<string, number | undefined> = {};
        for (const [name, call] of Object.entries(calls)) {
          try {
            await call();
          } catch (e) {
            out[name] = (e as MPIError).errorClass;
          }
        }
        return out;
      });
      for (const out of got) {
        expect(out).toEqual({
          bcast: ERR_ROOT,
          Bcast: ERR_ROOT,
          Ibcast: ERR_ROOT,
          Reduce: ERR_ROOT,
          Gather: ERR_ROOT,
          Scatter: ERR_ROOT,
          Gatherv: ERR_ROOT,
          Scatterv: ERR_ROOT,
        });
      }
    });

    it('an operand the op does not accept is ERR_OP on every rank, naming the op and the type', async () => {
      const errs = await world.run(4, async (c) => {
        try {
          await c.allreduce({ x: 1 }, SUM);
        } catch (e) {
          return e as MPIError;
        }
      });
      for (const e of errs) {
        expect(e?.errorClass).toBe(ERR_OP);
        expect(e?.message).toContain('SUM');
      }
    });

    it('scatter and alltoall with the wrong number of values are ERR_COUNT, thrown synchronously by I* forms', async () => {
      await world.run(3, async (c) => {
        expect(() => c.ialltoall([1, 2])).toThrow(MPIError);
        await expect(c.alltoall([1])).rejects.toMatchObject({ errorClass: ERR_COUNT });
        expect(() => c.ialltoall(new Float64Array(2))).toThrow(
          /expected `objs` to have exactly 3 entries \(one per rank\), got 2/,
        );
        await expect(c.alltoall(new Int8Array(4))).rejects.toMatchObject({ errorClass: ERR_COUNT });
        if (c.rank === 0) {
          expect(() => c.iscatter([1, 2, 3, 4], 0)).toThrow(/exactly 3 entries/);
          await expect(c.scatter(new Uint16Array(4), 0)).rejects.toMatchObject({
            errorClass: ERR_COUNT,
            message: expect.stringMatching(/exactly 3 entries \(one per rank\), got 4/),
          });
        }
      });
    });
  });
}
