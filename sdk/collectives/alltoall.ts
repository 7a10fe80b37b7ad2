import { allSent, type CollectiveContext } from './collective-context.js';
import { effectiveRadix } from './knomial-tree.js';
import { packParts, unpackParts } from './pack.js';

/** Direct exchange: every rank sends part j to rank j and receives from everyone. One hop deep. */
export async function alltoall(ctx: CollectiveContext, parts: Uint8Array[]): Promise<Uint8Array[]> {
  const { rank, size } = ctx;
  const sends: Promise<void>[] = [];
  // Start with the next rank so that not everybody sends to rank 0 first.
  for (let i = 1; i < size; i++) {
    const dst = (rank + i) % size;
    sends.push(ctx.send(dst, parts[dst]!));
  }
  const out = new Array<Uint8Array>(size);
  out[rank] = parts[rank]!;
  const recvs: Promise<void>[] = [];
  for (let i = 1; i < size; i++) {
    const src = (rank - i + size) % size;
    recvs.push(ctx.recv(src).then((b) => void (out[src] = b)));
  }
  await Promise.all([...sends, ...recvs]);
  return out;
}

/**
 * Bruck's alltoall with k ports: slot i holds the part bound for rank + i; in the round of distance
 * D = k^t, the parts whose t-th base-k digit of i is j move j·D ranks on (to rank + jD, j = 1..k-1),
 * packed in one message per j. After ceil(log_k p) rounds slot i holds what rank - i sent here.
 * Fewer, larger messages than the direct exchange: (k-1)·ceil(log_k p) per rank instead of p-1.
 */
export async function alltoallBruck(
  ctx: CollectiveContext,
  parts: Uint8Array[],
  radix: number = ctx.radix,
): Promise<Uint8Array[]> {
  const { rank, size } = ctx;
  const k = effectiveRadix(radix, size);
  const slot = Array.from({ length: size }, (_, i) => parts[(rank + i) % size]!);
  for (let d = 1; d < size; d *= k) {
    const sends: Promise<void>[] = [];
    const recvs: { idx: number[]; p: Promise<Uint8Array> }[] = [];
    for (let j = 1; j < k && j * d < size; j++) {
      const idx: number[] = [];
      for (let i = j * d; i < size; i++) if (Math.floor(i / d) % k === j) idx.push(i);
      sends.push(ctx.send((rank + j * d) % size, packParts(idx.map((i) => slot[i]!))));
      recvs.push({ idx, p: ctx.recv((rank - j * d + size) % size) });
    }
    for (const { idx, p } of recvs) {
      const got = unpackParts(await p);
      idx.forEach((i, n) => {
        slot[i] = got[n]!;
      });
    }
    await allSent(sends);
  }
  const out = new Array<Uint8Array>(size);
  for (let i = 0; i < size; i++) out[(rank - i + size) % size] = slot[i]!;
  return out;
}
