/**
 * What both pi jobs print with `--details`: the error, the seed that repeats the run, and the
 * sampling rate. Both rates are over the same wall time, so per rank × ranks = the total.
 */
export function printPiDetails(pi: number, seed: number, total: number, seconds: number, size: number): void {
  const rate = total / seconds;
  console.log(`Error vs Math.PI: ${Math.abs(pi - Math.PI).toExponential(3)}`);
  // The estimate depends on the seed, the sample count and the number of ranks: name all three.
  console.log(`Seed: ${seed} (repeat this run with --ranks ${size} -- --samples ${total} --seed ${seed})`);
  console.log(
    `Samples: ${total} at ${(rate / 1e6).toFixed(1)} million samples/s (${(rate / size / 1e6).toFixed(1)} million per rank)`,
  );
}
