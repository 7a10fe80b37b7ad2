// Benchmark job: mean time of one small allreduce over many calls, max over ranks.
import { defineJob, MAX, SUM, Wtime } from 'tsmpi-cloud';

export default defineJob(async (comm, args) => {
  const iters = args.iters ?? 2000;
  for (let i = 0; i < Math.max(10, iters / 10); i++) await comm.allreduce(comm.rank, SUM);
  await comm.barrier();
  const t0 = Wtime();
  for (let i = 0; i < iters; i++) await comm.allreduce(comm.rank, SUM);
  const perCall = (Wtime() - t0) / iters;
  return comm.allreduce(perCall, MAX);
});
