/**
 * Ranks that share this worker thread (the local backend runs several ranks per thread once they
 * outnumber cores): they take turns at their `await`s. A rank that polls in a loop without
 * awaiting (`while (!req.test()[0]) ...`, `while (!comm.iprobe())`) then never lets a thread-mate
 * send what it polls for, and spins forever. Polling without awaiting is also how compute
 * overlaps communication (test() now and then in a long loop, then await), so it cannot be an
 * error: `notePollWithoutAwait` warns once on the rank's stderr, after `POLL_WARN_MS` of polling
 * in one synchronous stretch, saying what may be wrong and the way out.
 */
let mates: { first: number; last: number } | undefined;
let stretchStart: number | undefined;
const warned = new Set<number>();

/** How long a rank polls without awaiting, while it shares its thread, before it is warned. */
export const POLL_WARN_MS = 5000;

/** Declares that ranks `first`..`last` share this thread (called once by the worker that runs them). */
export function shareThread(first: number, last: number): void {
  mates = { first, last };
}

/** The warning `notePollWithoutAwait` prints. */
export function pollWarning(rank: number, first: number, last: number): string {
  return `tsmpi-cloud: rank ${rank} has polled for ${POLL_WARN_MS / 1000} s without awaiting (test() or iprobe() in a loop) while it shares its worker thread with ranks ${first}..${last}: if it waits for a message from one of them, that message cannot come until it awaits. Await between polls (await req.wait(), or await new Promise((r) => setImmediate(r))), or give every rank a thread of its own with TSMPI_LOCAL_RANKS_PER_THREAD=1.\n`;
}

/**
 * Called on every synchronous poll (`test`, `iprobe`); free where the thread is a rank's own. Once
 * `rank` has polled for `POLL_WARN_MS` within one synchronous stretch (no await in between) while
 * it shares its thread, writes `pollWarning` to stderr, once per rank.
 */
export function notePollWithoutAwait(rank: number): void {
  if (mates === undefined) return;
  const now = performance.now();
  if (stretchStart === undefined) {
    stretchStart = now;
    // Runs as soon as the polling code yields: the stretch is over.
    queueMicrotask(() => {
      stretchStart = undefined;
    });
    return;
  }
  if (now - stretchStart < POLL_WARN_MS || warned.has(rank)) return;
  warned.add(rank);
  process.stderr.write(pollWarning(rank, mates.first, mates.last));
}
