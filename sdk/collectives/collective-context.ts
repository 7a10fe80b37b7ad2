import { SENT } from '../transport/transport.js';
import type { NodeGroups } from './node-groups.js';

/**
 * What a collective algorithm sees: its rank and size in the communicator, and point-to-point
 * sends/receives of encoded payloads on the collective's own (context, call) channel. Algorithms
 * are plain async functions over this, rooted at 0 and rotated by the caller's root.
 */
export interface CollectiveContext {
  readonly rank: number;
  readonly size: number;
  /** Tree radix: 2 is binomial, >= size is flat. */
  readonly radix: number;
  /** The communicator's ranks by node (two-level algorithms need it); absent: one rank per node. */
  readonly nodes?: NodeGroups;
  send(dst: number, payload: Uint8Array): Promise<void>;
  recv(src: number): Promise<Uint8Array>;
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

/** Combines two operands, `a` from the lower ranks. */
export type Combine = (a: unknown, b: unknown) => unknown;

export interface ReduceOp {
  combine: Combine;
  commute: boolean;
  /**
   * The op works element by element on TypedArrays and arrays (SUM, MAX, BAND, ...), so an
   * operand may be cut into segments, each reduced on its own (reduce-scatter + allgather).
   */
  elementwise?: boolean;
}

/** The same context with another tree radix. */
export function withRadix(ctx: CollectiveContext, radix: number): CollectiveContext {
  if (radix === ctx.radix) return ctx;
  return {
    rank: ctx.rank,
    size: ctx.size,
    radix,
    ...(ctx.nodes === undefined ? {} : { nodes: ctx.nodes }),
    send: (dst, payload) => ctx.send(dst, payload),
    recv: (src) => ctx.recv(src),
    encode: (v) => ctx.encode(v),
    decode: (b) => ctx.decode(b),
  };
}

/**
 * Waits for `sends`, as `Promise.all` would, but only where one of them is still in flight: a
 * send the transport handed off at once returns SENT (shared memory, nearly always), and then
 * there is nothing to wait for and no `Promise.all` to allocate.
 */
export function allSent(sends: readonly Promise<void>[]): Promise<unknown> | undefined {
  for (const p of sends) if (p !== SENT) return Promise.all(sends);
  return undefined;
}
