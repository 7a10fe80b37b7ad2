import { accessSync, closeSync, constants, existsSync, openSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../base/errors.js';

/**
 * A trace path, checked before the run: a trace that cannot be written would be found only after
 * the job, with the finished job's result lost. It must be a file in an existing folder that this
 * user may write, not a folder, and not the job's own file. `option` is how the caller spells the
 * option in messages: `--trace` (the CLI) or `` `trace` `` (`run()`).
 *
 * @example
 * checkTracePath('out/t.json', 'job.ts', '--trace'); // throws UsageError if out/ does not exist
 */
export function checkTracePath(file: string, job: string | URL, option: '--trace' | '`trace`'): void {
  const example = (path: string) => (option === '--trace' ? `--trace ${path}` : `trace: '${path}'`);
  if (file.trim() === '')
    throw new UsageError(`Expected ${option} to be a file path, e.g. ${example('trace.json')}, got \`\``);
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new UsageError(
      `Expected ${option} to be a file path, got \`${file}\`, a folder: e.g. ${example(join(file, 'trace.json'))}`,
    );
  }
  const dir = dirname(resolve(file));
  if (!existsSync(dir)) {
    throw new UsageError(
      `Cannot write the trace to \`${file}\`: folder \`${dir}\` does not exist; make it first, or choose another path`,
    );
  }
  if (!statSync(dir).isDirectory()) {
    throw new UsageError(
      `Cannot write the trace to \`${file}\`: \`${dir}\` is a file, not a folder; choose another path`,
    );
  }
  // The job's own file would be overwritten by the trace after the run.
  const jobPath = jobFile(job);
  if (jobPath !== undefined && existsSync(jobPath) && sameFile(jobPath, file)) {
    throw new UsageError(
      `Cannot write the trace to \`${file}\`: it is the job file itself; choose another path, e.g. ${example('trace.json')}`,
    );
  }
  // A folder or file this user may not write (a read-only folder, /proc).
  const exists = existsSync(file);
  try {
    if (exists) accessSync(file, constants.W_OK);
    else closeSync(openSync(file, 'wx'));
  } catch (err) {
    throw new UsageError(
      `Cannot write the trace to \`${file}\` (${(err as Error).message}): choose another path`,
    );
  }
  if (!exists) rmSync(file, { force: true });
}

/** The job's file, for a job given as a path or a file: URL (a built-in's name is no file here). */
function jobFile(job: string | URL): string | undefined {
  try {
    if (job instanceof URL) return job.protocol === 'file:' ? fileURLToPath(job) : undefined;
    return job.startsWith('file:') ? fileURLToPath(job) : job;
  } catch {
    return undefined;
  }
}

/** Whether two paths name one file (one inode), whatever their spelling. */
function sameFile(a: string, b: string): boolean {
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.ino === sb.ino && sa.dev === sb.dev;
  } catch {
    return false;
  }
}
