import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TsmpiError } from '../../base/errors.js';
import type { OutputStream } from './control-report.js';
import { captureOutput } from './output-capture.js';

/** `process.exit()` called by a job: it would end the whole execution environment, unreported. */
export class RankExitError extends TsmpiError {
  constructor(rank: number, code: unknown) {
    super(
      'RANK_EXIT',
      `rank ${rank} called process.exit(${code === undefined ? '' : String(code)}): on Lambda that would end the rank unreported; ` +
        'return from the job function instead (or call comm.abort(code) to fail the job)',
    );
    this.name = 'RankExitError';
  }
}

/** What a job runs inside on Lambda, until `leave` and `clearLeftovers`. */
export interface JobSandbox {
  /** The job's own temp dir (`os.tmpdir()` while it runs). */
  readonly tmp: string;
  /** Stops capturing output (before the final report, so nothing printed after it is lost). */
  restoreOutput(): void;
  /** Restores the process as it was: output, `process.exit`, timers, `TMPDIR`, globals. */
  leave(): void;
  /**
   * Clears the timers the job left running and removes its temp dir. Last, once nothing of the
   * invocation needs a timer any more (the final reports were sent).
   */
  clearLeftovers(): void;
}

type TimerFn = (callback: (...args: unknown[]) => void, ...rest: unknown[]) => unknown;
const TIMERS = [
  ['setTimeout', 'clearTimeout', true],
  ['setInterval', 'clearInterval', false],
  ['setImmediate', 'clearImmediate', true],
] as const;

/**
 * Fences a job into its invocation, so that a warm environment carries nothing of it into the
 * next one (possibly another job's rank): its output lines go to `onLine` (and, with
 * `passThrough`, to the function's log), except lines printed by leftovers of an earlier
 * invocation (`foreign`); `process.exit()` throws a {@link RankExitError} instead of ending the
 * environment; `os.tmpdir()` is a fresh directory, removed afterwards; the timers it starts with
 * the global `setTimeout`/`setInterval`/`setImmediate` are cleared afterwards; the globals it
 * adds (string keys) are deleted afterwards; `env` (the job's `-x` variables) is set in
 * `process.env` and the environment variables as they were are restored afterwards.
 *
 * Not fenced (a job can still reach them): timers from `node:timers` / `node:timers/promises`
 * (their late rejections are contained by the `StrayErrorGuard`), files written by absolute path
 * outside `os.tmpdir()`, changes to pre-existing globals and to shared modules.
 */
export function enterJobSandbox(o: {
  rank: number;
  onLine: (stream: OutputStream, line: string) => void;
  passThrough: boolean;
  /** Whether the caller is leftover work of an earlier invocation. */
  foreign?: () => boolean;
  /** Variables set in `process.env` while the job runs (`-x` / `--env`). */
  env?: Readonly<Record<string, string>>;
}): JobSandbox {
  const capture = captureOutput(o.onLine, {
    passThrough: o.passThrough,
    ...(o.foreign === undefined ? {} : { accept: () => !o.foreign!() }),
  });
  const savedExit = process.exit;
  process.exit = ((code?: unknown) => {
    throw new RankExitError(o.rank, code);
  }) as typeof process.exit;

  // The environment as it was, restored on leave: the job's -x variables and whatever it set
  // itself (TMPDIR included) are gone for the next invocation.
  const savedEnv = { ...process.env };
  const tmp = mkdtempSync(join(tmpdir(), 'tsmpi-job-'));
  Object.assign(process.env, o.env);
  process.env.TMPDIR = tmp;

  const globalKeys = new Set(Object.getOwnPropertyNames(globalThis));

  // The job's live timers, each with the function that clears it.
  const g = globalThis as unknown as Record<string, TimerFn>;
  const saved = TIMERS.flatMap(([set, clear]) => [
    [set, g[set] as TimerFn] as const,
    [clear, g[clear] as TimerFn] as const,
  ]);
  const live = new Map<unknown, (handle: unknown) => void>();
  for (const [set, clear, once] of TIMERS) {
    const original = g[set] as TimerFn;
    const originalClear = g[clear] as unknown as (handle: unknown) => void;
    g[set] = Object.assign((callback: (...args: unknown[]) => void, ...rest: unknown[]) => {
      if (typeof callback !== 'function') return original(callback, ...rest);
      let handle: unknown;
      const run = once
        ? (...args: unknown[]) => {
            live.delete(handle);
            callback(...args);
          }
        : callback;
      handle = original(run, ...rest);
      live.set(handle, originalClear);
      return handle;
    }, original);
    g[clear] = Object.assign((handle: unknown) => {
      live.delete(handle);
      originalClear(handle);
    }, originalClear) as unknown as TimerFn;
  }
  let left = false;

  return {
    tmp,
    restoreOutput: () => capture.restore(),
    leave: () => {
      if (left) return;
      left = true;
      capture.restore();
      process.exit = savedExit;
      for (const [name, original] of saved) g[name] = original;
      for (const name of Object.keys(process.env))
        if (!Object.hasOwn(savedEnv, name)) delete process.env[name];
      Object.assign(process.env, savedEnv);
      for (const key of Object.getOwnPropertyNames(globalThis)) {
        if (globalKeys.has(key)) continue;
        const d = Object.getOwnPropertyDescriptor(globalThis, key);
        if (d?.configurable === true) delete (globalThis as Record<string, unknown>)[key];
      }
    },
    clearLeftovers: () => {
      for (const [handle, clear] of live) clear(handle);
      live.clear();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
