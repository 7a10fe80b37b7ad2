import { MAX_RANKS } from '../run.js';
import { type Command, OPTIONS } from './command-line.js';

function optionLines(command: Command): string {
  const lines: string[] = [];
  for (const o of OPTIONS) {
    if (!o.commands.includes(command)) continue;
    const names = [...(o.short ?? []), `--${o.name}`].join(', ');
    const left = `  ${names}${o.value === undefined ? '' : ` ${o.value}`}`;
    const own = o.helpFor?.[command] ?? o.help;
    const text = o.name === 'ranks' && command === 'run' ? `${own}; 1..${MAX_RANKS}` : own;
    lines.push(left.length <= 28 ? `${left.padEnd(28)}${text}` : `${left}\n${' '.repeat(28)}${text}`);
  }
  return lines.join('\n');
}

const RUN = (version: string) => `tsmpi-cloud run ${version} — run a job on N ranks

Usage:
  tsmpi-cloud run <job> [--ranks N] [options] [-- job arguments]

<job> is a built-in job (see \`tsmpi-cloud list\`) or a .ts/.mts/.cts/.js/.mjs/.cjs file whose default
export (or module.exports) is \`defineJob(async (comm, args) => ...)\`.

Options:
${optionLines('run')}

Job arguments go after \`--\` and reach the job as an object: \`-- --samples 1e8 --fast\` gives
{ samples: 100000000, fast: true }. Decimal numbers (100, 1e8, 0.5, -3) become numbers and
true/false booleans; a value a number would change (007, +5, 0x10, a 20-digit id) stays a string.
Built-in jobs reject arguments they do not know.

A progress line (ranks started/finished) is shown on stderr when it is a terminal and --json is off.

Examples:
  tsmpi-cloud run pi                                 # one rank per core
  tsmpi-cloud run pi --ranks 2 -- --samples 100000000 --seed 7
  tsmpi-cloud run ./my-job.ts -n 8 --tag-output -x OMP_NUM_THREADS=1
  tsmpi-cloud run hello --ranks 4 --backend sqs --endpoint http://127.0.0.1:4566
  tsmpi-cloud run pi --ranks 64 --backend aws --stack TsmpiCloud

On Linux, where every rank has a core (--backend local, --ranks N at most the number of cores), the
threads Node started before the run (V8's optimizing compiles and background GC) run at nice 10, so
that the ranks win the cores during their first thousands of calls; TSMPI_BACKGROUND_NICE=0..19
sets the value (0: leave them be).

Exit status: 0 success, 1 the job failed, 2 bad usage; 130/143/129 when SIGINT/SIGTERM/SIGHUP
stopped it (every signal stops the ranks and deletes the job's queues and objects; a third exits at once).`;

const LIST = `tsmpi-cloud list — the built-in jobs: name and description, then the job arguments each takes

Usage:
  tsmpi-cloud list [--json]

Options:
${optionLines('list')}`;

const DOCTOR = `tsmpi-cloud doctor — can \`run --backend aws\` work here?

Usage:
  tsmpi-cloud doctor [--stack S] [--region R] [--aws-profile P] [--outputs-file F] [--ranks N]
                     [--ranks-per-node K] [--endpoint URL] [--json]

Checks, one ✓/✗ line each with what to fix: AWS credentials and network, the stack and its
outputs, the account's and the function's concurrency (enough for --ranks N), the rank function,
SQS and S3 access. Every check runs even when an earlier one fails, as far as it can (without the
stack's outputs there is no function to look at). Exit status 0 when all pass, 1 otherwise.

Options:
${optionLines('doctor')}`;

const TRACE = `tsmpi-cloud trace — look at what a job did

Usage:
  tsmpi-cloud trace view FILE [-o OUT]

Writes FILE.html (or OUT): one self-contained page (no network) with the timeline of a
\`run --trace FILE\` recording (a track per rank, a slice per MPI call, an arrow from each send to
its receive) and its mpiP-style profile. The trace file itself also opens in Perfetto UI
(https://ui.perfetto.dev) and chrome://tracing.

Options:
${optionLines('trace')}

Examples:
  tsmpi-cloud run pi --ranks 8 --trace pi.json
  tsmpi-cloud trace view pi.json -o pi.html`;

const GLOBAL = (
  version: string,
) => `tsmpi-cloud ${version} — run mpi4py-style TypeScript jobs on worker threads or AWS Lambda

Usage:
  tsmpi-cloud run <job> [--ranks N] [options] [-- job arguments]
  tsmpi-cloud list [--json]
  tsmpi-cloud doctor [--stack S] [--region R] [--aws-profile P] [--outputs-file F] [--ranks N]
                     [--ranks-per-node K] [--endpoint URL] [--json]
  tsmpi-cloud trace view FILE [-o OUT]
  tsmpi-cloud help <command> | <command> --help
  tsmpi-cloud --help | --version (-V, or -v alone)

Commands:
  run      run a job (built-in or a .ts/.js file) on N ranks: worker threads, threads over SQS, or Lambda
  list     the built-in jobs
  doctor   check that --backend aws can run here, and say what to fix
  trace    \`trace view FILE\`: a self-contained page (timeline and profile) of a --trace file

Examples:
  tsmpi-cloud run pi --ranks 64
  tsmpi-cloud run ./my-job.ts -n 8 -- --samples 1e6
  tsmpi-cloud run pi --ranks 8 --trace pi.json --profile
  tsmpi-cloud run --help

Exit status: 0 success, 1 the job failed, 2 bad usage.`;

/** The help text of one command, or the overview. */
export function helpText(version: string, command?: Command): string {
  switch (command) {
    case 'run':
      return RUN(version);
    case 'list':
      return LIST;
    case 'doctor':
      return DOCTOR;
    case 'trace':
      return TRACE;
    default:
      return GLOBAL(version);
  }
}
