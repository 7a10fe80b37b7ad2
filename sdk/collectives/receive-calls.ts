import type { TransportProfile } from './transport-profile.js';

/**
 * Receive batching, calibrated on the simulated SQS transport (10 messages per receive): for a
 * burst of m messages arriving together, the receive and delete calls a rank spends on it. Long
 * polls return at the first message, take up to 10, and multiply under a backlog.
 */
const BURSTS: readonly [m: number, receives: number, deletes: number][] = [
  [1, 1, 1],
  [2, 2, 2],
  [3, 2.5, 2.45],
  [5, 3.2, 3.05],
  [7, 3.35, 3],
  [10, 3.6, 3.45],
  [14, 4.3, 3.9],
  [20, 4.8, 4.5],
  [30, 5.9, 5.1],
  [63, 13, 8.5],
  [127, 22.5, 15],
  [255, 35, 27.4],
];

function burstCalls(m: number, column: 1 | 2, perReceive: number): number {
  if (m <= 0) return 0;
  if (perReceive <= 1) return m;
  // Scaled for another batch size: m messages behave like m·10/perReceive at 10 per call.
  const x = (m * 10) / perReceive;
  if (x <= 1) return 1;
  const last = BURSTS[BURSTS.length - 1]!;
  if (x >= last[0]) return last[column] + (x - last[0]) * 0.098;
  for (let i = 1; i < BURSTS.length; i++) {
    const hi = BURSTS[i]!;
    if (x <= hi[0]) {
      const lo = BURSTS[i - 1]!;
      const f = (Math.log(x) - Math.log(lo[0])) / (Math.log(hi[0]) - Math.log(lo[0]));
      return Math.min(m, lo[column] + f * (hi[column] - lo[column]));
    }
  }
  return m;
}

/** Receive calls a rank spends on a burst of `m` messages arriving together. */
export function receiveCalls(m: number, profile: TransportProfile): number {
  return burstCalls(m, 1, profile.messagesPerReceive);
}

/** Delete calls a rank spends on a burst of `m` messages (deletes are batched too). */
export function deleteCalls(m: number, profile: TransportProfile): number {
  return burstCalls(m, 2, profile.messagesPerReceive);
}
