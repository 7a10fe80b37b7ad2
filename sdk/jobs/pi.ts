import { Wtime } from '../comm/constants.js';
import { SUM } from '../comm/predefined-ops.js';
import { defineJob } from './define-job.js';
import { positiveIntArg } from './job-args.js';
import { countInsideStreams } from './pi-kernel.js';

/** Tutorial part 7, pi_mpi.py: Monte Carlo pi, samples split over the ranks, counts reduced at rank 0. */
export default defineJob(async (comm, args) => {
  const total = positiveIntArg(args, 'samples', 10_000_000);
  const seed = positiveIntArg(args, 'seed', 20240611);
  const { rank, size } = comm;
  // Spread the remainder so exactly `total` samples are drawn.
  const mine = Math.floor(total / size) + (rank < total % size ? 1 : 0);
  const start = Wtime();
  const local = countInsideStreams(mine, seed, rank);
  const kernelSeconds = Wtime() - start;
  const count = await comm.reduce(local, SUM, 0);
  const perRank = await comm.reduce(mine / kernelSeconds, SUM, 0);
  if (rank !== 0) return null;
  const pi = (4 * (count as number)) / total;
  const duration = Wtime() - start;
  console.log(`Estimated π: ${pi}`);
  console.log(`Error vs Math.PI: ${Math.abs(pi - Math.PI).toExponential(3)}`);
  console.log(
    `Samples: ${total} at ${(total / duration / 1e6).toFixed(1)} million samples/s (${((perRank as number) / size / 1e6).toFixed(1)} million per rank)`,
  );
  console.log(`Time taken with ${size} processes: ${duration.toFixed(4)} seconds`);
  return {
    pi,
    error: Math.abs(pi - Math.PI),
    samples: total,
    seconds: duration,
    samplesPerSecondPerRank: (perRank as number) / size,
  };
});
