import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import type { Job } from '../jobs/define-job.js';

const RUN_CALLED = Symbol.for('tsmpi-cloud.run-called');

/** Marks that this process launches jobs with `run()`: a job defined in it is then never run as a script. */
export function noteRunCalled(): void {
  (globalThis as Record<symbol, unknown>)[RUN_CALLED] = true;
}

function realFile(file: string): string | undefined {
  try {
    return realpathSync(file.startsWith('file:') ? fileURLToPath(file) : file);
  } catch {
    return undefined;
  }
}

/**
 * Whether `callerFile` (the module that called `defineJob`) is the script this process was started
 * with (`node job.mjs`, `tsx job.ts`), on the main thread. Ranks are worker threads or Lambda
 * invocations whose main script is the runtime's, and a job imported by another module is not the
 * main script: neither ever matches.
 */
export function isMainScript(callerFile: string | undefined): boolean {
  const main = process.argv[1];
  if (!isMainThread || callerFile === undefined || main === undefined) return false;
  const caller = realFile(callerFile);
  const script = realFile(main);
  if (caller === undefined) return false;
  if (script !== undefined) return caller === script;
  // `node job` resolves to job.js / job.mjs.
  return caller.slice(0, -path.extname(caller).length) === path.resolve(main);
}

/**
 * Runs `job` as rank 0 of a world of one in this process, as `python hello.py` runs an mpi4py
 * program on one process: job arguments come from the command line (`node job.mjs --samples 1e6`),
 * output goes straight to the terminal, a failure is thrown (Node prints it and exits 1), and
 * `abort(code)` exits with `code`. Nothing happens if this process called `run()` by the time the
 * main script finished loading: it is an app launching jobs, not a job.
 */
export async function runAsScript(job: Job): Promise<void> {
  if ((globalThis as Record<symbol, unknown>)[RUN_CALLED] === true) return;
  const [{ createLoopbackTransports }, { openRank, runRank }, { parseJobArgs }] = await Promise.all([
    import('../transport/loopback/loopback-transport.js'),
    import('./run-rank.js'),
    import('./parse-job-args.js'),
  ]);
  const [transport] = createLoopbackTransports(1);
  const handle = openRank(transport!, (code) => process.exit(code));
  await runRank(handle, job, parseJobArgs(process.argv.slice(2)));
}
