/** Wildcard source for receives and probes. */
export const ANY_SOURCE = -1;
/** Wildcard tag for receives and probes. */
export const ANY_TAG = -1;
/** The null process: sends to it are no-ops, receives from it complete at once with `null`. */
export const PROC_NULL = -2;
/** "No such value": the color of `split` that yields no communicator, and the index of an empty `waitany`. */
export const UNDEFINED = -32766;
/** The largest valid tag. */
export const TAG_UB = 2 ** 31 - 1;
/** Error class of success, the initial `Status.error`. */
export const SUCCESS = 0;

/** Wall-clock time in seconds, as a float with sub-microsecond resolution. */
export function Wtime(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}
