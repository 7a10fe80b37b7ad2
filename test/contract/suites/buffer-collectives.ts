import { describe, expect, it } from 'vitest';
import type { CollectiveTuning } from '../../../sdk/index.js';
import {
  ANY_TAG,
  BAND,
  COMM_TYPE_SHARED,
  IN_PLACE,
  LAND,
  MAX,
  MPIError,
  Op,
  PROC_NULL,
  PROD,
  Request,
  Status,
  SUM,
  UNDEFINED,
} from '../../../sdk/index.js';
import {
  concatDigits,
  extent,
  type Fold,
  gappedDispls,
  prefix,
  reference,
  unevenCounts,
} from '../../helpers/buffer-reference.js';
import { type ContractWorld, eachRoot } from '../contract-world.js';

type WorldOptions = { tuning?: Partial<CollectiveTuning> };

/**
 * The buffer collectives of API.md's "Added in 2026-12" against the sequential references of
 * buffer-reference.ts, over every world size and root, every tree shape and the naive oracle,
 * uneven counts with zeros, default and gapped (reverse-order) displacements, and IN_PLACE.
 * Receive buffers start filled with -1 and one element longer than needed, so a write to the
 * wrong place or past the block shows.
 */

const SHAPES: { name: string; tuning: Partial<CollectiveTuning> }[] = [
  { name: 'binomial', tuning: { optimize: null, radix: 2 } },
  {
    name: '3-nomial, bruck',
    tuning: {
      optimize: null,
      radix: 3,
      algorithm: { allgather: { name: 'bruck' as const }, alltoall: { name: 'bruck' as const } },
    },
  },
  { name: 'flat', tuning: { optimize: null, radix: 64 } },
  { name: 'naive oracle', tuning: { naive: true } },
];

/** Element-wise digit concatenation on Float64Arrays: associative, not commutative. */
const CONCAT = Op.create(
  (a: Float64Array, b: Float64Array) => b.map((y, i) => concatDigits(a[i]!, y)),
  false,
);
const F = (xs: readonly number[]) => Float64Array.from(xs);
/**
 * Digit concatenation over every rank (a scan's last prefix) stays an exact Float64 up to 15
 * one-digit ranks (2^53 has 16 digits): larger worlds (the node worlds run 17) check those
 * prefixes with the other ops only.
 */
const EXACT_CONCAT_RANKS = 15;
const minus1 = (n: number) => Array<number>(n).fill(-1);

export function bufferCollectivesContract(world: ContractWorld): void {
  /**
   * The variants a sweep runs: all of them where the transport is exhaustive, else the one that
   * covers most (gapped displacements, non-empty blocks), so SQS runs a job or two per size.
   */
  const few = <T>(all: T[], some: T[]): T[] => (world.exhaustive ? all : some);
  const DEFAULT_SHAPE = [{ name: "the transport's default algorithms", tuning: {} }];
  describe.each(world.exhaustive ? SHAPES : DEFAULT_SHAPE)('buffer collectives, $name', ({ tuning }) => {
    const opts: WorldOptions = { tuning };

    it('Scatterv hands rank i its block (uneven counts, zeros, default and gapped displs) for every size and root', async () => {
      for (const size of world.sizes) {
        for (const gapped of few([false, true], [true])) {
          const counts = unevenCounts(size);
          const displs = gapped ? gappedDispls(counts) : prefix(counts);
          const send = Array.from({ length: extent(counts, displs) }, (_, e) => e + 1);
          const init = counts.map((n) => minus1(n + 1));
          const got = await eachRoot(
            world,
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
          for (const [, perRank] of got)
            expect(perRank).toEqual(reference.scatterv(send, counts, displs, init));
        }
      }
    });

    it('Gatherv puts rank i block at displs[i] on the root only, for every size and root', async () => {
      for (const size of world.sizes) {
        for (const gapped of few([false, true], [true])) {
          const counts = unevenCounts(size, 1);
          const displs = gapped ? gappedDispls(counts) : prefix(counts);
          const sends = counts.map((n, r) => Array.from({ length: n }, (_, e) => 10 * r + e));
          const init = minus1(extent(counts, displs) + 1);
          const got = await eachRoot(
            world,
            size,
            async (c, root) => {
              const at = c.rank === root;
              const rb = at ? F(init) : F([7]);
              await c.Gatherv(F(sends[c.rank]!), rb, at ? counts : null, at && gapped ? displs : null, root);
              return Array.from(rb);
            },
            opts,
          );
          got.forEach(([root, perRank]) => {
            perRank.forEach((buf, r) => {
              // A recvbuf passed on a non-root rank is left untouched.
              expect(buf).toEqual(r === root ? reference.gatherv(sends, displs, init) : [7]);
            });
          });
        }
      }
    });

    it('Allgatherv gives every rank every block at its displacement', async () => {
      for (const size of world.sizes) {
        for (const gapped of few([false, true], [true])) {
          const counts = unevenCounts(size, 2);
          const displs = gapped ? gappedDispls(counts) : prefix(counts);
          const sends = counts.map((n, r) => Array.from({ length: n }, (_, e) => 10 * r + e));
          const init = Array.from({ length: size }, () => minus1(extent(counts, displs) + 1));
          const got = await world.run(
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
      for (const size of world.sizes) {
        for (const n of few([0, 1, 3], [3])) {
          const sends = Array.from({ length: size }, (_, i) =>
            Array.from({ length: n * size }, (_, e) => 100 * i + e),
          );
          const counts = Array.from({ length: size }, () => Array<number>(size).fill(n));
          const d = Array.from({ length: size }, () => prefix(Array<number>(size).fill(n)));
          const init = Array.from({ length: size }, () => minus1(n * size));
          const got = await world.run(
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
      for (const size of world.sizes) {
        for (const gapped of few([false, true], [true])) {
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
          const got = await world.run(
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
      for (const size of world.sizes) {
        const counts = unevenCounts(size, 3);
        const total = counts.reduce((a, b) => a + b, 0);
        const sends = Array.from({ length: size }, (_, r) =>
          Array.from({ length: total + 2 }, (_, e) => ((r + e) % 9) + 1),
        );
        const init = counts.map((n) => minus1(n + 1));
        const ops: [Op, Fold][] = [
          [CONCAT, concatDigits],
          [SUM, (a, b) => a + b],
        ];
        for (const [op, fold] of few(ops, ops.slice(0, 1))) {
          const got = await world.run(
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
      for (const size of world.sizes) {
        for (const n of few([0, 2], [2])) {
          const counts = Array<number>(size).fill(n);
          const sends = Array.from({ length: size }, (_, r) =>
            Array.from({ length: n * size }, (_, e) => ((r * 3 + e) % 9) + 1),
          );
          const init = counts.map(() => minus1(n));
          const got = await world.run(
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

    it('Scan and Exscan are the inclusive and exclusive rank-ordered element-wise prefixes; Exscan leaves rank 0 alone; sendbuf is not written', async () => {
      for (const size of world.sizes) {
        const sends = Array.from({ length: size }, (_, r) => [r + 1, ((r * 5) % 9) + 1, 9 - (r % 9)]);
        const init = Array.from({ length: size }, () => minus1(4));
        for (const exclusive of [false, true]) {
          const ops: [Op, Fold][] = [
            ...(size <= EXACT_CONCAT_RANKS ? ([[CONCAT, concatDigits]] as [Op, Fold][]) : []),
            [MAX, Math.max],
          ];
          for (const [op, fold] of few(ops, ops.slice(0, 1))) {
            const got = await world.run(
              size,
              async (c) => {
                const rb = F(init[c.rank]!);
                const sb = F(sends[c.rank]!);
                if (exclusive) await c.Exscan(sb, rb, op);
                else await c.Scan(sb, rb, op);
                return [Array.from(rb), Array.from(sb)];
              },
              opts,
            );
            expect(got.map(([rb]) => rb)).toEqual(reference.scan(sends, fold, exclusive, init));
            // The predefined ops write their result into an operand: never the caller's sendbuf.
            expect(got.map(([, sb]) => sb)).toEqual(sends);
          }
        }
      }
    });

    it('LAND gives truth values (1/0) on every rank and size: Allreduce, Reduce at the root, and Scan at rank 0 alike', async () => {
      for (const size of world.sizes) {
        const got = await world.run(
          size,
          async (c) => {
            const a = new Int32Array(2);
            const r = new Int32Array(2);
            const s = new Int32Array(2);
            await c.Allreduce(new Int32Array([5, 0]), a, LAND);
            await c.Reduce(new Int32Array([5, 0]), r, LAND, 0);
            await c.Scan(new Int32Array([5, 0]), s, LAND);
            return [Array.from(a), Array.from(r), Array.from(s)];
          },
          opts,
        );
        got.forEach(([a, r, s], rank) => {
          expect(a).toEqual([1, 0]);
          expect(r).toEqual(rank === 0 ? [1, 0] : [0, 0]);
          expect(s).toEqual([1, 0]);
        });
      }
    });

    it('IN_PLACE: Scatterv/Scatter recvbuf at the root, Gatherv/Gather sendbuf at the root, for every root', async () => {
      for (const size of world.sizes) {
        const counts = unevenCounts(size, 1);
        const displs = prefix(counts);
        const total = counts.reduce((a, b) => a + b, 0);
        const all = Array.from({ length: total }, (_, e) => e + 1);
        const got = await eachRoot(
          world,
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
        got.forEach(([root, perRank]) => {
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
      for (const size of world.sizes) {
        const counts = unevenCounts(size, 2);
        const displs = gappedDispls(counts);
        const sends = counts.map((n, r) => Array.from({ length: n }, (_, e) => 10 * r + e));
        const len = extent(counts, displs);
        const got = await eachRoot(
          world,
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
        got.forEach(([root, perRank]) => {
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
      // CONCAT prefixes of more ranks are not exact in Float64 (see EXACT_CONCAT_RANKS).
      for (const size of world.sizes.filter((n) => n <= EXACT_CONCAT_RANKS)) {
        const counts = unevenCounts(size, 1);
        const total = counts.reduce((a, b) => a + b, 0);
        const sends = Array.from({ length: size }, (_, r) =>
          Array.from({ length: total }, (_, e) => ((r + e) % 9) + 1),
        );
        const blocks = Array.from({ length: size }, (_, r) =>
          Array.from({ length: 2 * size }, (_, e) => ((r * 2 + e) % 9) + 1),
        );
        const got = await world.run(
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

  describe('buffer collectives: arguments, non-blocking forms, Sendrecv, splitType', () => {
    /** A size of the world's sweep with at least 3 ranks (so root, non-root and a third differ). */
    const size3 = world.sizes.find((s) => s >= 3) ?? world.sizes[world.sizes.length - 1]!;

    /** The error class `p` rejects with (or 'ok'). */
    const classOf = (p: PromiseLike<unknown>) =>
      Promise.resolve(p).then(
        () => 'ok',
        (e: unknown) => (e instanceof MPIError ? e.errorClassName : String(e)),
      );
    /** The error class a call fails with, thrown or rejected (or 'ok'). */
    const throwsOrRejects = (f: () => PromiseLike<unknown>) => {
      try {
        return classOf(f());
      } catch (e) {
        return Promise.resolve(e instanceof MPIError ? e.errorClassName : String(e));
      }
    };
    /** The error class `f` throws synchronously with (or 'ok'). */
    const throwsClass = (f: () => unknown) => {
      try {
        f();
        return 'no throw';
      } catch (e) {
        return e instanceof MPIError ? e.errorClassName : String(e);
      }
    };

    it('bad counts, displs and buffers reject on the calling rank before anything is sent (root-only checks at the root)', async () => {
      const size = size3;
      const root = size - 1;
      const counts = Array.from({ length: size }, (_, i) => i + 1);
      const total = counts.reduce((a, b) => a + b, 0);
      const got = await world.run(size, async (c) => {
        const out: Record<string, string> = {};
        if (c.rank === root) {
          const sb = new Float64Array(total);
          const rb = new Float64Array(size);
          out.scattervCountsLength = await classOf(c.Scatterv(sb, counts.slice(1), null, rb, root));
          out.scattervNegative = await classOf(c.Scatterv(sb, [-1, ...counts.slice(1)], null, rb, root));
          out.scattervFraction = await classOf(c.Scatterv(sb, [1.5, ...counts.slice(1)], null, rb, root));
          out.scattervSumTooLarge = await classOf(c.Scatterv(sb.subarray(1), counts, null, rb, root));
          out.scattervDisplsTooFar = await classOf(
            c.Scatterv(
              sb,
              counts,
              counts.map(() => total - 1),
              rb,
              root,
            ),
          );
          out.scattervRootRecvTooSmall = await classOf(
            c.Scatterv(sb, counts, null, new Float64Array(counts[root]! - 1), root),
          );
          out.scattervInPlaceSend = await classOf(c.Scatterv(IN_PLACE as never, counts, null, rb, root));
          out.scattervKinds = await classOf(c.Scatterv(sb, counts, null, new Int32Array(size), root));
          out.gathervRecvTooSmall = await classOf(
            c.Gatherv(new Float64Array(counts[root]!), new Float64Array(total - 1), counts, null, root),
          );
          out.gathervOwnCount = await classOf(
            c.Gatherv(new Float64Array(counts[root]! - 1), new Float64Array(total), counts, null, root),
          );
          out.gatherInPlaceUneven = await classOf(c.Gather(IN_PLACE, new Float64Array(size + 1), root));
          out.gatherRecvTooSmall = await classOf(
            c.Gather(new Float64Array(2), new Float64Array(2 * size - 1), root),
          );
          out.scatterUneven = await classOf(c.Scatter(new Float64Array(size + 1), new Float64Array(2), root));
          out.rootOutOfRange = await classOf(c.Scatterv(sb, counts, null, rb, size));
          out.iscattervThrows = throwsClass(() => c.Iscatterv(sb, [-1, ...counts.slice(1)], null, rb, root));
          out.igathervThrows = throwsClass(() => c.Igatherv(new Float64Array(1), null, counts, null, root));
          out.reduceRecvTooSmall = await classOf(
            c.Reduce(new Float64Array(3), new Float64Array(2), SUM, root),
          );
          out.reduceKinds = await classOf(c.Reduce(new Int32Array(2), new Float64Array(2), SUM, root));
          out.ireduceThrows = throwsClass(() =>
            c.Ireduce(new Float64Array(3), new Float64Array(2), SUM, root),
          );
        } else {
          out.gathervInPlaceOffRoot = await classOf(c.Gatherv(IN_PLACE, null, null, null, root));
          out.scattervInPlaceOffRoot = await classOf(c.Scatterv(null, null, null, IN_PLACE, root));
          out.reduceInPlaceOffRoot = await classOf(c.Reduce(IN_PLACE, null, SUM, root));
          out.igatherInPlaceOffRoot = throwsClass(() => c.Igather(IN_PLACE, null, root));
        }
        // Checks every rank makes alike, so every rank fails and none waits.
        const f = (n: number) => new Float64Array(n);
        out.allgathervRecvTooSmall = await classOf(c.Allgatherv(f(counts[c.rank]!), f(total - 1), counts));
        out.allgathervOwnCount = await classOf(c.Allgatherv(f(counts[c.rank]! + 1), f(total), counts));
        out.allgathervKinds = await classOf(c.Allgatherv(new Int32Array(counts[c.rank]!), f(total), counts));
        out.allgatherRecvTooSmall = await classOf(c.Allgather(f(2), f(2 * size - 1)));
        out.allreduceRecvTooSmall = await classOf(c.Allreduce(f(3), f(2)));
        out.allreduceKinds = await classOf(c.Allreduce(new Int32Array(2), f(2)));
        out.iallreduceThrows = throwsClass(() => c.Iallreduce(f(3), f(2)));
        out.alltoallUneven = await classOf(c.Alltoall(f(size + 1), f(size + 1)));
        out.alltoallRecvTooSmall = await classOf(c.Alltoall(f(2 * size), f(2 * size - 1)));
        out.alltoallvSendTooFar = await classOf(
          c.Alltoallv(f(size - 1), Array(size).fill(1), null, f(size), Array(size).fill(1), null),
        );
        out.alltoallvRecvTooFar = await classOf(
          c.Alltoallv(
            f(size),
            Array(size).fill(1),
            null,
            f(size),
            Array(size).fill(1),
            Array(size)
              .fill(size - 1)
              .map((d, i) => d + (i === 0 ? 1 : 0)),
          ),
        );
        out.alltoallvInPlace = await classOf(
          c.Alltoallv(IN_PLACE as never, Array(size).fill(1), null, f(size), Array(size).fill(1), null),
        );
        out.reduceScatterBlockUneven = await classOf(c.Reduce_scatter_block(f(size + 1), f(2)));
        out.reduceScatterBlockRecvTooSmall = await classOf(c.Reduce_scatter_block(f(2 * size), f(1)));
        out.reduceScatterBlockRecvTooLarge = await classOf(c.Reduce_scatter_block(f(2 * size), f(3)));
        out.ireduceScatterBlockRecvTooLarge = throwsClass(() => c.Ireduce_scatter_block(f(size), f(2)));
        out.reduceScatterSumTooLarge = await classOf(c.Reduce_scatter(f(total - 1), f(size), counts));
        out.reduceScatterNegative = await classOf(
          c.Reduce_scatter(
            f(total),
            f(size),
            counts.map((n) => -n),
          ),
        );
        out.reduceScatterRecvTooSmall = await classOf(
          c.Reduce_scatter(f(total), f(counts[c.rank]! - 1), counts),
        );
        out.reduceScatterCountsNotArray = await classOf(c.Reduce_scatter(f(total), f(size), 3 as never));
        out.scanRecvTooSmall = await classOf(c.Scan(f(3), f(2)));
        out.exscanKinds = await classOf(c.Exscan(f(3), new Int32Array(3)));
        out.exscanBadOp = await classOf(c.Exscan(f(3), f(3), BAND));
        out.reduceScatterNotAnOp = await classOf(c.Reduce_scatter_block(f(size), f(1), 'SUM' as never));
        out.ialltoallThrows = throwsClass(() => c.Ialltoall(f(size + 1), f(size + 1)));
        out.iscanThrows = throwsClass(() => c.Iscan(f(3), f(2)));
        out.sendrecvInPlace = await classOf(c.Sendrecv(IN_PLACE as never, c.rank, 0, f(1), c.rank, 0));
        out.bcastInPlace = await classOf(c.Bcast(IN_PLACE as never, 0));
        // Nothing above was sent and no call was counted: these still match on every rank.
        const mine = new Float64Array(counts[c.rank]!);
        await c.Scatterv(
          c.rank === root ? Float64Array.from({ length: total }, (_, e) => e) : null,
          c.rank === root ? counts : null,
          null,
          mine,
          root,
        );
        const all = new Float64Array(total);
        await c.Allgatherv(mine, all, counts);
        out.after = Array.from(all).join(',');
        return out;
      });
      const want = Array.from({ length: total }, (_, e) => e).join(',');
      got.forEach((out, r) => {
        const { after, ...errors } = out;
        expect(after).toBe(want);
        const expected: Record<string, string> = {
          allgathervRecvTooSmall: 'ERR_TRUNCATE',
          allgathervOwnCount: 'ERR_TRUNCATE',
          allgathervKinds: 'ERR_TYPE',
          allgatherRecvTooSmall: 'ERR_TRUNCATE',
          allreduceRecvTooSmall: 'ERR_TRUNCATE',
          allreduceKinds: 'ERR_TYPE',
          iallreduceThrows: 'ERR_TRUNCATE',
          alltoallUneven: 'ERR_COUNT',
          alltoallRecvTooSmall: 'ERR_TRUNCATE',
          alltoallvSendTooFar: 'ERR_COUNT',
          alltoallvRecvTooFar: 'ERR_TRUNCATE',
          alltoallvInPlace: 'ERR_ARG',
          reduceScatterBlockUneven: 'ERR_COUNT',
          reduceScatterBlockRecvTooSmall: 'ERR_TRUNCATE',
          reduceScatterBlockRecvTooLarge: 'ERR_COUNT',
          ireduceScatterBlockRecvTooLarge: 'ERR_COUNT',
          reduceScatterSumTooLarge: 'ERR_COUNT',
          reduceScatterNegative: 'ERR_COUNT',
          reduceScatterRecvTooSmall: 'ERR_TRUNCATE',
          reduceScatterCountsNotArray: 'ERR_ARG',
          scanRecvTooSmall: 'ERR_TRUNCATE',
          exscanKinds: 'ERR_TYPE',
          exscanBadOp: 'ERR_OP',
          reduceScatterNotAnOp: 'ERR_ARG',
          ialltoallThrows: 'ERR_COUNT',
          iscanThrows: 'ERR_TRUNCATE',
          sendrecvInPlace: 'ERR_ARG',
          bcastInPlace: 'ERR_ARG',
          ...(r === root
            ? {
                scattervCountsLength: 'ERR_COUNT',
                scattervNegative: 'ERR_COUNT',
                scattervFraction: 'ERR_COUNT',
                scattervSumTooLarge: 'ERR_COUNT',
                scattervDisplsTooFar: 'ERR_COUNT',
                scattervRootRecvTooSmall: 'ERR_TRUNCATE',
                scattervInPlaceSend: 'ERR_ARG',
                scattervKinds: 'ERR_TYPE',
                gathervRecvTooSmall: 'ERR_TRUNCATE',
                gathervOwnCount: 'ERR_COUNT',
                gatherInPlaceUneven: 'ERR_COUNT',
                gatherRecvTooSmall: 'ERR_TRUNCATE',
                scatterUneven: 'ERR_COUNT',
                rootOutOfRange: 'ERR_ROOT',
                iscattervThrows: 'ERR_COUNT',
                igathervThrows: 'ERR_TYPE',
                reduceRecvTooSmall: 'ERR_TRUNCATE',
                reduceKinds: 'ERR_TYPE',
                ireduceThrows: 'ERR_TRUNCATE',
              }
            : {
                gathervInPlaceOffRoot: 'ERR_ARG',
                scattervInPlaceOffRoot: 'ERR_ARG',
                reduceInPlaceOffRoot: 'ERR_ARG',
                igatherInPlaceOffRoot: 'ERR_ARG',
              }),
        };
        expect(errors).toEqual(expected);
      });
    });

    it('error messages name the call, the argument, the value and the rule', async () => {
      const [msgs] = await world.run(1, async (c) => {
        const m = (p: Promise<unknown>) =>
          p.then(
            () => '',
            (e: Error) => e.message,
          );
        return [
          await m(c.Scatterv(new Float64Array(2), [3], null, new Float64Array(3), 0)),
          await m(c.Alltoallv(new Float64Array(1), [-2], null, new Float64Array(1), [1], null)),
          await m(c.Gatherv(IN_PLACE, new Float64Array(1), [1], [1], 0)),
          await m(c.Reduce_scatter(new Float64Array(1), new Float64Array(1), [2])),
          await m(c.Reduce_scatter_block(new Float64Array(2), new Float64Array(1))),
          await m(c.Reduce_scatter_block(new Float64Array(2), new Float64Array(3))),
          await m(c.Allgather(new Float64Array(2), new Float64Array(1))),
          await m(c.scatter([1, 2], 0)),
          await m(c.Allreduce(new Float64Array(1), new Float64Array(1), 'SUM' as never)),
          await m(c.Reduce(new Float64Array(1), new Float64Array(1), 'SUM' as never, 0)),
        ];
      });
      // The buffer reductions name themselves, not the lowercase calls they share code with.
      expect(msgs![8]).toMatch(/^Allreduce: expected `op` to be an Op/);
      expect(msgs![9]).toMatch(/^Reduce: expected `op` to be an Op/);
      expect(msgs![0]).toMatch(
        /Scatterv: block 0 .*`counts\[0\]` = 3.* past the end of `sendbuf` \(2 elements\)/,
      );
      expect(msgs![1]).toMatch(/Alltoallv: expected `sendcounts\[0\]` to be an integer >= 0.*`-2`/);
      expect(msgs![2]).toMatch(
        /Gatherv: block 0 .*ends at element 2, past the end of `recvbuf` \(1 element\)/,
      );
      expect(msgs![3]).toMatch(/Reduce_scatter: `recvcounts` add up to 2 elements but `sendbuf` has 1/);
      // Reduce_scatter_block has no `recvcounts`: its message names its own arguments.
      expect(msgs![4]).toMatch(/Reduce_scatter_block: `recvbuf` holds 1 element but each rank's block is 2/);
      expect(msgs![4]).not.toContain('recvcounts');
      // Counts of 1 read in the singular, others in the plural.
      expect(msgs![6]).toMatch(/Allgather: recvbuf holds 1 element but 1 rank × 2 = 2 are needed/);
      expect(msgs![7]).toMatch(/scatter: expected `objs` to have exactly 1 entry \(one per rank\), got 2/);
      // A recvbuf longer than the block is refused too: API.md's `sendbuf.length === size * recvbuf.length`.
      expect(msgs![5]).toMatch(
        /Reduce_scatter_block: `recvbuf` holds 3 elements but each rank's block is 2 \(`sendbuf` has 2 elements for 1 rank\): `sendbuf.length` must be 1 × `recvbuf.length`; pass a `recvbuf` of 2 \(e.g. `recvbuf.subarray\(0, 2\)`\)/,
      );
    });

    it('a block too large for a receive buffer is ERR_TRUNCATE on that rank only; the others complete', async () => {
      const size = size3;
      const got = await world.run(size, async (c) => {
        // Off the root a Scatterv recvbuf must hold counts[rank]: rank 1's holds one less.
        const counts = Array(size).fill(2);
        const rb = new Float64Array(c.rank === 1 ? 1 : 2).fill(-1);
        const sb = c.rank === 0 ? Float64Array.from({ length: 2 * size }, (_, e) => e) : null;
        const r = await classOf(c.Scatterv(sb, c.rank === 0 ? counts : null, null, rb, 0));
        // Alltoallv where rank 0 expects from rank 1 more than rank 1 sends: ERR_COUNT at rank 0.
        const sc = Array(size).fill(1);
        const rc = Array(size).fill(1);
        if (c.rank === 0) rc[1] = 2;
        const a = await classOf(
          c.Alltoallv(new Float64Array(size), sc, null, new Float64Array(size + 1), rc, null),
        );
        await c.Barrier();
        return [r, Array.from(rb), a];
      });
      got.forEach(([r, rb, a], rank) => {
        expect(r).toBe(rank === 1 ? 'ERR_TRUNCATE' : 'ok');
        if (rank !== 1) expect(rb).toEqual([2 * rank, 2 * rank + 1]);
        expect(a).toBe(rank === 0 ? 'ERR_COUNT' : 'ok');
      });
    });

    it('the I* forms return Requests that may all be outstanding at once and complete with the blocking results', async () => {
      for (const size of world.sizes) {
        const root = size - 1;
        const counts = unevenCounts(size);
        const d = prefix(counts);
        const total = counts.reduce((a, b) => a + b, 0);
        const all = Array.from({ length: total }, (_, e) => e + 1);
        const got = await world.run(size, async (c) => {
          const r = c.rank;
          const at = r === root;
          const b = {
            scv: F(minus1(counts[r]!)),
            gv: F(minus1(total)),
            agv: F(minus1(total)),
            a2a: F(minus1(size)),
            a2av: F(minus1(size)),
            rsb: F([-1]),
            rs: F(minus1(counts[r]!)),
            sc: F([-1, -1]),
            ex: F([-1, -1]),
            s: F([-1]),
            g: F(minus1(size)),
            ag: F(minus1(size)),
          };
          const mine = F(all.slice(d[r]!, d[r]! + counts[r]!));
          const reqs = [
            c.Iscatterv(at ? F(all) : null, at ? counts : null, null, b.scv, root),
            c.Igatherv(mine, at ? b.gv : null, at ? counts : null, null, root),
            c.Iallgatherv(mine, b.agv, counts),
            c.Ialltoall(F(Array.from({ length: size }, (_, j) => 10 * r + j)), b.a2a),
            c.Ialltoallv(F(Array(size).fill(r)), Array(size).fill(1), null, b.a2av, Array(size).fill(1)),
            c.Ireduce_scatter_block(F(Array(size).fill(r + 1)), b.rsb, SUM),
            c.Ireduce_scatter(F(Array(total).fill(1)), b.rs, counts, SUM),
            c.Iscan(F([1, r]), b.sc, SUM),
            c.Iexscan(F([1, r]), b.ex, SUM),
            c.Iscatter(at ? F(Array.from({ length: size }, (_, i) => 3 * i)) : null, b.s, root),
            c.Igather(F([r * r]), at ? b.g : null, root),
            c.Iallgather(F([100 - r]), b.ag),
          ];
          for (const q of reqs) expect(q).toBeInstanceOf(Request);
          // Wait in reverse order of starting.
          const values = await Request.waitall([...reqs].reverse());
          expect(values).toEqual(Array(reqs.length).fill(undefined));
          return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, Array.from(v)]));
        });
        got.forEach((g, r) => {
          expect(g.scv).toEqual(all.slice(d[r]!, d[r]! + counts[r]!));
          expect(g.gv).toEqual(r === root ? all : minus1(total));
          expect(g.agv).toEqual(all);
          expect(g.a2a).toEqual(Array.from({ length: size }, (_, i) => 10 * i + r));
          expect(g.a2av).toEqual(Array.from({ length: size }, (_, i) => i));
          expect(g.rsb).toEqual([(size * (size + 1)) / 2]);
          expect(g.rs).toEqual(Array(counts[r]).fill(size));
          expect(g.sc).toEqual([r + 1, (r * (r + 1)) / 2]);
          expect(g.ex).toEqual(r === 0 ? [-1, -1] : [r, (r * (r - 1)) / 2]);
          expect(g.s).toEqual([3 * r]);
          expect(g.g).toEqual(r === root ? Array.from({ length: size }, (_, i) => i * i) : minus1(size));
          expect(g.ag).toEqual(Array.from({ length: size }, (_, i) => 100 - i));
        });
      }
    });

    it('integer, bigint and byte buffers keep their element type through every collective', async () => {
      for (const size of world.sizes) {
        const counts = unevenCounts(size);
        const total = counts.reduce((a, b) => a + b, 0);
        const got = await world.run(size, async (c) => {
          const r = c.rank;
          const i32 = new Int32Array(total);
          await c.Reduce_scatter(
            new Int32Array(total + 1).fill(2 ** 30),
            i32.subarray(0, counts[r]),
            counts,
            SUM,
          );
          const big = new BigInt64Array(total);
          await c.Allgatherv(new BigInt64Array(counts[r]!).fill(BigInt(r) << 40n), big, counts);
          const u8 = new Uint8Array(size);
          await c.Alltoall(
            Uint8Array.from({ length: size }, (_, j) => (r * 16 + j) & 255),
            u8,
          );
          const ex = new BigUint64Array(1);
          await c.Exscan(new BigUint64Array([BigInt(r + 1)]), ex, PROD);
          return {
            i32: Array.from(i32.subarray(0, counts[r])),
            big: Array.from(big),
            u8: Array.from(u8),
            ex: ex[0],
          };
        });
        const d = prefix(counts);
        got.forEach((g, r) => {
          // 2^30 · size wraps as int32 does.
          expect(g.i32).toEqual(Array(counts[r]).fill((2 ** 30 * size) | 0));
          expect(g.big).toEqual(counts.flatMap((n, i) => Array(n).fill(BigInt(i) << 40n)));
          expect(g.u8).toEqual(Array.from({ length: size }, (_, i) => (i * 16 + r) & 255));
          let f = 1n;
          for (let i = 1; i <= r; i++) f *= BigInt(i);
          expect(g.ex).toBe(r === 0 ? 0n : f);
          expect(d.length).toBe(size);
        });
      }
    });

    it('Sendrecv shifts buffers around a ring without deadlock and fills the status', async () => {
      for (const size of world.sizes) {
        const got = await world.run(size, async (c) => {
          const right = (c.rank + 1) % c.size;
          const left = (c.rank - 1 + c.size) % c.size;
          const into = new Float64Array(3).fill(-1);
          const st = new Status();
          await c.Sendrecv(new Float64Array([c.rank, c.rank, 7]).subarray(0, 2), right, 5, into, left, 5, st);
          // PROC_NULL on both ends is a no-op that completes at once.
          const untouched = new Float64Array([9]);
          const st2 = new Status();
          await c.Sendrecv(new Float64Array([1]), PROC_NULL, 0, untouched, PROC_NULL, ANY_TAG, st2);
          const small = await classOf(
            c.Sendrecv(new Float64Array(2), right, 6, new Float64Array(1), left, 6),
          );
          return [Array.from(into), st.source, st.tag, st.count, untouched[0], st2.source, small];
        });
        got.forEach(([into, src, tag, count, untouched, src2, small], r) => {
          const left = (r - 1 + size) % size;
          expect(into).toEqual([left, left, -1]);
          expect([src, tag]).toEqual([left, 5]);
          expect(count).toBeGreaterThanOrEqual(16);
          expect([untouched, src2]).toEqual([9, PROC_NULL]);
          expect(small).toBe('ERR_TRUNCATE');
        });
      }
    });

    it('splitType(COMM_TYPE_SHARED) partitions the ranks by node, ordered by key; UNDEFINED gives null', async () => {
      for (const size of world.sizes) {
        const got = await world.run(size, async (c) => {
          const node = await c.splitType(COMM_TYPE_SHARED, -c.rank);
          const none = await c.splitType(UNDEFINED);
          const members = await node!.allgather(c.rank);
          const total = await node!.allreduce(1, SUM);
          const bad = throwsOrRejects(() => c.splitType(7));
          return { members, rank: node!.rank, total, none, bad: await bad };
        });
        const seen = new Set<number>();
        got.forEach((g, r) => {
          expect(g.none).toBeNull();
          expect(g.bad).toBe('ERR_ARG');
          // Ordered by key (-rank): decreasing world ranks; this rank sits at its place.
          expect(g.members).toEqual([...g.members].sort((a, b) => b - a));
          expect(g.members[g.rank]).toBe(r);
          expect(g.total).toBe(g.members.length);
          // Every member sees the same node communicator.
          for (const m of g.members) expect(got[m]!.members).toEqual(g.members);
          seen.add(r);
        });
        expect(seen.size).toBe(size);
      }
    });
  });
}
