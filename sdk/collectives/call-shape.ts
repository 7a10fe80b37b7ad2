import type { CollectiveName } from './algorithms.js';

/** One collective call as the model sees it: what every rank knows alike about it. */
export interface CallShape {
  collective: CollectiveName;
  size: number;
  /** Payload bytes per rank (bcast: the whole payload; scatter/alltoall: one part). */
  bytes: number;
  /** A non-commutative reduce to a root other than 0 takes one more hop. Default true. */
  commute?: boolean;
  root?: number;
  /** The op is element-wise on an array operand, so reduce-scatter-allgather applies. */
  segmentable?: boolean;
}

/** Payload assumed where not every rank knows the real one (lowercase bcast, gather, ...). */
export const NOMINAL_BYTES = 64;

/** Payloads from this size on also try the bandwidth-minded algorithms (scatter + allgather, ...). */
export const BANDWIDTH_BYTES = 64 * 1024;

/** The shape with its defaults filled in and `bytes` a whole non-negative number. */
export function fullShape(shape: CallShape): Required<CallShape> {
  return {
    commute: true,
    root: 0,
    segmentable: false,
    ...shape,
    bytes: Math.max(0, Math.round(shape.bytes)),
  };
}

/** The key a shape's predictions and choices are cached by. */
export function shapeKey(s: Required<CallShape>): string {
  return `${s.collective}|${s.size}|${s.bytes}|${s.commute}|${s.root === 0}|${s.segmentable}`;
}

/** Payload bytes rounded up to a power of two: the size class selections are cached by. */
export function sizeClass(bytes: number): number {
  if (bytes <= NOMINAL_BYTES) return NOMINAL_BYTES;
  return 2 ** Math.ceil(Math.log2(bytes));
}
