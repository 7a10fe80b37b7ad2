import { describe, expect, it } from 'vitest';
import type { Comm } from '../../sdk/index.js';
import { IN_PLACE, MAX, Op, SUM } from '../../sdk/index.js';
import {
  concatDigits,
  extent,
  type Fold,
  gappedDispls,
  prefix,
  reference,
  unevenCounts,
} from '../helpers/buffer-reference.js';
import { runWorld, type TransportKind, WORLD_SIZES, type WorldOptions } from '../helpers/in-process-world.js';

/**
 * The buffer collectives of API.md's "Added in 2026-12" against the sequential references of
 * buffer-reference.ts, over every world size and root, every tree shape and the naive oracle,
 * uneven counts with zeros, default and gapped (reverse-order) displacements, and IN_PLACE.
 * Receive buffers start filled with -1 and one element longer than needed, so a write to the
 * wrong place or past the block shows.
 */

const TRANSPORTS: TransportKind[] = ['loopback', 'faulty'];
const SHAPES = [
  { name: 'binomial', tuning: { radix: 2 } },
  {
    name: '3-nomial, bruck',
    tuning: {
      radix: 3,
      algorithm: { allgather: { name: 'bruck' as const }, alltoall: { name: 'bruck' as const } },
    },
  },
  { name: 'flat', tuning: { radix: 64 } },
  { name: 'naive oracle', tuning: { naive: true } },
];

/** Element-wise digit concatenation on Float64Arrays: associative, not commutative. */
const CONCAT = Op.create(
  (a: Float64Array, b: Float64Array) => b.map((y, i) => concatDigits(a[i]!, y)),
  false,
);
const F = (xs: readonly number[]) => Float64Array.from(xs);
const minus1 = (n: number) => Array<number>(n).fill(-1);

/** Runs `fn` once per root (in root order) on one `size`-rank world; returns results [root][rank]. */
async function eachRoot<T>(
  size: number,
  fn: (c: Comm, root: number) => Promise<T>,
  opts: WorldOptions,
): Promise<T[][]> {
  const byRank = await runWorld(
    size,
    async (c) => {
      const out: T[] = [];
      for (let root = 0; root < size; root++) out.push(await fn(c, root));
      return out;
    },
    opts,
  );
  return Array.from({ length: size }, (_, root) => byRank.map((r) => r[root]!));
}

describe.each(TRANSPORTS)('buffer collectives over the %s transport', (transport) => {
  describe.each(SHAPES)('$name', ({ tuning }) => {
    const opts: WorldOptions = { transport, tuning };

    it('Scatterv hands rank i its block (uneven counts, zeros, default and gapped displs) for every size and root', async () => {
      for (const size of WORLD_SIZES) {
        for (const gapped of [false, true]) {
          const counts = unevenCounts(size);
          const displs = gapped ? gappedDispls(counts) : prefix(counts);
          const send = Array.from({ length: extent(counts, displs) }, (_, e) => e + 1);
          const init = counts.map((n) => minus1(n + 1));
          const got = await eachRoot(
            size,
            async (c, root) => {
              const rb = F(init[c.rank]!);
              const at = c.rank === root;
              await c.Scatterv(
                at ? F(send) : null,
                at ? counts : null,
                at && gapped ? displs : null,
                rb,
                root,
              );
              return Array.from(rb);
            },
            opts,
          );
          for (const perRank of got) expect(perRank).toEqual(reference.scatterv(send, counts, displs, init));
        }
      }
    });

    it('Gatherv puts rank i block at displs[i] on the root only, for every size and root', async () => {
      for (const size of WORLD_SIZES) {
        for (const gapped of [false, true]) {
          const counts = unevenCounts(size, 1);
          const displs = gapped ? gappedDispls(counts) : prefix(counts);
          const sends = counts.map((n, r) => Array.from({ length: n }, (_, e) => 10 * r + e));
          const init = minus1(extent(counts, displs) + 1);
          const got = await eachRoot(
            size,
            async (c, root) => {
              const at = c.rank === root;
              const rb = at ? F(init) : F([7]);
              await c.Gatherv(F(sends[c.rank]!), rb, at ? counts : null, at && gapped ? displs : null, root);
              return Array.from(rb);
            },
            opts,
          );
          got.forEach((perRank, root) => {
            perRank.forEach((buf, r) => {
              // A recvbuf passed on a non-root rank is left untouched.
              expect(buf).toEqual(r === root ? reference.gatherv(sends, displs, init) : [7]);
            });
          });
        }
      }
    });

    it('Allgatherv gives every rank every block at its displacement', async () => {
      for (const size of WORLD_SIZES) {
        for (const gapped of [false, true]) {
          const counts = unevenCounts(size, 2);
          const displs = gapped ? gappedDispls(counts) : prefix(counts);
          const sends = counts.map((n, r) => Array.from({ length: n }, (_, e) => 10 * r + e));
          const init = Array.from({ length: size }, () => minus1(extent(counts, displs) + 1));
          const got = await runWorld(
            size,
            async (c) => {
              const rb = F(init[c.rank]!);
              await c.Allgatherv(F(sends[c.rank]!), rb, counts, gapped ? displs : null);
              return Array.from(rb);
            },
            opts,
          );
          expect(got).toEqual(reference.allgatherv(sends, displs, init));
        }
      }
    });

    it('Alltoall moves block j of rank i to block i of rank j', async () => {
      for (const size of WORLD_SIZES) {
        for (const n of [0, 1, 3]) {
          const sends = Array.from({ length: size }, (_, i) =>
            Array.from({ length: n * size }, (_, e) => 100 * i + e),
          );
          const counts = Array.from({ length: size }, () => Array<number>(size).fill(n));
          const d = Array.from({ length: size }, () => prefix(Array<number>(size).fill(n)));
          const init = Array.from({ length: size }, () => minus1(n * size));
          const got = await runWorld(
            size,
            async (c) => {
              const rb = F(init[c.rank]!);
              await c.Alltoall(F(sends[c.rank]!), rb);
              return Array.from(rb);
            },
            opts,
          );
          expect(got).toEqual(reference.alltoallv(sends, counts, d, d, init));
        }
      }
    });

    it('Alltoallv exchanges blocks of every length (zeros too) at default and gapped displs', async () => {
      for (const size of WORLD_SIZES) {
        for (const gapped of [false, true]) {
          // rank i sends (i + 2j) % 3 elements to rank j
          const sendcounts = Array.from({ length: size }, (_, i) =>
            Array.from({ length: size }, (_, j) => (i + 2 * j) % 3),
          );
          const recvcounts = Array.from({ length: size }, (_, j) =>
            Array.from({ length: size }, (_, i) => sendcounts[i]![j]!),
          );
          const sd = sendcounts.map((c) => (gapped ? gappedDispls(c) : prefix(c)));
          const rd = recvcounts.map((c) => (gapped ? gappedDispls(c) : prefix(c)));
          const sends = sendcounts.map((c, i) =>
            Array.from({ length: extent(c, sd[i]!) }, (_, e) => 100 * i + e),
          );
          const init = recvcounts.map((c, j) => minus1(extent(c, rd[j]!) + 1));
          const got = await runWorld(
            size,
            async (c) => {
              const r = c.rank;
              const rb = F(init[r]!);
              await c.Alltoallv(
                F(sends[r]!),
                sendcounts[r]!,
                gapped ? sd[r]! : null,
                rb,
                recvcounts[r]!,
                gapped ? rd[r]! : null,
              );
              return Array.from(rb);
            },
            opts,
          );
          expect(got).toEqual(reference.alltoallv(sends, sendcounts, sd, rd, init));
        }
      }
    });

    it('Reduce_scatter gives rank i recvcounts[i] elements of the rank-ordered reduction (non-commutative op)', async () => {
      for (const size of WORLD_SIZES) {
        const counts = unevenCounts(size, 3);
        const total = counts.reduce((a, b) => a + b, 0);
        const sends = Array.from({ length: size }, (_, r) =>
          Array.from({ length: total + 2 }, (_, e) => ((r + e) % 9) + 1),
        );
        const init = counts.map((n) => minus1(n + 1));
        for (const [op, fold] of [
          [CONCAT, concatDigits],
          [SUM, (a: number, b: number) => a + b],
        ] as [Op, Fold][]) {
          const got = await runWorld(
            size,
            async (c) => {
              const rb = F(init[c.rank]!);
              // sendbuf may be longer than sum(recvcounts): only the front is reduced.
              await c.Reduce_scatter(F(sends[c.rank]!), rb, counts, op);
              return Array.from(rb);
            },
            opts,
          );
          expect(got).toEqual(reference.reduceScatter(sends, counts, fold, init));
        }
      }
    });

    it('Reduce_scatter_block gives rank i block i of the element-wise reduction', async () => {
      for (const size of WORLD_SIZES) {
        for (const n of [0, 2]) {
          const counts = Array<number>(size).fill(n);
          const sends = Array.from({ length: size }, (_, r) =>
            Array.from({ length: n * size }, (_, e) => ((r * 3 + e) % 9) + 1),
          );
          const init = counts.map(() => minus1(n + 1));
          const got = await runWorld(
            size,
            async (c) => {
              const rb = F(init[c.rank]!);
              await c.Reduce_scatter_block(F(sends[c.rank]!), rb, CONCAT);
              return Array.from(rb);
            },
            opts,
          );
          expect(got).toEqual(reference.reduceScatter(sends, counts, concatDigits, init));
        }
      }
    });

    it('Scan and Exscan are the inclusive and exclusive rank-ordered element-wise prefixes; Exscan leaves rank 0 alone', async () => {
      for (const size of WORLD_SIZES) {
        const sends = Array.from({ length: size }, (_, r) => [r + 1, ((r * 5) % 9) + 1, 9 - (r % 9)]);
        const init = Array.from({ length: size }, () => minus1(4));
        for (const exclusive of [false, true]) {
          for (const [op, fold] of [
            [CONCAT, concatDigits],
            [MAX, Math.max],
          ] as [Op, Fold][]) {
            const got = await runWorld(
              size,
              async (c) => {
                const rb = F(init[c.rank]!);
                const sb = F(sends[c.rank]!);
                if (exclusive) await c.Exscan(sb, rb, op);
                else await c.Scan(sb, rb, op);
                return Array.from(rb);
              },
              opts,
            );
            expect(got).toEqual(reference.scan(sends, fold, exclusive, init));
          }
        }
      }
    });

    it('IN_PLACE: Scatterv/Scatter recvbuf at the root, Gatherv/Gather sendbuf at the root, for every root', async () => {
      for (const size of WORLD_SIZES) {
        const counts = unevenCounts(size, 1);
        const displs = prefix(counts);
        const total = counts.reduce((a, b) => a + b, 0);
        const all = Array.from({ length: total }, (_, e) => e + 1);
        const got = await eachRoot(
          size,
          async (c, root) => {
            const at = c.rank === root;
            const mine = all.slice(displs[c.rank]!, displs[c.rank]! + counts[c.rank]!);
            // Scatterv: the root keeps its block in sendbuf.
            const sb = F(all);
            const rb = F(minus1(counts[c.rank]!));
            await c.Scatterv(at ? sb : null, at ? counts : null, null, at ? IN_PLACE : rb, root);
            // Gatherv: the root's block is already in recvbuf.
            const gb = F(
              at ? all.map((v, e) => (e >= displs[root]! && e < displs[root]! + counts[root]! ? v : 0)) : [],
            );
            await c.Gatherv(at ? IN_PLACE : F(mine), at ? gb : null, at ? counts : null, null, root);
            // Scatter and Gather with equal blocks of 2.
            const eq = Array.from({ length: 2 * size }, (_, e) => e + 50);
            const sr = F([-1, -1]);
            await c.Scatter(at ? F(eq) : null, at ? IN_PLACE : sr, root);
            const ga = F(at ? eq.map((v, e) => (e >> 1 === root ? v : 0)) : []);
            await c.Gather(at ? IN_PLACE : F(eq.slice(2 * c.rank, 2 * c.rank + 2)), at ? ga : null, root);
            return {
              rb: Array.from(rb),
              gb: Array.from(gb),
              sr: Array.from(sr),
              ga: Array.from(ga),
              sb: Array.from(sb),
            };
          },
          opts,
        );
        got.forEach((perRank, root) => {
          perRank.forEach((g, r) => {
            if (r === root) {
              expect(g.sb).toEqual(all);
              expect(g.rb).toEqual(minus1(counts[r]!)); // IN_PLACE: not written
              expect(g.gb).toEqual(all);
              expect(g.ga).toEqual(Array.from({ length: 2 * size }, (_, e) => e + 50));
            } else {
              expect(g.rb).toEqual(all.slice(displs[r]!, displs[r]! + counts[r]!));
              expect(g.sr).toEqual([50 + 2 * r, 51 + 2 * r]);
            }
          });
        });
      }
    });

    it('IN_PLACE: Allgather(v), Alltoall, Allreduce, Reduce at the root read their input from recvbuf', async () => {
      for (const size of WORLD_SIZES) {
        const counts = unevenCounts(size, 2);
        const displs = gappedDispls(counts);
        const sends = counts.map((n, r) => Array.from({ length: n }, (_, e) => 10 * r + e));
        const len = extent(counts, displs);
        const got = await eachRoot(
          size,
          async (c, root) => {
            const r = c.rank;
            const agv = F(minus1(len));
            agv.set(sends[r]!, displs[r]!);
            await c.Allgatherv(IN_PLACE, agv, counts, displs);
            const ag = F(minus1(3 * size));
            ag.set([r, r, r], 3 * r);
            await c.Allgather(IN_PLACE, ag);
            const a2a = F(Array.from({ length: 2 * size }, (_, e) => 100 * r + e));
            await c.Alltoall(IN_PLACE, a2a);
            const ar = F([r, 1]);
            await c.Allreduce(IN_PLACE, ar, SUM);
            const red = F([r + 1, 2]);
            await c.Reduce(r === root ? IN_PLACE : F([r + 1, 2]), r === root ? red : null, SUM, root);
            return [Array.from(agv), Array.from(ag), Array.from(a2a), Array.from(ar), Array.from(red)];
          },
          opts,
        );
        const init = Array.from({ length: size }, () => minus1(len));
        const agvWant = reference.allgatherv(sends, displs, init)[0];
        got.forEach((perRank, root) => {
          perRank.forEach(([agv, ag, a2a, ar, red], r) => {
            expect(agv).toEqual(agvWant);
            expect(ag).toEqual(Array.from({ length: 3 * size }, (_, e) => Math.floor(e / 3)));
            expect(a2a).toEqual(Array.from({ length: 2 * size }, (_, e) => 100 * (e >> 1) + 2 * r + (e & 1)));
            expect(ar).toEqual([(size * (size - 1)) / 2, size]);
            expect(red).toEqual(r === root ? [(size * (size + 1)) / 2, 2 * size] : [r + 1, 2]);
          });
        });
      }
    });

    it('IN_PLACE: Reduce_scatter(_block) put the result at the front of recvbuf; Scan/Exscan overwrite it (Exscan not on rank 0)', async () => {
      for (const size of WORLD_SIZES) {
        const counts = unevenCounts(size, 1);
        const total = counts.reduce((a, b) => a + b, 0);
        const sends = Array.from({ length: size }, (_, r) =>
          Array.from({ length: total }, (_, e) => ((r + e) % 9) + 1),
        );
        const blocks = Array.from({ length: size }, (_, r) =>
          Array.from({ length: 2 * size }, (_, e) => ((r * 2 + e) % 9) + 1),
        );
        const got = await runWorld(
          size,
          async (c) => {
            const r = c.rank;
            const rs = F(sends[r]!);
            await c.Reduce_scatter(IN_PLACE, rs, counts, CONCAT);
            const rsb = F(blocks[r]!);
            await c.Reduce_scatter_block(IN_PLACE, rsb, CONCAT);
            const sc = F(sends[r]!);
            await c.Scan(IN_PLACE, sc, CONCAT);
            const ex = F(sends[r]!);
            await c.Exscan(IN_PLACE, ex, CONCAT);
            return {
              rs: Array.from(rs).slice(0, counts[r]),
              rsb: Array.from(rsb).slice(0, 2),
              sc: Array.from(sc),
              ex: Array.from(ex),
            };
          },
          opts,
        );
        const rsWant = reference.reduceScatter(
          sends,
          counts,
          concatDigits,
          counts.map(() => []),
        );
        const rsbWant = reference.reduceScatter(
          blocks,
          Array(size).fill(2),
          concatDigits,
          counts.map(() => []),
        );
        const scWant = reference.scan(sends, concatDigits, false, sends);
        const exWant = reference.scan(sends, concatDigits, true, sends);
        got.forEach((g, r) => {
          expect(g.rs).toEqual(rsWant[r]);
          expect(g.rsb).toEqual(rsbWant[r]);
          expect(g.sc).toEqual(scWant[r]);
          expect(g.ex).toEqual(exWant[r]);
        });
      }
    });
  });
});
