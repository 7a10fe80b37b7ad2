import { Wtime } from '../comm/constants.js';
import { SUM } from '../comm/predefined-ops.js';
import { defineJob } from './define-job.js';
import { positiveIntArg, runSeed, shareOf } from './job-args.js';
import { printPiDetails } from './pi-details.js';
import { countInsideStreams } from './pi-kernel.js';
import { pyFloat } from './py-repr.js';

/**
 * Tutorial part 7, pi_mpi.py: Monte Carlo pi, samples split over the ranks, counts reduced at rank
 * 0. Prints the tutorial's two lines; `--details` adds the error, the seed and the sampling rate.
 */
export default defineJob(async (comm, args) => {
  const total = positiveIntArg(args, 'samples', 10_000_000);
  const seed = await runSeed(comm, args);
  const { rank, size } = comm;
  // Spread the remainder so exactly `total` samples are drawn.
  const mine = shareOf(total, rank, size);
  const start = Wtime();
  const local = countInsideStreams(mine, seed, rank);
  const count = await comm.reduce(local, SUM, 0);
  if (rank !== 0) return null;
  const pi = (4 * (count as number)) / total;
  const duration = Wtime() - start;
  const rate = total / duration;
  console.log(`Estimated π: ${pyFloat(pi)}`);
  console.log(`Time taken with ${size} processes: ${duration.toFixed(4)} seconds`);
  if (args.details === true) printPiDetails(pi, seed, total, duration, size);
  return {
    pi,
    error: Math.abs(pi - Math.PI),
    samples: total,
    seed,
    seconds: duration,
    samplesPerSecond: rate,
    samplesPerSecondPerRank: rate / size,
  };
});
