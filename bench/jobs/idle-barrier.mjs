// Benchmark job: what idle ranks burn. Every rank but 0 waits in one barrier while rank 0 sleeps
// `--seconds` (default 1) twice. Rank 0 returns the whole process's CPU time over each window (its
// own sleep costs ~0 and the launcher is idle, so that is the waiting ranks' CPU; the first window,
// right after start-up, also holds what V8 still does for the start-up: lazy compilation and GC on
// background threads).
import { defineJob } from 'tsmpi-cloud';

const window = async (seconds) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
};

export default defineJob(async (comm, args) => {
  const seconds = args.seconds ?? 1;
  await comm.barrier();
  if (comm.rank !== 0) {
    await comm.barrier();
    return null;
  }
  const afterStart = await window(seconds);
  const settled = await window(seconds);
  await comm.barrier();
  return { waiting: comm.size - 1, afterStart, settled };
});
