import { didYouMean } from '../base/did-you-mean.js';
import { UsageError } from '../base/errors.js';
import { BUILTIN_JOBS } from '../jobs/registry.js';
import type { Backend } from '../launch/launcher.js';

export type Command = 'run' | 'list' | 'doctor' | 'trace' | 'help';
export const COMMANDS: readonly Command[] = ['run', 'list', 'doctor', 'trace', 'help'];

/** One option of the command line: which commands (and, for `run`, which backends) accept it. */
export interface OptionSpec {
  name: string;
  /** Short spellings, with their dash: `-n`, `-np`. */
  short?: readonly string[];
  /**
   * `string` takes the next word as its value; `list` does too, and may repeat. A `string` given
   * twice (or a `boolean` given both on and off) is a UsageError.
   */
  type: 'string' | 'boolean' | 'list';
  commands: readonly Command[];
  /** For `run`: the backends it applies to (all when unset). */
  backends?: readonly Backend[];
  /** Placeholder of the value in help texts. */
  value?: string;
  /** What it does, in `run --help` (and in every command's help that has no `helpFor` text). */
  help: string;
  /** What it does in another command's help, where that differs. */
  helpFor?: Partial<Record<Command, string>>;
}

const ALL: readonly Command[] = ['run', 'list', 'doctor', 'trace', 'help'];

/** Every option, in the order help texts list them. */
export const OPTIONS: readonly OptionSpec[] = [
  {
    name: 'ranks',
    short: ['-n', '-np'],
    type: 'string',
    value: 'N',
    commands: ['run', 'doctor'],
    help: 'number of ranks (default the number of cores with --backend local, required otherwise)',
    helpFor: {
      doctor:
        'number of ranks the account and function concurrency must hold (default: only check that a rank can run)',
    },
  },
  {
    name: 'backend',
    type: 'string',
    value: 'B',
    commands: ['run'],
    help: 'local (worker threads, default) | sqs (threads, messages over SQS) | aws (Lambda)',
  },
  {
    name: 'ranks-per-node',
    type: 'string',
    value: 'K',
    commands: ['run', 'doctor'],
    help: 'ranks per node: they share memory, nodes talk over one SQS queue each (aws: K ranks per Lambda invocation, default one per vCPU of the function: clamp(round(memory MB / 1769), 1, 6); sqs: K worker threads per node, default 1; local: all ranks are one node already, so only K >= N)',
    helpFor: {
      doctor:
        'ranks per Lambda invocation, as for `run --backend aws`: --ranks N needs one concurrent execution per node of K ranks (default K: one per vCPU of the function)',
    },
  },
  {
    name: 'endpoint',
    type: 'string',
    value: 'URL',
    commands: ['run', 'doctor'],
    backends: ['sqs', 'aws'],
    help: 'SQS/S3 endpoint (an emulator) for --backend sqs or aws; default: AWS from the environment',
    helpFor: {
      doctor: 'SQS/S3 endpoint (an emulator) for the SQS and S3 checks; default: AWS from the environment',
    },
  },
  {
    name: 'region',
    type: 'string',
    value: 'R',
    commands: ['run', 'doctor'],
    backends: ['sqs', 'aws'],
    help: "AWS region (default: AWS_REGION, or the stack's with --outputs-file)",
  },
  {
    name: 'aws-profile',
    type: 'string',
    value: 'P',
    commands: ['run', 'doctor'],
    backends: ['aws'],
    help: 'AWS profile for --backend aws (default: AWS_PROFILE / the default chain)',
    helpFor: { doctor: 'AWS profile to check with (default: AWS_PROFILE / the default chain)' },
  },
  {
    name: 'stack',
    type: 'string',
    value: 'S',
    commands: ['run', 'doctor'],
    backends: ['aws'],
    help: 'CloudFormation stack of --backend aws (default: TsmpiCloud)',
    helpFor: { doctor: 'CloudFormation stack to check (default: TsmpiCloud)' },
  },
  {
    name: 'outputs-file',
    type: 'string',
    value: 'F',
    commands: ['run', 'doctor'],
    backends: ['aws'],
    help: "read the stack's outputs from `cdk deploy --outputs-file F` instead of CloudFormation (default: TSMPI_OUTPUTS_FILE)",
  },
  {
    name: 'timeout',
    type: 'string',
    value: 'SECONDS',
    commands: ['run'],
    help: 'fail the job if it runs longer, reporting what each rank waits for',
  },
  {
    name: 'optimize',
    type: 'string',
    value: 'balanced|latency|cost',
    commands: ['run'],
    help: 'how the cost model picks collective algorithms over SQS: balanced (default: the fastest, unless one at most 25% slower needs at most half the billed requests), latency (the fastest) or cost (the fewest billed requests); the choices appear in --json stats',
  },
  {
    name: 'trace',
    type: 'string',
    value: 'FILE',
    commands: ['run'],
    help: 'write the job as Chrome trace-event JSON (Perfetto UI, chrome://tracing): a track per rank, a slice per MPI call, an arrow from each send to its receive; view it with `tsmpi-cloud trace view FILE`. A job that fails or times out still writes what its ranks reported (at a timeout, a blocked rank: up to the call it waits in)',
  },
  {
    name: 'profile',
    type: 'boolean',
    commands: ['run'],
    help: 'print an mpiP-style profile at the end (per rank and call: count, time, bytes; share of time in MPI; top call sites); also in --json stats.profile. A job that fails prints, on stderr, the profile of what its ranks recorded before it stopped',
  },
  {
    name: 'output',
    short: ['-o'],
    type: 'string',
    value: 'OUT',
    commands: ['trace'],
    help: 'where `trace view` writes the page (default: FILE.html)',
  },
  {
    name: 'env',
    short: ['-x'],
    type: 'list',
    value: 'VAR[=VALUE]',
    commands: ['run'],
    help: "set VAR in every rank's environment, to VALUE or to its value here (repeatable), as mpiexec -x",
  },
  {
    name: 'json',
    type: 'boolean',
    commands: ['run', 'list', 'doctor'],
    help: 'print one JSON object on stdout: { ok, backend, ranks, result, results, timings, stats, error? }; rank output then goes to stderr',
    helpFor: {
      list: 'print the jobs as one JSON array on stdout: { name, description, args, minRanks? } each (minRanks: the fewest ranks the job runs on, where it needs more than 1)',
      doctor: 'print one JSON object on stdout: { ok, checks: [{ ok, what, fix? }] }',
    },
  },
  {
    name: 'tag-output',
    type: 'boolean',
    commands: ['run'],
    help: 'prefix every output line with [rank]',
  },
  {
    name: 'timestamp-output',
    type: 'boolean',
    commands: ['run'],
    help: 'prefix every output line with the time it reached this machine (ISO 8601, UTC)',
  },
  {
    name: 'merge-stderr-to-stdout',
    type: 'boolean',
    commands: ['run'],
    help: "send ranks' stderr where their stdout goes",
  },
  {
    name: 'output-filename',
    type: 'string',
    value: 'DIR',
    commands: ['run'],
    help: "write each rank's output to DIR/rank.<N>/stdout and DIR/rank.<N>/stderr instead of the terminal",
  },
  {
    name: 'verbose',
    short: ['-v'],
    type: 'boolean',
    commands: ALL,
    help: 'show stack traces of failures (`tsmpi-cloud -v` alone prints the version)',
  },
  { name: 'help', short: ['-h'], type: 'boolean', commands: ALL, help: 'this help' },
  { name: 'version', short: ['-V'], type: 'boolean', commands: ALL, help: 'print the version' },
];

const BY_SPELLING = new Map<string, OptionSpec>();
for (const o of OPTIONS) {
  BY_SPELLING.set(`--${o.name}`, o);
  for (const s of o.short ?? []) BY_SPELLING.set(s, o);
}

/** The command line, split into its parts. Values are raw strings; checking them is the caller's. */
export interface CommandLine {
  command: Command | undefined;
  /** Words that are not options, after the command. */
  positionals: string[];
  /** Options by name, in the order given; `list` options collect every value. */
  values: Map<string, string | boolean | string[]>;
  /** How each option was spelled (for messages): `-n` or `--ranks`. */
  spelled: Map<string, string>;
  /** What follows `--`: the job's arguments. */
  jobArgv: string[];
  /** Whether `--` was given. */
  dashDash: boolean;
}

function spellings(commands: readonly Command[]): string[] {
  return OPTIONS.filter((o) => o.commands.some((c) => commands.includes(c))).flatMap((o) => [
    `--${o.name}`,
    ...(o.short ?? []),
  ]);
}

/**
 * For `run` with an unknown option before any `--`: where job arguments go. `own`: the words
 * before `--`; `tail`: the unknown words (from the first one up to the next known option). The
 * command it suggests keeps the user's other words. A built-in job's own arguments are known:
 * the hint names the right one, or says the job takes no such argument.
 */
function jobArgumentHint(
  own: readonly string[],
  tail: readonly string[],
  job: string | undefined,
  hint: string,
): string {
  const at = own.indexOf(tail[0]!);
  const rest = own.filter((_, i) => i < at || i >= at + tail.length);
  const rerun = (args: readonly string[]) => `\`tsmpi-cloud ${[...rest, '--', ...args].join(' ')}\``;
  const lead = hint === '' ? '; ' : ' ';
  const builtin = job === undefined ? undefined : BUILTIN_JOBS[job];
  if (builtin === undefined) {
    return `${lead}${hint === '' ? 'job arguments go' : 'If it is a job argument, it goes'} after \`--\`, e.g. ${rerun(tail)}`;
  }
  const names = Object.keys(builtin.args).map((n) => n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
  const word = tail[0]!.replace(/^-+/, '').replace(/=.*$/, '');
  if (names.includes(word)) return `${lead}${job}'s own arguments go after \`--\`: ${rerun(tail)}`;
  const close = didYouMean(word, names);
  if (close !== undefined) {
    return `${hint === '' ? '; did' : ' Or did'} you mean ${job}'s argument \`--${close}\`? It goes after \`--\`: ${rerun([`--${close}`, ...tail.slice(1)])}`;
  }
  return names.length === 0
    ? ` (${job} takes no job arguments)`
    : ` (${job}'s own arguments, after \`--\`: ${names.map((n) => `--${n}`).join(', ')})`;
}

/** Every spelling of `run`'s options (`--ranks`, `-n`, ...). */
export const RUN_OPTIONS: readonly string[] = spellings(['run']);

/**
 * Splits argv into command, options and job arguments. A string option takes the next word as its
 * value even when it starts with a dash (`--ranks -1` is then a bad value, not a parse error), and
 * may be given once (`-n 2 --ranks 4` is a UsageError naming both). An unknown option is a
 * UsageError that suggests the closest known one and, for `run`, says where job arguments go.
 */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  const dd = argv.indexOf('--');
  const own = dd >= 0 ? argv.slice(0, dd) : [...argv];
  const out: CommandLine = {
    command: undefined,
    positionals: [],
    values: new Map(),
    spelled: new Map(),
    jobArgv: dd >= 0 ? argv.slice(dd + 1) : [],
    dashDash: dd >= 0,
  };
  const unknown: string[] = [];
  // Words from the first unknown option up to the next known one: probably job arguments.
  let strayTail: string[] | undefined;
  for (let i = 0; i < own.length; i++) {
    const word = own[i]!;
    if (!word.startsWith('-') || word === '-') {
      if (out.command === undefined && out.positionals.length === 0 && COMMANDS.includes(word as Command)) {
        out.command = word as Command;
      } else if (out.command === undefined) {
        throw new UsageError(
          `unknown command \`${word}\`: use ${COMMANDS.filter((c) => c !== 'help')
            .map((c) => `\`${c}\``)
            .join(
              ', ',
            )} (see \`tsmpi-cloud --help\`)${word in BUILTIN_JOBS || /[./\\]/.test(word) ? `; to run a job: \`tsmpi-cloud run ${word}\`` : suggest(word, COMMANDS)}`,
        );
      } else out.positionals.push(word);
      continue;
    }
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const spelling = eq >= 0 ? word.slice(0, eq) : word;
    const spec = BY_SPELLING.get(spelling);
    if (spec === undefined) {
      unknown.push(word);
      if (strayTail === undefined) {
        strayTail = [word];
        for (let j = i + 1; j < own.length && !BY_SPELLING.has(own[j]!.replace(/=.*$/, '')); j++)
          strayTail.push(own[j]!);
      }
      continue;
    }
    const before = out.spelled.get(spec.name);
    out.spelled.set(spec.name, spelling);
    if (spec.type === 'boolean') {
      let on = true;
      if (eq >= 0) {
        const v = word.slice(eq + 1);
        if (v !== 'true' && v !== 'false') {
          throw new UsageError(`${spelling} is a flag: give it alone (or =true/=false), got \`${word}\``);
        }
        on = v === 'true';
      }
      const prev = out.values.get(spec.name);
      if (prev !== undefined && prev !== on) {
        const shown = (s: string, v: boolean) => (v ? s : `${s}=false`);
        throw givenTwice(spec, shown(before!, prev as boolean), shown(spelling, on), out.command);
      }
      out.values.set(spec.name, on);
      continue;
    }
    let value: string;
    if (eq >= 0) value = word.slice(eq + 1);
    else {
      const next = own[i + 1];
      if (next === undefined) {
        throw new UsageError(
          `${spelling} needs a value: ${spelling} ${spec.value ?? 'VALUE'}${dd >= 0 && i === own.length - 1 ? ' (before `--`: what follows `--` goes to the job)' : ''}`,
        );
      }
      value = next;
      i++;
    }
    const prev = out.values.get(spec.name);
    if (spec.type === 'list') {
      out.values.set(spec.name, [...(Array.isArray(prev) ? prev : []), value]);
    } else if (prev !== undefined) {
      // The last one winning silently would leave the user guessing which value the run used.
      throw givenTwice(spec, `${before} ${prev}`, `${spelling} ${value}`, out.command);
    } else out.values.set(spec.name, value);
  }
  const command = out.command;
  if (unknown.length > 0) {
    const word = unknown[0]!;
    const spelling = word.startsWith('--') && word.includes('=') ? word.slice(0, word.indexOf('=')) : word;
    const where = command === undefined ? '' : ` for \`${command}\``;
    const own = spellings(command === undefined ? ALL : [command]);
    const glued = gluedShortValue(word, own);
    let hint = glued === undefined ? suggest(spelling, own) : '';
    if (command === 'run' && !out.dashDash && glued === undefined) {
      const words = dd >= 0 ? argv.slice(0, dd) : argv;
      hint += jobArgumentHint(words, strayTail ?? unknown, out.positionals[0], hint);
    }
    const what =
      glued === undefined
        ? `unknown option \`${spelling}\`${where}`
        : `\`${word}\`: ${glued.spelling} takes its value as the next word: \`${glued.spelling} ${glued.value}\` (or \`--${glued.name}=${glued.value}\`)`;
    throw new UsageError(
      `${what}${hint} (see \`tsmpi-cloud ${command ?? ''}${command === undefined ? '' : ' '}--help\`)`,
    );
  }
  // Options another command takes: say whose they are rather than ignore them.
  if (command !== undefined && command !== 'help') {
    for (const name of out.values.keys()) {
      const spec = OPTIONS.find((o) => o.name === name)!;
      if (!spec.commands.includes(command)) {
        throw new UsageError(
          `${out.spelled.get(name)} is not an option of \`${command}\` (it belongs to ${spec.commands.map((c) => `\`${c}\``).join(', ')}); see \`tsmpi-cloud ${command} --help\``,
        );
      }
    }
  }
  return out;
}

/** A single-value option given twice: which one, both as given, and to give it once. */
function givenTwice(
  spec: OptionSpec,
  first: string,
  second: string,
  command: Command | undefined,
): UsageError {
  return new UsageError(
    `--${spec.name} is given twice, as \`${first}\` and as \`${second}\`: give it once, with the value you mean (see \`tsmpi-cloud ${command ?? ''}${command === undefined ? '' : ' '}--help\`)`,
  );
}

/**
 * A short option glued to its value (`-n=2`, `-n2`, `-np=2`): getopt would take `-n2`, and `=2` as
 * the value of `-n=2`; here a short option's value is the next word, so this says how to write it.
 */
function gluedShortValue(
  word: string,
  own: readonly string[],
): { spelling: string; name: string; value: string } | undefined {
  if (word.startsWith('--')) return undefined;
  let best: OptionSpec | undefined;
  let spelling = '';
  for (const o of OPTIONS) {
    for (const s of o.short ?? []) {
      if (
        o.type !== 'boolean' &&
        own.includes(s) &&
        word.length > s.length &&
        word.startsWith(s) &&
        s.length > spelling.length
      ) {
        best = o;
        spelling = s;
      }
    }
  }
  if (best === undefined) return undefined;
  const rest = word.slice(spelling.length);
  const value = rest.startsWith('=') ? rest.slice(1) : rest;
  return value === '' ? undefined : { spelling, name: best.name, value };
}

function suggest(word: string, candidates: readonly string[]): string {
  const s = didYouMean(word, candidates);
  return s === undefined ? '' : `; did you mean \`${s}\`?`;
}

/**
 * Rejects options given for a backend that does not use them (`--endpoint` with `local`): a
 * silently ignored option is a question the user cannot see.
 */
export function checkBackendOptions(line: CommandLine, backend: Backend): void {
  for (const name of line.values.keys()) {
    const spec = OPTIONS.find((o) => o.name === name)!;
    if (spec.backends !== undefined && !spec.backends.includes(backend)) {
      const hint =
        name === 'aws-profile' && backend === 'sqs'
          ? '; for --backend sqs set AWS_PROFILE in the environment'
          : '';
      throw new UsageError(
        `${line.spelled.get(name)} applies to --backend ${spec.backends.join(' or ')}, not ${backend}${hint}`,
      );
    }
  }
}
