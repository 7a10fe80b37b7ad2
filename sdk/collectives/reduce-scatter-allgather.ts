import { allSent, type CollectiveContext, type ReduceOp } from './collective-context.js';
import { foldedToOld, oldToFolded, recursivePlan } from './recursive-plan.js';

type Sliceable = { length: number; slice(start: number, end: number): Sliceable };
type TypedArrayCtor = new (
  length: number,
) => Sliceable & { set(src: ArrayLike<unknown>, offset: number): void };

/** A value an element-wise op may reduce segment by segment: a TypedArray or a plain array. */
export function isSegmentable(value: unknown): boolean {
  if (Array.isArray(value)) return value.every((x) => typeof x !== 'object' || x === null);
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

function concat(template: Sliceable, pieces: Sliceable[]): Sliceable {
  if (Array.isArray(template)) return ([] as unknown[]).concat(...(pieces as unknown[][])) as Sliceable;
  let total = 0;
  for (const p of pieces) total += p.length;
  const out = new (template.constructor as TypedArrayCtor)(total);
  let off = 0;
  for (const p of pieces) {
    out.set(p as unknown as ArrayLike<unknown>, off);
    off += p.length;
  }
  return out;
}

/**
 * Rabenseifner's allreduce for large element-wise reductions, with k ports: a reduce-scatter by
 * recursive k-ing (each round a rank keeps 1/r of what it holds — the blocks whose owner shares its
 * digit — and sends the other parts to the members of its group, combining what it gets in digit
 * order, which is rank order), then an allgather by the same rounds in reverse. Each rank sends
 * about 2·B·(1 - 1/p) bytes however large p is; 2·ceil(log_k p) hops (radix >= p: 2 hops).
 */
export async function allreduceReduceScatterAllgather(
  ctx: CollectiveContext,
  value: unknown,
  op: ReduceOp,
  radix: number,
): Promise<unknown> {
  const { rank, size } = ctx;
  const { m, rem, radices } = recursivePlan(size, radix);
  let acc = value as Sliceable;
  const nr = oldToFolded(rank, rem);
  if (rank < 2 * rem) {
    if (nr < 0) await ctx.send(rank + 1, ctx.encode(acc));
    else acc = op.combine(ctx.decode(await ctx.recv(rank - 1)), acc) as Sliceable;
  }
  if (nr >= 0 && m > 1) {
    const template = acc;
    const len = acc.length;
    const lo = (b: number) => Math.floor((b * len) / m);
    const blockLen = (b: number) => lo(b + 1) - lo(b);
    /** Concatenates the held segments of `ids`, in order. */
    const pack = (held: Map<number, Sliceable>, ids: number[]) =>
      concat(
        template,
        ids.map((b) => held.get(b)!),
      );
    /** Cuts a concatenation of the segments of `ids` back into segments. */
    const unpack = (v: Sliceable, ids: number[], into: Map<number, Sliceable>) => {
      let off = 0;
      for (const b of ids) {
        into.set(b, v.slice(off, off + blockLen(b)));
        off += blockLen(b);
      }
    };
    let held = new Map<number, Sliceable>();
    for (let b = 0; b < m; b++) held.set(b, acc.slice(lo(b), lo(b + 1)));

    const strides: number[] = [];
    let s = 1;
    for (const r of radices) {
      strides.push(s);
      s *= r;
    }
    // Reduce-scatter: lowest digit first, so group members hold adjacent blocks of ranks.
    for (let i = 0; i < radices.length; i++) {
      const r = radices[i]!;
      const stride = strides[i]!;
      const digitOf = (x: number) => Math.floor(x / stride) % r;
      const mine = digitOf(nr);
      const base = nr - mine * stride;
      const ids = [...held.keys()].sort((a, b) => a - b);
      const byDigit: number[][] = Array.from({ length: r }, () => []);
      for (const b of ids) byDigit[digitOf(b)]!.push(b);
      const keep = byDigit[mine]!;
      const sends: Promise<void>[] = [];
      const recvs: (Promise<Uint8Array> | undefined)[] = [];
      for (let d = 0; d < r; d++) {
        if (d === mine) {
          recvs.push(undefined);
          continue;
        }
        const peer = foldedToOld(base + d * stride, rem);
        sends.push(ctx.send(peer, ctx.encode(pack(held, byDigit[d]!))));
        recvs.push(ctx.recv(peer));
      }
      let combined: unknown;
      for (let d = 0; d < r; d++) {
        const p = recvs[d];
        const v = p === undefined ? pack(held, keep) : ctx.decode(await p);
        combined = d === 0 ? v : op.combine(combined, v);
      }
      await allSent(sends);
      const next = new Map<number, Sliceable>();
      unpack(combined as Sliceable, keep, next);
      held = next;
    }
    // Allgather: the same rounds in reverse; a member's blocks are mine with digit i replaced.
    for (let i = radices.length - 1; i >= 0; i--) {
      const r = radices[i]!;
      const stride = strides[i]!;
      const mine = Math.floor(nr / stride) % r;
      const base = nr - mine * stride;
      const ids = [...held.keys()].sort((a, b) => a - b);
      const bytes = ctx.encode(pack(held, ids));
      const sends: Promise<void>[] = [];
      const recvs: { ids: number[]; p: Promise<Uint8Array> }[] = [];
      for (let d = 0; d < r; d++) {
        if (d === mine) continue;
        const peer = foldedToOld(base + d * stride, rem);
        sends.push(ctx.send(peer, bytes));
        recvs.push({ ids: ids.map((b) => b + (d - mine) * stride), p: ctx.recv(peer) });
      }
      for (const { ids: theirs, p } of recvs) unpack(ctx.decode(await p) as Sliceable, theirs, held);
      await allSent(sends);
    }
    acc = pack(
      held,
      Array.from({ length: m }, (_, b) => b),
    );
  }
  if (rank < 2 * rem) {
    if (nr >= 0) await ctx.send(rank - 1, ctx.encode(acc));
    else acc = ctx.decode(await ctx.recv(rank + 1)) as Sliceable;
  }
  return acc;
}
