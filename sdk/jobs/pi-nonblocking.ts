import { Wtime } from '../comm/constants.js';
import { SUM } from '../comm/predefined-ops.js';
import { defineJob } from './define-job.js';
import { positiveIntArg } from './job-args.js';
import { countInsideStreams } from './pi-kernel.js';

/**
 * Tutorial part 8, pi_mpi_nonblocking_numpy.py: the counts are summed with a non-blocking Ireduce
 * into a typed buffer at the root, overlapping the reduction with other work.
 */
export default defineJob(async (comm, args) => {
  const total = positiveIntArg(args, 'samples', 10_000_000);
  const seed = positiveIntArg(args, 'seed', 20240611);
  const { rank, size } = comm;
  const perProc = Math.floor(total / size);
  const start = Wtime();
  const local = countInsideStreams(perProc, seed, rank);
  const recvBuf = rank === 0 ? new Float64Array(1) : null;
  const sendBuf = new Float64Array([local]);
  const req = comm.Ireduce(sendBuf, recvBuf, SUM, 0);
  // Other work could overlap the reduction here.
  await req.wait();
  if (rank !== 0) return null;
  const pi = (4 * recvBuf![0]!) / (perProc * size);
  const duration = Wtime() - start;
  console.log(`Estimated π: ${pi}`);
  console.log(`Time taken with ${size} processes (non-blocking): ${duration.toFixed(4)} seconds`);
  return { pi, seconds: duration };
});
