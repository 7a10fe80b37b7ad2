// Benchmark job: what idle ranks burn. Every rank but 0 waits in a barrier while rank 0 sleeps
// `--seconds` (default 1); rank 0 returns the whole process's CPU time over that window (its own
// sleep costs ~0 and the launcher is idle, so that is the waiting ranks' CPU).
import { defineJob } from 'tsmpi-cloud';

export default defineJob(async (comm, args) => {
  const seconds = args.seconds ?? 1;
  await comm.barrier();
  if (comm.rank !== 0) {
    await comm.barrier();
    return null;
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const c = process.cpuUsage(c0);
  const wall = (performance.now() - t0) / 1000;
  await comm.barrier();
  return { waiting: comm.size - 1, wall, cpu: (c.user + c.system) / 1e6 };
});
