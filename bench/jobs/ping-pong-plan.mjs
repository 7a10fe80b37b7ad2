// Benchmark job: ping-pong between ranks 0 and 1 following a plan, in its order (the order decides
// the heap's state: a 1 MiB buffer round right after the 64 KiB one is not the same as one after
// 1 MiB of objects). `--plan '[["object"|"buffer", bytes, iters], ...]'`; one-way = round trip / 2.
// The mirror of bench/peers/mpi4py_peer.py's `pingpong`.
import { defineJob, Wtime } from 'tsmpi-cloud';

export default defineJob(async (comm, args) => {
  if (comm.size < 2) throw new Error('ping-pong needs 2 ranks');
  const plan = typeof args.plan === 'string' ? JSON.parse(args.plan) : args.plan;
  const peer = 1 - comm.rank;
  const out = [];
  for (const [kind, bytes, iters] of plan) {
    const n = Math.max(1, bytes / 8);
    const obj = kind === 'object' ? (n === 1 ? 1.5 : Array.from({ length: n }, (_, i) => i + 0.5)) : null;
    const buf = new Float64Array(n);
    const rbuf = new Float64Array(n);
    const once = async () => {
      if (kind === 'object') {
        if (comm.rank === 0) {
          await comm.send(obj, peer, 1);
          await comm.recv(peer, 1);
        } else if (comm.rank === 1) {
          await comm.send(await comm.recv(peer, 1), peer, 1);
        }
      } else if (comm.rank === 0) {
        await comm.Send(buf, peer, 2);
        await comm.Recv(rbuf, peer, 2);
      } else if (comm.rank === 1) {
        await comm.Recv(rbuf, peer, 2);
        await comm.Send(rbuf, peer, 2);
      }
    };
    for (let i = 0; i < Math.max(5, Math.floor(iters / 10)); i++) await once();
    await comm.barrier();
    const t0 = Wtime();
    for (let i = 0; i < iters; i++) await once();
    out.push({ kind, bytes, oneWay: (Wtime() - t0) / iters / 2 });
  }
  return out;
});
