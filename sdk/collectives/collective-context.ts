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
}
