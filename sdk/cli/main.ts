import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { errorClassName, JobFailedError, UsageError } from '../base/errors.js';
import { ENV } from '../base/stack-contract.js';
import { BUILTIN_JOBS } from '../jobs/registry.js';
import type { Backend } from '../launch/launcher.js';
import { MAX_RANKS, type RunOptions, type RunResult, run } from '../run.js';
import { parseJobArgs } from './job-args.js';
import { toJson } from './to-json.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const HELP = `tsmpi-cloud ${VERSION} — run mpi4py-style TypeScript jobs on worker threads or AWS Lambda

Usage:
  tsmpi-cloud run <job> --ranks N [options] [-- job arguments]
  tsmpi-cloud list
  tsmpi-cloud doctor [--stack S] [--region R] [--profile P] [--outputs-file F] [--ranks N]
  tsmpi-cloud --help | --version

<job> is a built-in job (see \`tsmpi-cloud list\`) or a .ts/.mts/.js/.mjs file whose default
export is \`defineJob(async (comm, args) => ...)\`.

Options for run:
  -n, --ranks N         number of ranks, 1..${MAX_RANKS} (required)
  --backend B           local (worker threads, default) | sqs (threads, messages over SQS) | aws (Lambda)
  --endpoint URL        SQS/S3 endpoint (an emulator) for --backend sqs or aws; default: AWS from the environment
  --region R            AWS region (default: AWS_REGION, or the stack's with --outputs-file)
  --profile P           AWS profile for --backend aws (default: AWS_PROFILE / the default chain)
  --stack S             CloudFormation stack of --backend aws (default: TsmpiCloud)
  --outputs-file F      read the stack's outputs from \`cdk deploy --outputs-file F\` instead of
                        CloudFormation (default: TSMPI_OUTPUTS_FILE)
  --timeout SECONDS     fail the job if it runs longer, reporting what each rank waits for
  --optimize latency|cost
                        how the cost model picks collective algorithms: fastest (default over SQS)
                        or fewest billed requests; the choices and predictions appear in --json stats
  --json                print one JSON object { ok, backend, ranks, result, results, timings, stats, error? }
                        on stdout; rank output goes to stderr
  --tag-output          prefix every output line with [rank]
  --verbose             show stack traces of failures
  -h, --help            this help

doctor checks that --backend aws can run here: credentials, the stack and its outputs, the
account's and the function's concurrency (enough for --ranks N), the rank function, SQS and S3
access; it prints ✓/✗ lines with what to fix and exits 0 when all pass, 1 otherwise.

A progress line (ranks started/finished) is shown on stderr when it is a terminal and --json is off.

Job arguments after \`--\` reach the job as an object: \`-- --samples 1e8 --fast\` gives
{ samples: 100000000, fast: true }.

Examples:
  tsmpi-cloud run pi --ranks 64
  tsmpi-cloud run pi --ranks 2 -- --samples 100000000
  tsmpi-cloud run ./my-job.ts --ranks 8 --tag-output
  tsmpi-cloud run hello --ranks 4 --backend sqs --endpoint http://127.0.0.1:4566
  tsmpi-cloud doctor --stack TsmpiCloud --ranks 64
  tsmpi-cloud run pi --ranks 64 --backend aws --stack TsmpiCloud

Exit status: 0 success, 1 the job failed, 2 bad usage.`;

interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Whether stderr is a terminal (the progress line is drawn only then). Default false. */
  stderrIsTTY?: boolean;
}

const defaultIo: Io = {
  stdout: (s) => process.stdout.write(s),
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

function parseRanks(v: string | undefined): number {
  if (v === undefined) throw new UsageError('missing --ranks N: how many ranks to run, e.g. --ranks 4');
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1 || n > MAX_RANKS) {
    throw new UsageError(`Expected --ranks to be an integer in [1, ${MAX_RANKS}], got \`${v}\``);
  }
  return n;
}

function parseTimeout(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = Number(v);
  if (v.trim() === '' || !Number.isFinite(s) || s <= 0) {
    throw new UsageError(`Expected --timeout to be a positive number of seconds, got \`${v}\``);
  }
  return s * 1000;
}

/** Runs the CLI; returns the exit status. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let verbose = argv.includes('--verbose');
  let json = false;
  let backendName: string | null = null;
  let ranksCount: number | null = null;
  try {
    const dd = argv.indexOf('--');
    const own = dd >= 0 ? argv.slice(0, dd) : argv;
    const jobArgv = dd >= 0 ? argv.slice(dd + 1) : [];
    let parsed: ReturnType<typeof parseCli>;
    try {
      parsed = parseCli(own);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`${(err as Error).message.replace(/^.*?: /, '')}; see \`tsmpi-cloud --help\``);
    }
    const { values, positionals } = parsed;
    verbose = values.verbose === true;
    json = values.json === true;
    if (values.version) {
      io.stdout(`${VERSION}\n`);
      return 0;
    }
    const [command, ...rest] = positionals;
    if (values.help || command === undefined || command === 'help') {
      io.stdout(`${HELP}\n`);
      return command === undefined && !values.help ? 2 : 0;
    }
    if (command === 'list') {
      const width = Math.max(...Object.keys(BUILTIN_JOBS).map((k) => k.length));
      for (const [name, j] of Object.entries(BUILTIN_JOBS))
        io.stdout(`${name.padEnd(width)}  ${j.description}\n`);
      return 0;
    }
    if (command === 'doctor') {
      const { doctor } = await import('./doctor.js');
      return await doctor(
        {
          ...(values.stack === undefined ? {} : { stack: values.stack }),
          ...(values.region === undefined ? {} : { region: values.region }),
          ...(values.profile === undefined ? {} : { profile: values.profile }),
          ...(values['outputs-file'] === undefined ? {} : { outputsFile: values['outputs-file'] }),
          ...(values.endpoint === undefined ? {} : { endpoint: values.endpoint }),
          ...(values.ranks === undefined ? {} : { ranks: parseRanks(values.ranks) }),
        },
        io.stdout,
      );
    }
    if (command !== 'run') {
      throw new UsageError(
        `unknown command \`${command}\`: use \`run\`, \`list\` or \`doctor\` (see \`tsmpi-cloud --help\`)`,
      );
    }
    const [job, ...extra] = rest;
    if (job === undefined) throw new UsageError('missing <job>: e.g. `tsmpi-cloud run pi --ranks 4`');
    if (extra.length > 0) {
      throw new UsageError(
        `unexpected argument \`${extra[0]}\`: job arguments go after \`--\`, e.g. -- --samples 1e8`,
      );
    }
    const backend = (values.backend ?? 'local') as Backend;
    backendName = backend;
    const ranks = parseRanks(values.ranks);
    ranksCount = ranks;
    const timeoutMs = parseTimeout(values.timeout);
    if (!['local', 'sqs', 'aws'].includes(backend)) {
      throw new UsageError(`Expected --backend to be local, sqs or aws, got \`${backend}\``);
    }
    const tag = values['tag-output'] === true;
    const rankOut = json ? io.stderr : io.stdout;
    const progress = !json && io.stderrIsTTY === true ? progressLine(io.stderr) : undefined;
    const options: RunOptions = {
      ranks,
      backend,
      args: parseJobArgs(jobArgv),
      onOutput: (rank, stream, line) => {
        const text = `${tag ? `[${rank}] ` : ''}${line}\n`;
        const print = () => (stream === 'stdout' ? rankOut : io.stderr)(text);
        if (progress === undefined) print();
        else progress.around(print);
      },
    };
    if (progress !== undefined) options.onProgress = (e) => progress.update(e.started, e.finished, e.ranks);
    if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
    if (values.endpoint !== undefined) options.endpoint = values.endpoint;
    if (values.region !== undefined) options.region = values.region;
    if (values.profile !== undefined) options.profile = values.profile;
    if (values.stack !== undefined) options.stack = values.stack;
    // run() has no option for it: the aws launcher reads the outputs file from the environment.
    if (values['outputs-file'] !== undefined) process.env[ENV.outputsFile] = values['outputs-file'];
    if (values.optimize !== undefined) {
      if (values.optimize !== 'latency' && values.optimize !== 'cost') {
        throw new UsageError(`Expected --optimize to be latency or cost, got \`${values.optimize}\``);
      }
      options.optimize = values.optimize;
    }
    const ac = new AbortController();
    options.signal = ac.signal;
    const onSigint = () => {
      io.stderr('\ntsmpi-cloud: interrupted, stopping all ranks...\n');
      ac.abort();
    };
    process.once('SIGINT', onSigint);
    let res: RunResult;
    try {
      res = await run(job, options);
    } finally {
      process.off('SIGINT', onSigint);
      progress?.done();
    }
    if (json) io.stdout(`${toJson(res)}\n`);
    return 0;
  } catch (err) {
    return report(err, { json, verbose, io, backend: backendName, ranks: ranksCount });
  }
}

function parseCli(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      ranks: { type: 'string', short: 'n' },
      backend: { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      profile: { type: 'string' },
      stack: { type: 'string' },
      'outputs-file': { type: 'string' },
      timeout: { type: 'string' },
      optimize: { type: 'string' },
      json: { type: 'boolean' },
      'tag-output': { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'V' },
    },
  });
}

interface ReportContext {
  json: boolean;
  verbose: boolean;
  io: Io;
  backend: string | null;
  ranks: number | null;
}

/** The --json shape of a failed run: the same keys as a success, `ok: false` and `error`. */
function failureJson(ctx: ReportContext, error: Record<string, unknown>): string {
  return toJson({
    ok: false,
    backend: ctx.backend,
    ranks: ctx.ranks,
    result: null,
    results: null,
    timings: null,
    stats: null,
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
  if (err instanceof JobFailedError) {
    const cause = err.cause as Error & { errorClass?: number; errorcode?: number };
    const error: Record<string, unknown> = { rank: err.rank, message: cause.message };
    if (typeof cause.errorClass === 'number') {
      error.errorClass = cause.errorClass;
      error.errorClassName = errorClassName(cause.errorClass);
    }
    const code = err.errorcode ?? cause.errorcode;
    if (code !== undefined) error.errorcode = code;
    if (cause.stack) error.stack = cause.stack;
    if (json) io.stdout(`${failureJson(ctx, error)}\n`);
    const what = error.errorcode !== undefined ? ` (abort code ${error.errorcode})` : '';
    io.stderr(`tsmpi-cloud: the job failed on rank ${err.rank}${what}: ${cause.message}\n`);
    if (verbose && cause.stack) io.stderr(`${cause.stack}\n`);
    else if (!json) io.stderr('(run with --verbose for the stack trace)\n');
    return 1;
  }
  const e = err as Error;
  const message = e?.message ?? String(err);
  if (json) io.stdout(`${failureJson(ctx, { rank: null, message })}\n`);
  io.stderr(`tsmpi-cloud: ${message}\n`);
  if (verbose && e?.stack) io.stderr(`${e.stack}\n`);
  return 1;
}
