import type { JobArgs } from './define-job.js';
import { positiveIntArg } from './job-args.js';

/** A built-in job: its module (relative to this folder), what it does and the job arguments it takes. */
export interface BuiltinJob {
  module: string;
  description: string;
  /** Job arguments by (camelCase) name → their value's placeholder; any other is rejected by the CLI. */
  args: Record<string, string>;
  /**
   * Throws, saying what is wrong, for argument values the job would refuse: the CLI checks them
   * before it starts any rank (the job checks them again, for `run()`).
   */
  checkArgs?: (args: JobArgs) => void;
  minRanks?: number;
}

const PI_ARGS = {
  samples: 'N (default 1e7)',
  seed: 'N (default: a new one each run, printed with --details)',
  details: '(also print the error, seed and sampling rate)',
};

function checkPiArgs(args: JobArgs): void {
  positiveIntArg(args, 'samples', 1);
  positiveIntArg(args, 'seed', 1);
  if (args.details !== undefined && typeof args.details !== 'boolean') {
    throw new Error(
      `Expected job argument \`--details\` to be given alone (a flag), got \`--details ${String(args.details)}\``,
    );
  }
}

/** The built-in jobs. */
export const BUILTIN_JOBS: Record<string, BuiltinJob> = {
  pi: {
    module: './pi.js',
    description: 'Monte Carlo pi, counts summed with reduce (--samples N, default 1e7)',
    args: PI_ARGS,
    checkArgs: checkPiArgs,
  },
  hello: { module: './hello.js', description: 'every rank prints "Hello from process R out of N"', args: {} },
  'send-recv': {
    module: './send-recv.js',
    description: 'rank 0 sends a dict to rank 1 with tag 11',
    args: {},
    minRanks: 2,
  },
  broadcast: {
    module: './broadcast.js',
    description: "rank 0's message reaches every rank with bcast",
    args: {},
  },
  'scatter-gather': {
    module: './scatter-gather.js',
    description: 'scatter i*2, add one, gather at rank 0',
    args: {},
  },
  reduce: { module: './reduce.js', description: 'scatter i*2, add one, reduce with MAX at rank 0', args: {} },
  'pi-nonblocking': {
    module: './pi-nonblocking.js',
    description: 'Monte Carlo pi with a non-blocking Ireduce into a buffer (--samples N)',
    args: PI_ARGS,
    checkArgs: checkPiArgs,
  },
};

/** The file URL of a built-in job's module. */
export function builtinJobUrl(name: string): string | undefined {
  const entry = BUILTIN_JOBS[name];
  return entry === undefined ? undefined : new URL(entry.module, import.meta.url).href;
}
