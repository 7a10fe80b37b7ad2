/** One blocking MPI call a rank is waiting in, for timeout reports: its name and how long so far. */
export interface PendingCallInfo {
  call: string;
  forMs: number;
}

/** The blocking calls `endpoint` is waiting in at `now`, with their ages. */
export function pendingCallsOf(
  endpoint: { readonly pending: Iterable<{ call: string; since: number }> },
  now: number = Date.now(),
): PendingCallInfo[] {
  return [...endpoint.pending].map((p) => ({ call: p.call, forMs: now - p.since }));
}

/**
 * The one wording of what a rank waits in, shared by the launchers' timeout summary and the
 * Lambda rank's own deadline report.
 *
 * @example
 * describePendingCalls([{ call: 'barrier', forMs: 1234 }]) // 'barrier for 1.2 s'
 */
export function describePendingCalls(pending: readonly PendingCallInfo[]): string {
  return pending.map((p) => `${p.call} for ${(p.forMs / 1000).toFixed(1)} s`).join(', ');
}
