/**
 * Microseconds on one clock for every thread of the process, as an int32 that wraps about every
 * 71 minutes: compare two readings as `(later - earlier) | 0`. `performance.now()` counts from
 * its own thread's `timeOrigin`; adding the origin back puts all threads on one timeline (both
 * are read from the same monotonic clock, so threads agree to within a microsecond or so).
 *
 * @example
 * const t = sharedMicros(); // in a producer thread, stored into shared memory
 * const afterUs = (t - sharedMicros(spinFrom)) | 0; // in the consumer, spinFrom from its own performance.now()
 */
export function sharedMicros(localMs: number = performance.now()): number {
  return Math.floor((performance.timeOrigin + localMs) * 1000) | 0;
}
