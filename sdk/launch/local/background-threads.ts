import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { UsageError } from '../../base/errors.js';

/** Environment variable: the nice value `tsmpi-cloud run` gives V8's background threads (0: none). */
export const BACKGROUND_NICE_ENV = 'TSMPI_BACKGROUND_NICE';
/**
 * The default: measured on a 2-core VM, 2 ranks, first 1,000 short collectives: allreduce /
 * bcast / reduce / barrier 48-85 / 17-28 / 15-21 / 15-32 µs at nice 10 against 146-168 / 33-50
 * / 45-62 / 77-109 at 0; after 20,000 calls 15.5 against 13-14 µs allreduce (at nice 19: 19-22,
 * the compiles then wait too long; at nice 5 the first 1,000 gain half as much).
 */
export const DEFAULT_BACKGROUND_NICE = 10;

/** Threads noted by `noteBackgroundThreads`, by thread id. */
let noted: number[] = [];

/**
 * Notes the threads this process has now, but its main thread: called first thing by the CLI,
 * before it starts any thread of its own, these are Node's and V8's (the platform's workers,
 * which run optimizing compiles and concurrent GC, its delayed-task thread) and libuv's pool if
 * loading the CLI's modules started it. Linux only (`/proc/self/task`); elsewhere none.
 */
export function noteBackgroundThreads(): void {
  try {
    noted = readdirSync('/proc/self/task')
      .map(Number)
      .filter((tid) => Number.isInteger(tid) && tid !== process.pid);
  } catch {
    noted = [];
  }
}

/**
 * Gives the noted threads nice value `niceness` (on Linux a thread's own attribute): where every
 * rank has a core, V8's optimizing compiles otherwise take the cores the ranks answer on for
 * their first thousands of calls (each rank parks and wakes, 40-60 µs a time, while its peer
 * waits), and short jobs are all first calls. At a lower priority the compiles still run
 * whenever a core is free. Only lowers (an unprivileged process cannot raise it back), only
 * noted threads, never rank threads.
 */
export function lowerBackgroundThreads(niceness: number): void {
  for (const tid of noted) {
    try {
      setPriority(tid, niceness);
    } catch {
      // The thread is gone, or not ours to change: it keeps its priority.
    }
  }
}

/**
 * The nice value for background threads from `env` (TSMPI_BACKGROUND_NICE, an integer 0-19;
 * 0 leaves them be), or the default. Throws a UsageError naming the variable on a bad value.
 */
export function backgroundNiceness(env: NodeJS.ProcessEnv): number {
  const raw = env[BACKGROUND_NICE_ENV];
  if (raw === undefined || raw === '') return DEFAULT_BACKGROUND_NICE;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 19) {
    throw new UsageError(
      `Expected ${BACKGROUND_NICE_ENV} to be an integer in [0, 19], got \`${raw}\`: 0 leaves V8's background threads at the priority of the rest, unset it for the default (${DEFAULT_BACKGROUND_NICE})`,
    );
  }
  return n;
}
