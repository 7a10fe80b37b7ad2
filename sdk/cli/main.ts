import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { didYouMean } from '../base/did-you-mean.js';
import { checkEndpointOption } from '../base/emulator-defaults.js';
import { ENV_NAME } from '../base/env-names.js';
import {
  ERR_ABORTED,
  ERR_TIMEOUT,
  errorClassName,
  JobFailedError,
  TsmpiError,
  UsageError,
} from '../base/errors.js';
import { ENV } from '../base/stack-contract.js';
import { OPTIMIZE_VALUES, type Optimize } from '../collectives/choose.js';
import { BUILTIN_JOBS } from '../jobs/registry.js';
import type { Backend } from '../launch/launcher.js';
import { backgroundNiceness, lowerBackgroundThreads } from '../launch/local/background-threads.js';
import type { MpiProfile } from '../launch/trace/mpi-profile.js';
import { checkTracePath } from '../launch/trace/trace-path.js';
import { MAX_RANKS, type RunOptions, type RunResult, run } from '../run.js';
import { parseJobArgs } from '../runtime/parse-job-args.js';
import {
  COMMANDS,
  type Command,
  checkBackendOptions,
  parseCommandLine,
  RUN_OPTIONS,
} from './command-line.js';
import { helpText } from './help.js';
import { handleInterrupts, type Interrupts } from './interrupts.js';
import { rankOutput } from './rank-output.js';
import { toJson } from './to-json.js';
import { printOwnWarnings } from './warnings.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Whether stderr is a terminal (the progress line is drawn only then). Default false. */
  stderrIsTTY?: boolean;
}

/**
 * Whether stdout's reader has gone (`tsmpi-cloud run ... | head -3`): what is written then fails
 * with EPIPE (Node ignores SIGPIPE), which is no error of ours. Writes stop, a run is stopped as
 * an interrupt stops it (ranks, queues, objects), and the CLI exits 141 (128 + SIGPIPE) quietly,
 * as a Unix tool killed by SIGPIPE does.
 */
const stdoutState: { gone: boolean; watched: boolean; onGone: (() => void) | undefined } = {
  gone: false,
  watched: false,
  onGone: undefined,
};
const SIGPIPE_STATUS = 141;

function watchStdout(): void {
  if (stdoutState.watched) return;
  stdoutState.watched = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    if (stdoutState.gone) return;
    stdoutState.gone = true;
    stdoutState.onGone?.();
  });
}

const defaultIo: Io = {
  stdout: (s) => {
    if (!stdoutState.gone) process.stdout.write(s);
  },
  stderr: (s) => process.stderr.write(s),
  stderrIsTTY: process.stderr.isTTY === true,
};

/**
 * One status line on stderr, redrawn in place: `ranks started 12/64, finished 3/64`. Output
 * lines printed meanwhile clear it first and it is drawn again after them.
 */
function progressLine(write: (s: string) => void) {
  let text = '';
  const clear = '\r\u001b[2K';
  return {
    update(started: number, finished: number, ranks: number) {
      text = `ranks started ${started}/${ranks}, finished ${finished}/${ranks}`;
      write(`${clear}${text}`);
    },
    around(print: () => void) {
      if (text === '') return print();
      write(clear);
      print();
      write(text);
    },
    done() {
      if (text !== '') write(clear);
      text = '';
    },
  };
}

/** `setTimeout` holds at most 2^31 - 1 ms (~24.8 days); a longer timer fires at once. */
const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

function parseRanks(v: string | undefined, spelled = '--ranks'): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1 || n > MAX_RANKS) {
    throw new UsageError(`Expected ${spelled} to be an integer in [1, ${MAX_RANKS}], got \`${v}\``);
  }
  return n;
}

function parseTimeout(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = Number(v);
  // Decimal only: Number() would also take `0x10` as 16 s.
  if (!/^\s*(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(v) || !Number.isFinite(s) || s <= 0) {
    throw new UsageError(`Expected --timeout to be a positive number of seconds, got \`${v}\``);
  }
  if (s > MAX_TIMEOUT_SECONDS) {
    throw new UsageError(
      `Expected --timeout to be at most ${MAX_TIMEOUT_SECONDS} seconds (about 24.8 days, the longest timer Node keeps), got \`${v}\`; leave it out for no timeout`,
    );
  }
  return s * 1000;
}

/** `-x VAR` (its value here) and `-x VAR=VALUE`, as mpiexec; later ones win. */
function parseEnv(specs: string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const name = eq >= 0 ? spec.slice(0, eq) : spec;
    if (!ENV_NAME.test(name)) {
      throw new UsageError(
        `Expected -x/--env to be VAR or VAR=VALUE with VAR a variable name (letters, digits, _), got \`${spec}\``,
      );
    }
    if (eq >= 0) out[name] = spec.slice(eq + 1);
    else {
      const value = env[name];
      if (value === undefined) {
        throw new UsageError(`-x ${name}: ${name} is not set here; give its value with -x ${name}=VALUE`);
      }
      out[name] = value;
    }
  }
  return out;
}

/** Built-in jobs name their arguments: a misspelled one is a usage error, not silently ignored. */
function checkBuiltinArgs(job: string, args: Record<string, unknown>, jobArgv: string[]): void {
  const known = BUILTIN_JOBS[job]?.args;
  if (known === undefined) return;
  const names = Object.keys(known);
  const takes =
    names.length === 0
      ? `${job} takes no job arguments`
      : `${job} takes ${names.map((n) => `--${kebab(n)} ${known[n]}`).join(', ')}`;
  for (const key of Object.keys(args)) {
    if (key === '_') {
      throw new UsageError(`unexpected job argument \`${String((args._ as unknown[])[0])}\`: ${takes}`);
    }
    if (!names.includes(key)) {
      const given = jobArgv.find((a) => camelOf(a) === key) ?? `--${kebab(key)}`;
      const close = didYouMean(kebab(key), names.map(kebab));
      const ofRun = RUN_OPTIONS.includes(`--${kebab(key)}`)
        ? `; \`--${kebab(key)}\` is an option of \`run\`: put it before \`--\``
        : '';
      throw new UsageError(
        `unknown job argument \`${given}\` for ${job}${close === undefined ? '' : `; did you mean \`--${close}\`?`}${ofRun} (${takes})`,
      );
    }
  }
  try {
    BUILTIN_JOBS[job]!.checkArgs?.(args);
  } catch (err) {
    throw new UsageError(`${(err as Error).message} (${takes})`);
  }
}

/** A built-in job run on fewer ranks than it needs (`send-recv` on 1): a usage error before launch. */
function checkBuiltinRanks(job: string, ranks: number): void {
  const min = BUILTIN_JOBS[job]?.minRanks;
  if (min !== undefined && ranks < min) {
    throw new UsageError(
      `${job} needs at least ${min} ranks, got ${ranks}: e.g. \`tsmpi-cloud run ${job} --ranks ${min}\``,
    );
  }
}

/**
 * A job name that is neither built in nor a path but close to a built-in name (`helo`): a usage
 * error that names the likely one (other names go on to the full message of `run`).
 */
function checkJobName(job: string): void {
  const names = Object.keys(BUILTIN_JOBS);
  if (names.includes(job) || /[./\\:]/.test(job)) return;
  const close = didYouMean(job, names);
  if (close === undefined) return;
  throw new UsageError(
    `unknown job \`${job}\`; did you mean \`${close}\`? (built-in jobs: ${names.join(', ')}; see \`tsmpi-cloud list\`, or pass a path to a .ts/.js file)`,
  );
}

/** `pi`'s job arguments, for `run pi --help`. */
function jobArgsHelp(job: string, args: Record<string, string>): string {
  const names = Object.keys(args);
  if (names.length === 0) return `${job} takes no job arguments.`;
  const rows = names.map((n) => [`--${kebab(n)}`, args[n]!] as const);
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [
    `${job}'s job arguments (after \`--\`, e.g. \`tsmpi-cloud run ${job} --ranks 4 -- ${rows[0]![0]} ...\`):`,
    ...rows.map(([flag, what]) => `  ${flag.padEnd(width)}  ${what}`),
  ].join('\n');
}

function kebab(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function camelOf(arg: string): string {
  return arg
    .replace(/^--?(no-)?/, '')
    .replace(/=.*$/, '')
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function listJobs(io: Io, json: boolean): number {
  if (json) {
    const jobs = Object.entries(BUILTIN_JOBS).map(([name, j]) => ({
      name,
      description: j.description,
      args: j.args ?? {},
      ...(j.minRanks === undefined ? {} : { minRanks: j.minRanks }),
    }));
    io.stdout(`${toJson(jobs)}\n`);
    return 0;
  }
  const width = Math.max(...Object.keys(BUILTIN_JOBS).map((k) => k.length));
  for (const [name, j] of Object.entries(BUILTIN_JOBS)) {
    io.stdout(`${name.padEnd(width)}  ${j.description}\n`);
    for (const [arg, what] of Object.entries(j.args)) {
      io.stdout(`${' '.repeat(width)}    --${kebab(arg)} ${what}\n`);
    }
    if (j.minRanks !== undefined) io.stdout(`${' '.repeat(width)}    (needs at least ${j.minRanks} ranks)\n`);
  }
  return 0;
}

/** For the CLI's own entry point, before it starts anything (see background-threads.ts). */
export { noteBackgroundThreads } from '../launch/local/background-threads.js';

/** Runs the CLI; returns the exit status. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let verbose = argv.includes('--verbose') || argv.includes('-v');
  // Read before parsing, so that a usage error the parser finds is reported as JSON too.
  const ours = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
  let json = ours.includes('--json');
  /** The command, for the shape of a --json usage error: guessed until the command line parses. */
  let commandName = ours.find((w) => COMMANDS.includes(w as Command));
  let backendName: string | null = null;
  let ranksCount: number | null = null;
  /** The run's --trace file, once the command line is read. */
  let traceFile: string | undefined;
  /** Set for a run: a run a signal stopped exits 128 + its number, as shells expect. */
  let interrupts: Interrupts | undefined;
  if (io === defaultIo) {
    watchStdout();
    printOwnWarnings(io.stderr);
  }
  // `export AWS_REGION=` means unset to a shell user; the AWS SDK would take "" as a region.
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) {
    if (process.env[name] === '') delete process.env[name];
  }
  try {
    const line = parseCommandLine(argv);
    const { values, command, positionals } = line;
    commandName = command;
    const str = (name: string) => values.get(name) as string | undefined;
    const flag = (name: string) => values.get(name) === true;
    verbose = flag('verbose');
    json = flag('json');
    if (flag('version') || (command === undefined && verbose && values.size === 1)) {
      io.stdout(`${VERSION}\n`);
      return 0;
    }
    if (command === 'help' || flag('help') || command === undefined) {
      const about = command === 'help' ? positionals[0] : command;
      if (about !== undefined && !COMMANDS.includes(about as Command)) {
        throw new UsageError(`no help for \`${about}\`: commands are run, list, doctor, trace`);
      }
      // Asked for: stdout, exit 0. No command at all: a usage error, so the help goes to stderr.
      const asked = command !== undefined || flag('help');
      (asked ? io.stdout : io.stderr)(`${helpText(VERSION, about as Command | undefined)}\n`);
      // `run pi --help`: the built-in job's own arguments too.
      const builtin = command === 'run' ? BUILTIN_JOBS[positionals[0] ?? ''] : undefined;
      if (builtin !== undefined) io.stdout(`\n${jobArgsHelp(positionals[0]!, builtin.args)}\n`);
      return asked ? 0 : 2;
    }
    if (command === 'list') {
      if (positionals.length > 0) throw new UsageError(`list takes no arguments, got \`${positionals[0]}\``);
      return listJobs(io, json);
    }
    if (command === 'doctor') {
      if (positionals.length > 0)
        throw new UsageError(`doctor takes no arguments, got \`${positionals[0]}\``);
      checkEndpointOption(str('endpoint'));
      const { doctor } = await import('./doctor.js');
      const ranks = parseRanks(str('ranks'), line.spelled.get('ranks'));
      const perNode = parseRanksPerNode(str('ranks-per-node'));
      return await doctor(
        {
          ...(str('stack') === undefined ? {} : { stack: str('stack')! }),
          ...(str('region') === undefined ? {} : { region: str('region')! }),
          ...(str('aws-profile') === undefined ? {} : { profile: str('aws-profile')! }),
          ...(str('outputs-file') === undefined ? {} : { outputsFile: str('outputs-file')! }),
          ...(str('endpoint') === undefined ? {} : { endpoint: str('endpoint')! }),
          ...(ranks === undefined ? {} : { ranks }),
          ...(perNode === undefined ? {} : { ranksPerNode: perNode }),
        },
        io.stdout,
        { json },
      );
    }
    if (command === 'trace') {
      const [sub, file, ...more] = positionals;
      if (sub !== 'view' || file === undefined || more.length > 0) {
        throw new UsageError(
          `usage: \`tsmpi-cloud trace view FILE [-o OUT]\`, e.g. tsmpi-cloud trace view t.json${sub !== undefined && sub !== 'view' ? ` (unknown subcommand \`${sub}\`)` : ''}`,
        );
      }
      const { writeTraceView } = await import('../launch/trace/trace-view.js');
      const out = await writeTraceView(file, str('output'));
      io.stdout(`${out}\n`);
      return 0;
    }
    const [job, ...extra] = positionals;
    if (job === undefined) throw new UsageError('missing <job>: e.g. `tsmpi-cloud run pi --ranks 4`');
    checkJobName(job);
    if (extra.length > 0) {
      throw new UsageError(
        `unexpected argument \`${extra[0]}\`: job arguments go after \`--\`, e.g. \`tsmpi-cloud run ${job} -- ${extra.join(' ')}\``,
      );
    }
    const backend = (str('backend') ?? 'local') as Backend;
    if (!['local', 'sqs', 'aws'].includes(backend)) {
      throw new UsageError(`Expected --backend to be local, sqs or aws, got \`${backend}\``);
    }
    backendName = backend;
    checkBackendOptions(line, backend);
    // As mpiexec: on this machine, one rank per core unless told otherwise. Remote backends bill
    // per rank, so there the count is always the user's choice.
    let ranks = parseRanks(str('ranks'), line.spelled.get('ranks'));
    if (ranks === undefined) {
      if (backend !== 'local') {
        throw new UsageError(
          `missing --ranks N: how many ranks to run on --backend ${backend}, e.g. --ranks 4 (only --backend local defaults to the number of cores)`,
        );
      }
      ranks = Math.min(availableParallelism(), MAX_RANKS);
    }
    ranksCount = ranks;
    checkBuiltinRanks(job, ranks);
    // Where every rank has a core, V8's background threads (its optimizing compiles) yield to
    // the ranks' (see background-threads.ts); only threads the CLI's own start-up noted.
    const niceness =
      backend === 'local' && ranks <= availableParallelism() ? backgroundNiceness(process.env) : 0;
    const timeoutMs = parseTimeout(str('timeout'));
    const args = parseJobArgs(line.jobArgv);
    checkBuiltinArgs(job, args, line.jobArgv);
    const env = parseEnv((values.get('env') as string[] | undefined) ?? [], process.env);
    const progress = !json && io.stderrIsTTY === true ? progressLine(io.stderr) : undefined;
    const outputDir = str('output-filename');
    if (outputDir !== undefined) {
      if (outputDir.trim() === '') throw new UsageError('Expected --output-filename to be a folder, got ``');
      if (existsSync(outputDir) && !statSync(outputDir).isDirectory()) {
        throw new UsageError(
          `Expected --output-filename to be a folder, got \`${outputDir}\`, a file: give a folder (made if missing) for one output file per rank`,
        );
      }
      makeOutputFolder(outputDir);
    }
    traceFile = str('trace');
    if (traceFile !== undefined) checkTracePath(traceFile, job, '--trace');
    const output = rankOutput({
      tag: flag('tag-output'),
      timestamp: flag('timestamp-output'),
      mergeStderr: flag('merge-stderr-to-stdout'),
      ...(outputDir === undefined ? {} : { outputDir }),
      stdout: json ? io.stderr : io.stdout,
      stderr: io.stderr,
      ...(progress === undefined ? {} : { around: progress.around }),
    });
    const options: RunOptions = { ranks, backend, args, onOutput: output.sink };
    if (Object.keys(env).length > 0) options.env = env;
    if (progress !== undefined) options.onProgress = (e) => progress.update(e.started, e.finished, e.ranks);
    if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
    if (str('endpoint') !== undefined) options.endpoint = str('endpoint')!;
    const region = str('region');
    if (region !== undefined) {
      // As the SDK clients check it, but as bad usage (exit 2) naming the flag.
      if (!/^[a-z]{2,}(-[a-z]+)+-\d+$/.test(region)) {
        throw new UsageError(`Expected --region to be an AWS region such as us-east-1, got \`${region}\``);
      }
      options.region = region;
    }
    if (str('aws-profile') !== undefined) options.awsProfile = str('aws-profile')!;
    if (flag('profile')) options.profile = true;
    if (traceFile !== undefined) options.trace = traceFile;
    if (str('stack') !== undefined) options.stack = str('stack')!;
    // run() has no option for it: the aws launcher reads the outputs file from the environment.
    if (str('outputs-file') !== undefined) process.env[ENV.outputsFile] = str('outputs-file')!;
    const perNode = parseRanksPerNode(str('ranks-per-node'));
    if (perNode !== undefined) options.ranksPerNode = perNode;
    const optimize = str('optimize');
    if (optimize !== undefined) {
      if (!OPTIMIZE_VALUES.includes(optimize as Optimize)) {
        throw new UsageError(
          `Expected --optimize to be balanced, latency or cost, got \`${optimize}\`: balanced (the default) is the fastest algorithm unless one at most 25% slower costs at most half as much`,
        );
      }
      options.optimize = optimize as Optimize;
    }
    const ac = new AbortController();
    options.signal = ac.signal;
    interrupts = handleInterrupts({
      stderr: io.stderr,
      stop: () => ac.abort(),
      // Threads of this process: nothing in the cloud to delete.
      ...((options.backend ?? 'local') === 'local' ? { cleanup: '' } : {}),
    });
    if (io === defaultIo) stdoutState.onGone = () => ac.abort();
    if (niceness > 0) lowerBackgroundThreads(niceness);
    let res: RunResult;
    try {
      res = await run(job, options);
    } finally {
      interrupts.dispose();
      stdoutState.onGone = undefined;
      progress?.done();
      output.close();
    }
    if (io === defaultIo && stdoutState.gone) return SIGPIPE_STATUS;
    if (json) io.stdout(`${toJson(res)}\n`);
    if (res.stats.profile !== undefined) {
      const { formatProfile } = await import('../launch/trace/mpi-profile.js');
      (json ? io.stderr : io.stdout)(`${formatProfile(res.stats.profile as MpiProfile)}\n`);
    }
    return interrupts.exitStatus ?? 0;
  } catch (err) {
    // The reader of stdout went away: the run was stopped for it, nobody is there to read why.
    if (io === defaultIo && stdoutState.gone) return interrupts?.exitStatus ?? SIGPIPE_STATUS;
    const status = report(err, {
      json,
      verbose,
      io,
      command: commandName,
      backend: backendName,
      ranks: ranksCount,
    });
    const partial = err instanceof JobFailedError ? err.details?.profile : undefined;
    if (partial !== undefined) {
      // The profile of a job that did not finish: what the ranks that reported had done.
      const { ranks, profile } = partial as { ranks: number[]; profile: MpiProfile };
      const { formatProfile } = await import('../launch/trace/mpi-profile.js');
      io.stderr(
        `tsmpi-cloud: the profile of what ${namedRanks(ranks)} recorded before the job stopped${ranksMissing(ranks, ranksCount)}:\n` +
          `${formatProfile(profile)}\n`,
      );
    }
    if (err instanceof JobFailedError && traceFile !== undefined) {
      const trace = err.details?.trace as { file: string; ranks: number[] } | undefined;
      io.stderr(
        trace === undefined
          ? 'tsmpi-cloud: no trace was written: no rank reported what it recorded before the job stopped\n'
          : `tsmpi-cloud: the trace in ${trace.file} has what ${namedRanks(trace.ranks)} recorded before the job stopped${ranksMissing(trace.ranks, ranksCount)}\n`,
      );
    }
    return interrupts?.exitStatus ?? status;
  }
}

/** `rank 1` / `ranks 0, 2`: the ranks a partial trace or profile has. */
function namedRanks(ranks: readonly number[]): string {
  return ranks.length === 1 ? `rank ${ranks[0]}` : `ranks ${ranks.join(', ')}`;
}

/** `; not rank 3` / `; not ranks 2, 3` for the ranks a partial trace lacks. */
function ranksMissing(have: readonly number[], ranks: number | null): string {
  if (ranks === null) return '';
  const missing = Array.from({ length: ranks }, (_, r) => r).filter((r) => !have.includes(r));
  if (missing.length === 0) return '';
  const shown = missing.slice(0, 8).join(', ') + (missing.length > 8 ? ', ...' : '');
  return `; not ${missing.length === 1 ? 'rank' : 'ranks'} ${shown} (still running when it stopped)`;
}

/** The message of a job stopped by a signal (see JobSupervisor). */
const INTERRUPTED = /^the job was interrupted \(signal received\)/;

interface ReportContext {
  json: boolean;
  verbose: boolean;
  io: Io;
  command: string | undefined;
  backend: string | null;
  ranks: number | null;
}

/**
 * The --json shape of a failure: a run's has the same keys as a success, `ok: false` and `error`;
 * `doctor`'s is its own (`ok`, `checks`) with `error`; `list`'s success is an array, so its
 * failure is `{ ok: false, error }`.
 */
function failureJson(
  ctx: ReportContext,
  error: Record<string, unknown>,
  stats: Record<string, unknown> | null = null,
): string {
  if (ctx.command === 'doctor' || ctx.command === 'list') {
    // No rank is involved in these.
    const { rank: _rank, ...rest } = error;
    return toJson(
      ctx.command === 'doctor' ? { ok: false, checks: [], error: rest } : { ok: false, error: rest },
    );
  }
  return toJson({
    ok: false,
    backend: ctx.backend,
    ranks: ctx.ranks,
    result: null,
    results: null,
    timings: null,
    stats,
    error,
  });
}

function report(err: unknown, ctx: ReportContext): number {
  const { json, verbose, io } = ctx;
  if (err instanceof UsageError) {
    if (json) io.stdout(`${failureJson(ctx, { rank: null, message: err.message, usage: true })}\n`);
    io.stderr(`tsmpi-cloud: ${err.message}\n`);
    return 2;
  }
  if (err instanceof JobFailedError && (err.cause as Error | undefined)?.name === 'JobLoadError') {
    // The file imported, but what it exports is no job (found only where a rank loads it): the
    // same mistake as a file without a default export, which is found before the run.
    return report(new UsageError((err.cause as Error).message), ctx);
  }
  if (err instanceof JobFailedError) {
    const cause = err.cause as Error & { errorClass?: number; errorcode?: number };
    // A timeout or a signal stops the job whole: no rank failed (`run()`'s error still names the
    // first rank that had not finished), so the report names none.
    const stopped = cause.errorClass === ERR_TIMEOUT || INTERRUPTED.test(cause.message);
    const error: Record<string, unknown> = { rank: stopped ? null : err.rank, message: cause.message };
    if (typeof cause.errorClass === 'number') {
      error.errorClass = cause.errorClass;
      error.errorClassName = errorClassName(cause.errorClass);
    }
    const code = err.errorcode ?? cause.errorcode;
    if (code !== undefined) error.errorcode = code;
    if (cause.stack) error.stack = cause.stack;
    // What the ranks that reported recorded (--trace, --profile): which ranks, the trace file, and
    // the profile where a success has it (`stats.profile`).
    const trace = err.details?.trace as { file: string; ranks: number[] } | undefined;
    const profile = err.details?.profile as { ranks: number[]; profile: unknown } | undefined;
    if (trace !== undefined || profile !== undefined) {
      error.recorded = {
        ranks: trace?.ranks ?? profile?.ranks,
        ...(trace === undefined ? {} : { trace: trace.file }),
      };
    }
    if (json)
      io.stdout(`${failureJson(ctx, error, profile === undefined ? null : { profile: profile.profile })}\n`);
    // A failed job always exits 1 (API.md); the rank's own code is shown, and carried in --json.
    const kind = cause.errorClass === ERR_ABORTED ? 'abort code' : 'exit code';
    const what = error.errorcode !== undefined ? ` (${kind} ${error.errorcode})` : '';
    if (stopped) {
      io.stderr(`tsmpi-cloud: ${cause.message}\n`);
      return 1;
    }
    // A TypeError or RangeError says so, as Python's traceback ends `TypeError: ...`.
    const named = typeof cause.name === 'string' && !['Error', 'MPIError', ''].includes(cause.name);
    io.stderr(
      `tsmpi-cloud: the job failed on rank ${err.rank}${what}: ${named ? `${cause.name}: ` : ''}${cause.message}\n`,
    );
    if (verbose && cause.stack) io.stderr(`${cause.stack}\n`);
    else if (!json) io.stderr('(run with --verbose for the stack trace)\n');
    return 1;
  }
  if (err instanceof TsmpiError && err.code === 'TRACE_NOT_WRITTEN') {
    // The job finished; only its trace is missing: --json still carries its result.
    const res = (err as TsmpiError & { result?: RunResult }).result;
    if (json)
      io.stdout(
        `${toJson({ ...res, ok: false, error: { rank: null, message: err.message, code: err.code } })}\n`,
      );
    io.stderr(`tsmpi-cloud: ${err.message}\n`);
    return 1;
  }
  const e = err as Error;
  const message = e?.message ?? String(err);
  if (json) io.stdout(`${failureJson(ctx, { rank: null, message })}\n`);
  io.stderr(`tsmpi-cloud: ${message}\n`);
  if (verbose && e?.stack) io.stderr(`${e.stack}\n`);
  return 1;
}

/**
 * Makes the `--output-filename` folder, level by level from its nearest existing ancestor (Node's
 * recursive mkdirSync spins forever under /proc), and checks it can be written to: a folder that
 * cannot be made or written is bad usage, found before any rank starts.
 */
function makeOutputFolder(dir: string): void {
  const cannot = (why: string) =>
    new UsageError(
      `Cannot use --output-filename \`${dir}\`: ${why}; give a folder you can write to (made if missing)`,
    );
  const missing: string[] = [];
  let existing = resolve(dir);
  while (!existsSync(existing)) {
    missing.unshift(existing);
    const up = dirname(existing);
    if (up === existing) break;
    existing = up;
  }
  if (!statSync(existing).isDirectory()) throw cannot(`\`${existing}\` is a file, not a folder`);
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (err) {
      throw cannot(
        `making \`${folder}\` failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
  }
  try {
    accessSync(resolve(dir), constants.W_OK);
  } catch (err) {
    throw cannot(
      `it cannot be written to (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

/** `--ranks-per-node K`: a whole number >= 1, or undefined when not given. */
function parseRanksPerNode(perNode: string | undefined): number | undefined {
  if (perNode === undefined) return undefined;
  const k = /^\d+$/.test(perNode.trim()) ? Number(perNode.trim()) : Number.NaN;
  if (!Number.isSafeInteger(k) || k < 1) {
    throw new UsageError(
      `Expected --ranks-per-node to be a whole number >= 1 (ranks sharing one node), got \`${perNode}\``,
    );
  }
  return k;
}
