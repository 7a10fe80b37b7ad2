/** One blocking MPI call a rank is waiting in, for timeout reports: its name and how long so far. */
export interface PendingCallInfo {
  call: string;
  forMs: number;
  /** For a collective call: its communicator, its number there, and which collective it is. */
  collective?: { comm: string; seq: number; name: string };
}

/** The blocking calls `endpoint` is waiting in at `now`, with their ages. */
export function pendingCallsOf(
  endpoint: {
    readonly pending: Iterable<{ call: string; since: number; collective?: PendingCallInfo['collective'] }>;
  },
  now: number = Date.now(),
): PendingCallInfo[] {
  return [...endpoint.pending].map((p) =>
    p.collective === undefined
      ? { call: p.call, forMs: now - p.since }
      : { call: p.call, forMs: now - p.since, collective: p.collective },
  );
}

/**
 * The one wording of what a rank waits in, shared by the launchers' timeout summary and the
 * Lambda rank's own deadline report.
 *
 * @example
 * describePendingCalls([{ call: 'barrier', forMs: 1234 }]) // 'barrier for 1.2 s'
 */
export function describePendingCalls(pending: readonly PendingCallInfo[]): string {
  return pending
    .map((p) => {
      const c = p.collective;
      const where = c === undefined ? '' : ` (collective #${c.seq} on ${c.comm})`;
      return `${p.call}${where} for ${(p.forMs / 1000).toFixed(1)} s`;
    })
    .join(', ');
}

/**
 * Collective calls of the same number on the same communicator that are not the same collective,
 * among what the ranks wait in: one line each, e.g.
 * `collective #1 on COMM_WORLD does not match: rank 0 called bcast, rank 1 called reduce`.
 */
/**
 * The first collective call number on a communicator that two ranks waiting in it made as
 * different collectives, if any: a mismatch for sure, whenever each rank reported it (a rank's
 * collective #n on a communicator is one call, whatever it does later).
 */
export function firstCollectiveMismatch(
  pendingByRank: readonly (readonly PendingCallInfo[] | undefined)[],
): { comm: string; seq: number; calls: { rank: number; name: string }[] } | undefined {
  const calls = new Map<string, { comm: string; seq: number; calls: { rank: number; name: string }[] }>();
  pendingByRank.forEach((pending, rank) => {
    for (const p of pending ?? []) {
      const c = p.collective;
      if (c === undefined) continue;
      const key = `#${c.seq} on ${c.comm}`;
      let entry = calls.get(key);
      if (entry === undefined) calls.set(key, (entry = { comm: c.comm, seq: c.seq, calls: [] }));
      entry.calls.push({ rank, name: c.name });
    }
  });
  for (const entry of calls.values()) {
    if (new Set(entry.calls.map((x) => x.name)).size >= 2) return entry;
  }
  return undefined;
}

export function collectiveMismatches(
  pendingByRank: readonly (readonly PendingCallInfo[] | undefined)[],
): string[] {
  const calls = new Map<string, { rank: number; name: string }[]>();
  pendingByRank.forEach((pending, rank) => {
    for (const p of pending ?? []) {
      const c = p.collective;
      if (c === undefined) continue;
      const key = `#${c.seq} on ${c.comm}`;
      let list = calls.get(key);
      if (list === undefined) calls.set(key, (list = []));
      list.push({ rank, name: c.name });
    }
  });
  const lines: string[] = [];
  for (const [key, list] of calls) {
    if (new Set(list.map((x) => x.name)).size < 2) continue;
    const who = list.map((x) => `rank ${x.rank} called ${x.name}`).join(', ');
    lines.push(`collective ${key} does not match: ${who}`);
  }
  return lines;
}
