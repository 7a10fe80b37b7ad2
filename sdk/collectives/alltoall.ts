import type { CollectiveContext } from './collective-context.js';

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
