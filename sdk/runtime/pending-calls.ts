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
  return pending.map((p) => `${describePendingCall(p)} for ${(p.forMs / 1000).toFixed(1)} s`).join(', ');
}

/** One call a rank waits in, without its time: `barrier() (collective #2 on COMM_WORLD)`. */
export function describePendingCall(p: PendingCallInfo): string {
  const c = p.collective;
  return c === undefined ? p.call : `${p.call} (collective #${c.seq} on ${c.comm})`;
}

/**
 * One collective call number on one communicator that ranks waiting in it made as different
 * collectives, or as one rooted collective with different roots.
 */
export interface CollectiveMismatch {
  comm: string;
  seq: number;
  /** `name`: the collective (`gather`); `call`: as the rank made it (`gather(root=1)`). */
  calls: { rank: number; name: string; call: string }[];
  /** Two of `calls` that differ: by name, else by root. */
  pair: [{ rank: number; name: string; call: string }, { rank: number; name: string; call: string }];
}

/** The root in a call's label (`gather(root=1)` → 1), if it names one. */
function rootOf(call: string): number | undefined {
  const m = /\broot=(\d+)/.exec(call);
  return m === null ? undefined : Number(m[1]);
}

/**
 * Every collective call number on a communicator that two ranks waiting in it made as different
 * collectives, or with different roots (a gather rooted at 0 on some ranks, at 1 on others, waits
 * for ever): a mismatch for sure, whenever each rank reported it (a rank's collective #n on a
 * communicator is one call, whatever it does later).
 */
function mismatchesAmong(
  pendingByRank: readonly (readonly PendingCallInfo[] | undefined)[],
): CollectiveMismatch[] {
  const byCall = new Map<string, Omit<CollectiveMismatch, 'pair'>>();
  pendingByRank.forEach((pending, rank) => {
    for (const p of pending ?? []) {
      const c = p.collective;
      if (c === undefined) continue;
      const key = `#${c.seq} on ${c.comm}`;
      let entry = byCall.get(key);
      if (entry === undefined) byCall.set(key, (entry = { comm: c.comm, seq: c.seq, calls: [] }));
      entry.calls.push({ rank, name: c.name, call: p.call });
    }
  });
  const out: CollectiveMismatch[] = [];
  for (const entry of byCall.values()) {
    const first = entry.calls[0]!;
    const byName = entry.calls.find((x) => x.name !== first.name);
    if (byName !== undefined) {
      out.push({ ...entry, pair: [first, byName] });
      continue;
    }
    // Among the calls that name a root (a label may not), two that name different ones.
    const rooted = entry.calls.filter((x) => rootOf(x.call) !== undefined);
    const byRoot = rooted.find((x) => rootOf(x.call) !== rootOf(rooted[0]!.call));
    if (byRoot !== undefined) out.push({ ...entry, pair: [rooted[0]!, byRoot] });
  }
  return out;
}

/** The first of `mismatchesAmong`, if any (the mismatch watch fails the job with it). */
export function firstCollectiveMismatch(
  pendingByRank: readonly (readonly PendingCallInfo[] | undefined)[],
): CollectiveMismatch | undefined {
  return mismatchesAmong(pendingByRank)[0];
}

/**
 * Collective calls of the same number on the same communicator that are not the same collective,
 * among what the ranks wait in: one line each, e.g.
 * `collective #1 on COMM_WORLD does not match: rank 0 called bcast, rank 1 called reduce`.
 */
export function collectiveMismatches(
  pendingByRank: readonly (readonly PendingCallInfo[] | undefined)[],
): string[] {
  return mismatchesAmong(pendingByRank).map((m) => {
    // Same collective, other roots: the calls as made say where they differ.
    const byName = m.pair[0].name !== m.pair[1].name;
    return `collective #${m.seq} on ${m.comm} does not match: ${m.calls.map((x) => `rank ${x.rank} called ${byName ? x.name : x.call}`).join(', ')}`;
  });
}

/**
 * A rank that waits in collective #k of COMM_WORLD which every other rank has completed: each
 * has returned, or waits only in later collectives of COMM_WORLD. Where a completed call's frames
 * are already at their destination (ranks sharing memory), nothing can ever complete it: the
 * ranks called it with different arguments (rank 4 bcast rooted at 1, the others at 0, then all
 * but rank 4 on to an allreduce). A rank that did not answer (`undefined`, not done) may be
 * anywhere: then nothing is concluded.
 */
export function strandedCollective(
  pendingByRank: readonly (readonly PendingCallInfo[] | undefined)[],
  done: readonly boolean[],
): { rank: number; call: string; seq: number } | undefined {
  // The earliest COMM_WORLD call each rank still waits in. The stranded rank's must be the only
  // earliest: every other rank that has not returned answered, and waits only in later ones.
  let lowest: { rank: number; call: string; seq: number } | undefined;
  let others = Number.POSITIVE_INFINITY;
  for (let r = 0; r < pendingByRank.length; r++) {
    if (done[r]) continue;
    let earliest: { rank: number; call: string; seq: number } | undefined;
    for (const p of pendingByRank[r] ?? []) {
      const c = p.collective;
      if (c?.comm === 'COMM_WORLD' && (earliest === undefined || c.seq < earliest.seq))
        earliest = { rank: r, call: p.call, seq: c.seq };
    }
    if (earliest === undefined) return undefined;
    const seq = earliest.seq;
    if (lowest === undefined || seq < lowest.seq) {
      if (lowest !== undefined) others = Math.min(others, lowest.seq);
      lowest = earliest;
    } else others = Math.min(others, seq);
  }
  return lowest !== undefined && lowest.seq < others ? lowest : undefined;
}
