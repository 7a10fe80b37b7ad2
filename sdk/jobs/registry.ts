import { didYouMean } from '../base/did-you-mean.js';
import { UsageError } from '../base/errors.js';
import type { JobArgs } from './define-job.js';
import { MAX_SEED, positiveIntArg } from './job-args.js';

/** A built-in job: its module (relative to this folder), what it does and the job arguments it takes. */
export interface BuiltinJob {
  module: string;
  description: string;
  /**
   * Job arguments by (camelCase) name → their value's placeholder; any other is rejected, by the
   * CLI and by `run()` (see `checkBuiltinJobArgs`).
   */
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
  positiveIntArg(args, 'seed', 1, MAX_SEED);
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
  if (!Object.hasOwn(BUILTIN_JOBS, name)) return undefined;
  return new URL(BUILTIN_JOBS[name]!.module, import.meta.url).href;
}

/**
 * `run(name, { args })` of a built-in job: an argument it does not take is a UsageError naming it,
 * the likely one meant and what the job takes, not silently ignored (the CLI says the same of
 * `-- --name`, in its own terms, before it calls `run`). Other jobs declare no arguments to check.
 */
export function checkBuiltinJobArgs(name: string, args: JobArgs): void {
  if (!Object.hasOwn(BUILTIN_JOBS, name)) return;
  const entry = BUILTIN_JOBS[name]!;
  const names = Object.keys(entry.args);
  const takes =
    names.length === 0 ? `${name} takes none` : `${name} takes ${names.map((n) => `\`${n}\``).join(', ')}`;
  for (const key of Object.keys(args)) {
    if (names.includes(key)) continue;
    const close = didYouMean(key, names);
    throw new UsageError(
      `Expected \`args\` of the built-in job ${name} to name its arguments, got \`${key}\`` +
        `${close === undefined ? '' : `; did you mean \`${close}\`?`} (${takes})`,
    );
  }
}
