import { allgather, allgatherBruck } from './allgather.js';
import { allreduceRecursive, allreduceReduceBcast } from './allreduce.js';
import { alltoall, alltoallBruck } from './alltoall.js';
import { barrier, barrierTree } from './barrier.js';
import { bcast } from './bcast.js';
import { bcastScatterAllgather } from './bcast-scatter-allgather.js';
import type { CollectiveContext, ReduceOp } from './collective-context.js';
import { withRadix } from './collective-context.js';
import { gather } from './gather.js';
import { naive } from './naive.js';
import { reduce } from './reduce.js';
import { allreduceReduceScatterAllgather, isSegmentable } from './reduce-scatter-allgather.js';
import { scanBoth } from './scan.js';
import { scatter } from './scatter.js';
import {
  allreduceTwoLevel,
  allreduceTwoLevelDirect,
  barrierTwoLevel,
  barrierTwoLevelDirect,
  bcastDirect,
  bcastTwoLevel,
  NOTHING_OP,
  reduceTwoLevel,
} from './two-level.js';

export type CollectiveName =
  | 'bcast'
  | 'reduce'
  | 'allreduce'
  | 'gather'
  | 'scatter'
  | 'allgather'
  | 'alltoall'
  | 'barrier'
  | 'scan'
  | 'exscan';

export const COLLECTIVES: readonly CollectiveName[] = [
  'bcast',
  'reduce',
  'allreduce',
  'gather',
  'scatter',
  'allgather',
  'alltoall',
  'barrier',
  'scan',
  'exscan',
];

/**
 * Algorithm families. `radix` is the tree / port count k (2 = binomial or recursive doubling,
 * >= size = flat); two-phase algorithms take a second radix for their second phase.
 *
 * - `linear`: the naive oracle (root talks to each rank in turn).
 * - `knomial`: k-nomial tree (bcast, reduce, gather, scatter).
 * - `scatter-allgather`: bcast of large payloads; radix = scatter tree, radix2 = Bruck allgather.
 * - `recursive`: allreduce by recursive k-ing (radix >= size: one flat exchange).
 * - `reduce-bcast`: allreduce as k-nomial reduce (radix) + k-nomial bcast (radix2).
 * - `reduce-scatter-allgather`: Rabenseifner's allreduce for large element-wise reductions.
 * - `gather-bcast`: allgather as gather (radix) + bcast (radix2).
 * - `bruck`: Bruck's allgather / alltoall with k ports.
 * - `direct`: alltoall by direct exchange (one hop).
 * - `dissemination`: k-ary dissemination barrier.
 * - `tree`: barrier as empty reduce (radix) + bcast (radix2).
 * - `prefix`: Hillis–Steele scan with k ports.
 * - `two-level` (bcast, reduce, allreduce, barrier; chosen by the cost model where ranks share
 *   nodes, not an override): flat inside each node, `inter` across one leader per node. With
 *   `down: 'direct'` the result goes from the root straight to every rank (one batch per node's
 *   queue): bcast has no other stage; allreduce and barrier first reduce in two levels, `inter`
 *   being then the leaders' reduce.
 */
export type AlgorithmName =
  | 'linear'
  | 'knomial'
  | 'scatter-allgather'
  | 'recursive'
  | 'reduce-bcast'
  | 'reduce-scatter-allgather'
  | 'gather-bcast'
  | 'bruck'
  | 'direct'
  | 'dissemination'
  | 'tree'
  | 'prefix'
  | 'two-level';

export interface AlgorithmSpec {
  readonly name: AlgorithmName;
  readonly radix?: number;
  readonly radix2?: number;
  /** `two-level`: the algorithm between the nodes' leaders. */
  readonly inter?: AlgorithmSpec;
  /**
   * `two-level`: how the result reaches the ranks. Unset: across the leaders, then inside each
   * node. `direct`: from the root to every rank at once (see `two-level.ts`).
   */
  readonly down?: 'direct';
}

/** Which algorithms each collective has. */
export const ALGORITHMS: Readonly<Record<CollectiveName, readonly AlgorithmName[]>> = {
  bcast: ['knomial', 'scatter-allgather', 'linear'],
  reduce: ['knomial', 'linear'],
  allreduce: ['recursive', 'reduce-bcast', 'reduce-scatter-allgather', 'linear'],
  gather: ['knomial', 'linear'],
  scatter: ['knomial', 'linear'],
  allgather: ['gather-bcast', 'bruck', 'linear'],
  alltoall: ['direct', 'bruck', 'linear'],
  barrier: ['dissemination', 'tree', 'linear'],
  scan: ['prefix', 'linear'],
  exscan: ['prefix', 'linear'],
};

const TWO_RADICES = new Set<AlgorithmName>(['scatter-allgather', 'reduce-bcast', 'gather-bcast', 'tree']);
const NO_RADIX = new Set<AlgorithmName>(['linear', 'direct']);

/** A radix clamped to [2, max(2, size)]: anything >= size is the flat shape. */
export function clampRadix(radix: number, size: number): number {
  return Math.max(2, Math.min(Math.floor(radix), Math.max(2, size)));
}

/** The spec with its radices clamped to `size` and defaulted, so equal shapes compare equal. */
export function normalizeAlgorithm(spec: AlgorithmSpec, size: number): AlgorithmSpec {
  if (NO_RADIX.has(spec.name)) return { name: spec.name };
  if (spec.name === 'two-level') return spec;
  const radix = clampRadix(spec.radix ?? 2, size);
  if (!TWO_RADICES.has(spec.name)) return { name: spec.name, radix };
  return { name: spec.name, radix, radix2: clampRadix(spec.radix2 ?? radix, size) };
}

function shape(k: number, size: number, tree: boolean): string {
  if (k >= size) return 'flat';
  if (k === 2) return tree ? 'binomial' : 'k=2';
  return tree ? `${k}-nomial` : `k=${k}`;
}

/**
 * A short human label: `binomial`, `8-nomial`, `flat`, `recursive doubling`, `reduce(flat)+bcast(8-nomial)`.
 *
 * @example
 * describeAlgorithm({ name: 'knomial', radix: 8 }, 64); // '8-nomial'
 */
export function describeAlgorithm(spec: AlgorithmSpec, size: number): string {
  const s = normalizeAlgorithm(spec, size);
  const k = s.radix ?? 2;
  const k2 = s.radix2 ?? k;
  switch (s.name) {
    case 'linear':
    case 'direct':
      return s.name;
    case 'knomial':
      return shape(k, size, true);
    case 'recursive':
      if (k >= size) return 'flat exchange';
      return k === 2 ? 'recursive doubling' : `recursive ${k}-ing`;
    case 'reduce-bcast':
      return `reduce(${shape(k, size, true)})+bcast(${shape(k2, size, true)})`;
    case 'gather-bcast':
      return `gather(${shape(k, size, true)})+bcast(${shape(k2, size, true)})`;
    case 'tree':
      return `tree(${shape(k, size, true)}/${shape(k2, size, true)})`;
    case 'scatter-allgather':
      return `scatter(${shape(k, size, true)})+allgather(bruck ${shape(k2, size, false)})`;
    case 'reduce-scatter-allgather':
      return `reduce-scatter+allgather(${shape(k, size, false)})`;
    case 'bruck':
    case 'dissemination':
    case 'prefix':
      return `${s.name}(${shape(k, size, false)})`;
    case 'two-level':
      // The leaders' algorithm is labelled at its own size by whoever knows the node count.
      if (s.down === 'direct')
        return s.inter === undefined
          ? 'flat, one batch per node'
          : `two-level(node: flat; leaders: reduce ${s.inter.name}; result: flat, one batch per node)`;
      return `two-level(node: flat; leaders: ${s.inter === undefined ? 'default' : s.inter.name})`;
  }
}

/** Whether `spec` can run this call (reduce-scatter-allgather needs an element-wise op on an array). */
export function applicable(
  collective: CollectiveName,
  spec: AlgorithmSpec,
  call: { op?: ReduceOp; value?: unknown } = {},
): boolean {
  if (!ALGORITHMS[collective].includes(spec.name)) return false;
  if (spec.name === 'reduce-scatter-allgather')
    return call.op?.elementwise === true && (call.value === undefined || isSegmentable(call.value));
  return true;
}

// ------------------------------------------------------------------------------------------
// Running a chosen algorithm. Every rank must pass the same spec.

const k1 = (s: AlgorithmSpec) => s.radix ?? 2;
/** The leaders' algorithm of a two-level spec (binomial / recursive doubling when unsaid). */
const interOf = (s: AlgorithmSpec): AlgorithmSpec => s.inter ?? { name: 'knomial', radix: 2 };
const k2 = (s: AlgorithmSpec) => s.radix2 ?? s.radix ?? 2;

export function runBcast(
  ctx: CollectiveContext,
  spec: AlgorithmSpec,
  bytes: Uint8Array | null,
  root: number,
): Promise<Uint8Array> {
  switch (spec.name) {
    case 'two-level':
      if (spec.down === 'direct') return bcastDirect(ctx, bytes, root);
      if (ctx.nodes !== undefined)
        return bcastTwoLevel(ctx, ctx.nodes, bytes, root, (c, b, r) => runBcast(c, interOf(spec), b, r));
      return runBcast(ctx, interOf(spec), bytes, root);
    case 'linear':
      return naive.bcast(ctx, bytes, root);
    case 'scatter-allgather':
      return bcastScatterAllgather(ctx, bytes, root, k1(spec), k2(spec));
    default:
      return bcast(withRadix(ctx, k1(spec)), bytes, root);
  }
}

export function runReduce(
  ctx: CollectiveContext,
  spec: AlgorithmSpec,
  value: unknown,
  op: ReduceOp,
  root: number,
): Promise<unknown | null> {
  if (spec.name === 'two-level') {
    if (ctx.nodes !== undefined)
      return reduceTwoLevel(ctx, ctx.nodes, value, op, root, (c, v, r) =>
        runReduce(c, interOf(spec), v, op, r),
      );
    return runReduce(ctx, interOf(spec), value, op, root);
  }
  if (spec.name === 'linear') return naive.reduce(ctx, value, op, root);
  return reduce(withRadix(ctx, k1(spec)), value, op, root);
}

export function runAllreduce(
  ctx: CollectiveContext,
  spec: AlgorithmSpec,
  value: unknown,
  op: ReduceOp,
): Promise<unknown> {
  switch (spec.name) {
    case 'two-level':
      if (ctx.nodes !== undefined && spec.down === 'direct')
        return allreduceTwoLevelDirect(ctx, ctx.nodes, value, op, (c, v, r) =>
          runReduce(c, interOf(spec), v, op, r),
        );
      if (ctx.nodes !== undefined)
        return allreduceTwoLevel(ctx, ctx.nodes, value, op, (c, v) => runAllreduce(c, interOf(spec), v, op));
      return runAllreduce(
        ctx,
        spec.down === 'direct' ? { name: 'recursive', radix: 2 } : interOf(spec),
        value,
        op,
      );
    case 'linear':
      return naive.allreduce(ctx, value, op);
    case 'reduce-bcast':
      return allreduceReduceBcast(ctx, value, op, k1(spec), k2(spec));
    case 'reduce-scatter-allgather':
      if (op.elementwise === true && isSegmentable(value))
        return allreduceReduceScatterAllgather(ctx, value, op, k1(spec));
      return allreduceRecursive(ctx, value, op, k1(spec));
    default:
      return allreduceRecursive(ctx, value, op, k1(spec));
  }
}

export function runGather(
  ctx: CollectiveContext,
  spec: AlgorithmSpec,
  mine: Uint8Array,
  root: number,
): Promise<Uint8Array[] | null> {
  if (spec.name === 'linear') return naive.gather(ctx, mine, root);
  return gather(withRadix(ctx, k1(spec)), mine, root);
}

export function runScatter(
  ctx: CollectiveContext,
  spec: AlgorithmSpec,
  parts: Uint8Array[] | null,
  root: number,
): Promise<Uint8Array> {
  if (spec.name === 'linear') return naive.scatter(ctx, parts, root);
  return scatter(withRadix(ctx, k1(spec)), parts, root);
}

export function runAllgather(
  ctx: CollectiveContext,
  spec: AlgorithmSpec,
  mine: Uint8Array,
): Promise<Uint8Array[]> {
  switch (spec.name) {
    case 'linear':
      return naive.allgather(ctx, mine);
    case 'bruck':
      return allgatherBruck(ctx, mine, k1(spec));
    default:
      return allgather(ctx, mine, k1(spec), k2(spec));
  }
}

export function runAlltoall(
  ctx: CollectiveContext,
  spec: AlgorithmSpec,
  parts: Uint8Array[],
): Promise<Uint8Array[]> {
  switch (spec.name) {
    case 'linear':
      return naive.alltoall(ctx, parts);
    case 'bruck':
      return alltoallBruck(ctx, parts, k1(spec));
    default:
      return alltoall(ctx, parts);
  }
}

export function runBarrier(ctx: CollectiveContext, spec: AlgorithmSpec): Promise<void> {
  switch (spec.name) {
    case 'two-level':
      if (ctx.nodes !== undefined && spec.down === 'direct')
        return barrierTwoLevelDirect(ctx, ctx.nodes, (c, v, r) =>
          runReduce(c, interOf(spec), v, NOTHING_OP, r),
        );
      if (ctx.nodes !== undefined)
        return barrierTwoLevel(ctx, ctx.nodes, (c) => runBarrier(c, interOf(spec)));
      return runBarrier(ctx, spec.down === 'direct' ? { name: 'dissemination', radix: 2 } : interOf(spec));
    case 'linear':
      return naive.barrier(ctx);
    case 'tree':
      return barrierTree(ctx, k1(spec), k2(spec));
    default:
      return barrier(withRadix(ctx, k1(spec)));
  }
}

export function runScan(
  ctx: CollectiveContext,
  spec: AlgorithmSpec,
  value: unknown,
  op: ReduceOp,
): Promise<{ inclusive: unknown; exclusive: unknown | undefined }> {
  if (spec.name === 'linear') return naive.scanBoth(ctx, value, op);
  return scanBoth(ctx, value, op, k1(spec));
}
