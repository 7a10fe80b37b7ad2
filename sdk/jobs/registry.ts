/** The built-in jobs: name → module (relative to this folder) and a one-line description. */
export const BUILTIN_JOBS: Record<string, { module: string; description: string; minRanks?: number }> = {
  pi: {
    module: './pi.js',
    description: 'Monte Carlo pi, counts summed with reduce (--samples N, default 1e7)',
  },
  hello: { module: './hello.js', description: 'every rank prints "Hello from process R out of N"' },
  'send-recv': {
    module: './send-recv.js',
    description: 'rank 0 sends a dict to rank 1 with tag 11',
    minRanks: 2,
  },
  broadcast: { module: './broadcast.js', description: "rank 0's message reaches every rank with bcast" },
  'scatter-gather': { module: './scatter-gather.js', description: 'scatter i*2, add one, gather at rank 0' },
  reduce: { module: './reduce.js', description: 'scatter i*2, add one, reduce with MAX at rank 0' },
  'pi-nonblocking': {
    module: './pi-nonblocking.js',
    description: 'Monte Carlo pi with a non-blocking Ireduce into a buffer (--samples N)',
  },
};

/** The file URL of a built-in job's module. */
export function builtinJobUrl(name: string): string | undefined {
  const entry = BUILTIN_JOBS[name];
  return entry === undefined ? undefined : new URL(entry.module, import.meta.url).href;
}
