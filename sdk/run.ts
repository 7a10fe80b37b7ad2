import { checkOptions } from './base/check-options.js';
import { describeValue } from './base/describe-value.js';
import { ENV_NAME, LAMBDA_RESERVED_ENV_RULE, lambdaReservedEnvName } from './base/env-names.js';
import { JobFailedError, TsmpiError, UsageError } from './base/errors.js';
import { OPTIMIZE_VALUES, type Optimize } from './collectives/choose.js';
import type { JobArgs } from './jobs/define-job.js';
import { checkBuiltinJobArgs } from './jobs/registry.js';
import { resolveJob } from './launch/job-source.js';
import type { Backend, JobStats, Launcher, OutputSink, Timings } from './launch/launcher.js';
import { checkTracePath } from './launch/trace/trace-path.js';
import { writeRecording } from './launch/write-recording.js';
import { noteRunCalled } from './runtime/run-as-script.js';
import type { RankStats } from './runtime/run-rank.js';

export interface RunOptions {
  /** Number of ranks, an integer >= 1. */
  ranks: number;
  /** Where ranks run: `local` (worker threads, default), `sqs` (threads, messages over SQS), `aws` (Lambda). */
  backend?: Backend;
  /** Job arguments, given to the job function as its second parameter. */
  args?: JobArgs;
  /** Fails the job (ERR_TIMEOUT) if it has not finished after this many milliseconds. */
  timeoutMs?: number;
  /** Receives each line a rank prints. Default: written to this process's stdout/stderr as is. */
  onOutput?: OutputSink;
  /** Progress events (ranks started / finished). */
  onProgress?: (event: { phase: string; started: number; finished: number; ranks: number }) => void;
  /** Stops the job (e.g. on Ctrl-C). */
  signal?: AbortSignal;
  /** SQS/S3 endpoint for the `sqs` backend (an emulator), else the AWS default chain. */
  endpoint?: string;
  /** AWS region for `sqs`/`aws`. */
  region?: string;
  /**
   * `true`: an mpiP-style profile (per rank and per call: count, time, bytes; time share in MPI;
   * top call sites) in `stats.profile`. A string is the AWS profile for `aws` (as `awsProfile`).
   */
  profile?: boolean | string;
  /** AWS profile for `aws`. */
  awsProfile?: string;
  /** Writes the run as a Chrome trace-event JSON file here (Perfetto UI, chrome://tracing). */
  trace?: string;
  /** CloudFormation stack name for `aws` (default `TsmpiCloud`). */
  stack?: string;
  /**
   * How the cost model chooses collective algorithms over SQS: `balanced` (the default) takes the
   * fastest unless one at most 25% slower needs at most half the billed requests; `latency` the
   * fastest; `cost` the fewest billed requests. Unset on `local`: fixed binomial trees.
   */
  optimize?: Optimize;
  /**
   * Environment variables set in every rank's `process.env` (mpiexec `-x`), on every backend: on
   * `local` and `sqs` over this process's environment, on `aws` over the rank function's, for the
   * job's invocation only (a warm environment's next job does not see them). On `aws`, names
   * Lambda reserves (`AWS_*`, `LAMBDA_*`, `_HANDLER`, `_X_AMZN_TRACE_ID`) and `TSMPI_*` are refused.
   */
  env?: Record<string, string>;
  /**
   * Ranks per node: ranks of one node share memory and talk through it; nodes talk over SQS,
   * one queue per node. An integer in [1, MAX_RANKS]; `ranks` need not be a multiple of it (the
   * last node takes the rest). On `sqs` a node is a group of worker threads (default 1, the
   * classic one queue per rank); on `aws` a node is one Lambda invocation running its ranks in
   * worker threads (default: one rank per vCPU of the deployed function, clamp(round(memory MB /
   * 1769), 1, 6)); on `local` all ranks already share one node, so only a value of at least
   * `ranks` is accepted. `comm.splitType(COMM_TYPE_SHARED)` gives a rank its node's communicator.
   *
   * @example
   * await run('pi', { ranks: 64, backend: 'sqs', ranksPerNode: 8 }); // 8 nodes, 8 queues
   */
  ranksPerNode?: number;
}

export interface RunResult<R = unknown> {
  ok: true;
  backend: Backend;
  ranks: number;
  /** Rank 0's return value. */
  result: R;
  /** Every rank's return value, by rank. */
  results: unknown[];
  timings: Timings;
  stats: JobStats;
}

const KNOWN_OPTIONS = new Set([
  'ranks',
  'backend',
  'args',
  'timeoutMs',
  'onOutput',
  'onProgress',
  'signal',
  'endpoint',
  'region',
  'profile',
  'awsProfile',
  'trace',
  'stack',
  'optimize',
  'env',
  'ranksPerNode',
]);
/** The largest world this runtime accepts: worker threads cost memory, Lambda fan-out costs money. */
export const MAX_RANKS = 4096;

/** Checks run() options; throws UsageError naming the option, the rule and the value. */
export function checkRunOptions(options: RunOptions): Required<Pick<RunOptions, 'ranks' | 'backend'>> {
  checkOptions('run', options, KNOWN_OPTIONS);
  const { ranks, backend = 'local', timeoutMs } = options;
  if (!(typeof ranks === 'number' && Number.isInteger(ranks) && ranks >= 1 && ranks <= MAX_RANKS)) {
    throw new UsageError(
      `Expected \`ranks\` to be an integer in [1, ${MAX_RANKS}], got ${describeValue(ranks)}`,
    );
  }
  if (backend !== 'local' && backend !== 'sqs' && backend !== 'aws') {
    throw new UsageError(`Expected \`backend\` to be one of local, sqs, aws, got ${describeValue(backend)}`);
  }
  if (
    timeoutMs !== undefined &&
    !(typeof timeoutMs === 'number' && timeoutMs > 0 && Number.isFinite(timeoutMs))
  ) {
    throw new UsageError(
      `Expected \`timeoutMs\` to be a positive number of milliseconds, got ${describeValue(timeoutMs)}`,
    );
  }
  if (options.args !== undefined && (options.args === null || typeof options.args !== 'object')) {
    throw new UsageError(`Expected \`args\` to be a plain object, got ${describeValue(options.args)}`);
  }
  if (options.trace !== undefined && (typeof options.trace !== 'string' || options.trace === '')) {
    throw new UsageError(
      `Expected \`trace\` to be the path of the trace file to write, got ${describeValue(options.trace)}`,
    );
  }
  if (
    options.profile !== undefined &&
    typeof options.profile !== 'boolean' &&
    typeof options.profile !== 'string'
  ) {
    throw new UsageError(
      `Expected \`profile\` to be true (the MPI profile) or an AWS profile name, got ${describeValue(options.profile)}`,
    );
  }
  if (options.optimize !== undefined && !OPTIMIZE_VALUES.includes(options.optimize)) {
    throw new UsageError(
      `Expected \`optimize\` to be 'balanced', 'latency' or 'cost', got ${describeValue(options.optimize)}`,
    );
  }
  if (options.env !== undefined) {
    checkEnv(options.env);
    if (backend === 'aws') {
      const reserved = Object.keys(options.env).filter(lambdaReservedEnvName);
      if (reserved.length > 0) {
        throw new UsageError(
          `\`env\` (-x/--env) cannot set ${reserved.join(', ')} on the aws backend: ${LAMBDA_RESERVED_ENV_RULE}; ` +
            'use another name, or pass the value in the job arguments',
        );
      }
    }
  }
  if (options.ranksPerNode !== undefined) checkRanksPerNode(options.ranksPerNode, ranks, backend);
  return { ranks, backend };
}

/** `ranksPerNode` against the backend: what a node is differs per backend (see RunOptions). */
function checkRanksPerNode(k: unknown, ranks: number, backend: string): void {
  if (!(typeof k === 'number' && Number.isInteger(k) && k >= 1 && k <= MAX_RANKS)) {
    throw new UsageError(
      `Expected \`ranksPerNode\` (--ranks-per-node) to be an integer in [1, ${MAX_RANKS}], got ${describeValue(k)}`,
    );
  }
  if (backend === 'local' && k < ranks) {
    throw new UsageError(
      `\`ranksPerNode\` (--ranks-per-node) ${k} with ${ranks} ranks asks for ${Math.ceil(ranks / k)} nodes, but on --backend local all ranks share one node (one process): leave it out, or run nodes of ${k} ${k === 1 ? 'thread' : 'threads'} over SQS with --backend sqs`,
    );
  }
}

function checkEnv(env: unknown): void {
  if (env === null || typeof env !== 'object' || Array.isArray(env)) {
    throw new UsageError(
      `Expected \`env\` to be an object of strings like { FOO: 'bar' }, got ${describeValue(env)}`,
    );
  }
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) {
      throw new UsageError(
        `Expected \`env\` keys to be variable names (letters, digits, _), got ${describeValue(name)}`,
      );
    }
    if (typeof value !== 'string') {
      throw new UsageError(`Expected \`env.${name}\` to be a string, got ${describeValue(value)}`);
    }
  }
}

const defaultSink: OutputSink = (_rank, stream, line) => {
  (stream === 'stdout' ? process.stdout : process.stderr).write(`${line}\n`);
};

async function launcherFor(
  backend: Backend,
  options: Omit<RunOptions, 'profile'> & { profile?: string },
): Promise<Launcher> {
  switch (backend) {
    case 'local': {
      const { LocalLauncher } = await import('./launch/local/local-launcher.js');
      return new LocalLauncher();
    }
    case 'sqs': {
      const { createSqsLauncher } = await import('./launch/sqs/sqs-launcher.js');
      return createSqsLauncher(options);
    }
    case 'aws': {
      const { createLambdaLauncher } = await import('./launch/lambda/lambda-launcher.js');
      return createLambdaLauncher(options);
    }
  }
}

/**
 * Runs a job on `ranks` ranks and returns every rank's result. Rejects with JobFailedError naming
 * the first failing rank (every other rank is stopped), or UsageError for bad input. A job that
 * finished but whose `trace` file could not then be written (a full disk) rejects with a
 * TsmpiError of code `TRACE_NOT_WRITTEN` whose `result` is the run's result.
 *
 * @example
 * const res = await run('pi', { ranks: 8, args: { samples: 1e8 } });
 * console.log(res.result);
 */
export async function run<R = unknown>(job: string | URL, options: RunOptions): Promise<RunResult<R>> {
  noteRunCalled();
  const { ranks, backend } = checkRunOptions(options);
  if (typeof job === 'string' && options.args !== undefined) checkBuiltinJobArgs(job, options.args);
  // Checked now, not after the job: a trace that cannot be written lost the finished job's result.
  if (options.trace !== undefined) checkTracePath(options.trace, job, '`trace`');
  // `profile` as a string is the AWS profile (kept for compatibility); `true` is the MPI profile.
  const mpiProfileOn = options.profile === true;
  const awsProfile =
    options.awsProfile ?? (typeof options.profile === 'string' ? options.profile : undefined);
  const { profile: _profile, ...rest } = options;
  const launcher = await launcherFor(
    backend,
    awsProfile === undefined ? rest : { ...rest, profile: awsProfile },
  );
  const resolved = await resolveJob(job);
  try {
    const req: Parameters<Launcher['launch']>[0] = {
      job: resolved,
      ranks,
      args: options.args ?? {},
      timeoutMs: options.timeoutMs,
      onOutput: options.onOutput ?? defaultSink,
    };
    if (options.onProgress) req.onProgress = options.onProgress;
    if (options.signal) req.signal = options.signal;
    if (options.optimize) req.optimize = options.optimize;
    if (options.env) req.env = options.env;
    if (options.ranksPerNode !== undefined && backend !== 'local') req.ranksPerNode = options.ranksPerNode;
    // --profile alone: the ranks keep no timeline and send back their profile's few rows.
    if (options.trace !== undefined) req.record = { profile: mpiProfileOn };
    else if (mpiProfileOn) req.record = { profile: true, timeline: false };
    const out = await launcher.launch(req).catch(async (err: unknown) => {
      if (options.trace !== undefined || mpiProfileOn) {
        await recordWhatReported(err, backend, {
          ...(options.trace === undefined ? {} : { trace: options.trace }),
          profile: mpiProfileOn,
        });
      }
      throw err;
    });
    const result: RunResult<R> = {
      ok: true,
      backend,
      ranks,
      result: out.results[0] as R,
      results: out.results,
      timings: out.timings,
      stats: out.stats,
    };
    if (req.record !== undefined) {
      try {
        await writeRecording(out.stats, backend, {
          ...(options.trace === undefined ? {} : { trace: options.trace }),
          profile: mpiProfileOn,
        });
      } catch (err) {
        // The job finished: its result stays reachable (`err.result`), whatever became of the file.
        throw Object.assign(
          new TsmpiError(
            'TRACE_NOT_WRITTEN',
            `the job finished, but its trace could not be written to \`${options.trace}\` (${(err as Error).message}): free space there or choose another path`,
            { cause: err },
          ),
          { result },
        );
      }
    }
    return result;
  } finally {
    resolved.dispose();
  }
}

/**
 * A job that failed or timed out still leaves a trace and a profile of what its ranks reported:
 * the failed rank, those that had finished, and (at a timeout) those blocked, each up to where it
 * stopped. The error's `details.trace` is { file, ranks }, `details.profile` { ranks, profile };
 * a trace that cannot be written then is left out, so the job's own error is what the caller sees.
 */
async function recordWhatReported(
  err: unknown,
  backend: Backend,
  want: { trace?: string; profile: boolean },
): Promise<void> {
  if (!(err instanceof JobFailedError) || err.details === undefined) return;
  const stats = err.details.stats as { perRank?: readonly (RankStats | undefined)[] } | undefined;
  if (stats?.perRank === undefined) return;
  try {
    const got: { perRank: readonly (RankStats | undefined)[]; profile?: JobStats['profile'] } = {
      perRank: stats.perRank,
    };
    const ranks = await writeRecording(got, backend, want);
    if (ranks.length === 0) return;
    if (want.trace !== undefined) err.details.trace = { file: want.trace, ranks };
    if (got.profile !== undefined) err.details.profile = { ranks, profile: got.profile };
  } catch {
    // The job's failure is the news; a trace file that cannot be written is not.
  }
}
