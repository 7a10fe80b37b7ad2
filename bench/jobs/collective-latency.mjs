// Benchmark job: latency of one collective call, averaged over many calls, max over ranks.
import { defineJob, MAX, SUM, Wtime } from 'tsmpi-cloud';

export default defineJob(async (comm, args) => {
  const iters = args.iters ?? 2000;
  const warmup = args.warmup ?? Math.max(10, Math.floor(iters / 10));
  const ops = {
    allreduce: () => comm.allreduce(comm.rank, SUM),
    bcast: () => comm.bcast(comm.rank === 0 ? 42 : null, 0),
    reduce: () => comm.reduce(1, SUM, 0),
    barrier: () => comm.barrier(),
  };
  const out = {};
  for (const [name, f] of Object.entries(ops)) {
    for (let i = 0; i < warmup; i++) await f();
    await comm.barrier();
    const t0 = Wtime();
    for (let i = 0; i < iters; i++) await f();
    const perCall = (Wtime() - t0) / iters;
    out[name] = await comm.allreduce(perCall, MAX);
  }
  return out;
});
