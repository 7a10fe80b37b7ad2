import type { RankTrace } from '../../base/rank-trace.js';

/** One MPI call kind on one rank (or summed over ranks: `rank` -1). */
export interface CallProfile {
  rank: number;
  call: string;
  count: number;
  /** Time in these calls, ms (from the call to its completion). */
  timeMs: number;
  bytes: number;
}

/** One rank's share of time in MPI. */
export interface RankProfile {
  rank: number;
  /** The job body's time on this rank, ms. */
  appMs: number;
  /** Time inside at least one MPI call, ms (overlapping calls counted once). */
  mpiMs: number;
  /** `mpiMs / appMs`, in percent. */
  mpiPercent: number;
}

/** A place in the user's job, by total time of the calls made there. */
export interface CallSite {
  site: string;
  call: string;
  count: number;
  timeMs: number;
}

/** The mpiP-style profile of a run (`--profile`, `stats.profile`). */
export interface MpiProfile {
  ranks: RankProfile[];
  /** Per call kind, summed over ranks, by time (largest first). */
  calls: CallProfile[];
  /** Per rank and call kind. */
  perRank: CallProfile[];
  /** The call sites that took most time (up to 10). */
  sites: CallSite[];
}

/**
 * Sums the ranks' call events per rank and per call, mpiP style.
 *
 * @example
 * const p = mpiProfile(traces); console.log(formatProfile(p));
 */
export function mpiProfile(traces: readonly RankTrace[]): MpiProfile {
  const ranks: RankProfile[] = [];
  const perRank: CallProfile[] = [];
  const total = new Map<string, CallProfile>();
  const sites = new Map<string, CallSite>();
  for (const t of traces) {
    const byCall = new Map<string, CallProfile>();
    const spans: [number, number][] = [];
    for (const c of t.calls) {
      const ms = c.t1 - c.t0;
      spans.push([c.t0, c.t1]);
      add(byCall, c.n, () => ({ rank: t.rank, call: c.n, count: 0, timeMs: 0, bytes: 0 }), ms, c.b ?? 0);
      add(total, c.n, () => ({ rank: -1, call: c.n, count: 0, timeMs: 0, bytes: 0 }), ms, c.b ?? 0);
      if (c.s !== undefined) {
        const key = `${c.s}|${c.n}`;
        let s = sites.get(key);
        if (s === undefined) sites.set(key, (s = { site: c.s, call: c.n, count: 0, timeMs: 0 }));
        s.count++;
        s.timeMs += ms;
      }
    }
    const appMs = t.jobEndMs - t.jobStartMs;
    const mpiMs = unionLength(spans);
    ranks.push({
      rank: t.rank,
      appMs: r3(appMs),
      mpiMs: r3(mpiMs),
      mpiPercent: appMs > 0 ? r3((100 * mpiMs) / appMs) : 0,
    });
    for (const p of byCall.values()) perRank.push({ ...p, timeMs: r3(p.timeMs) });
  }
  const byTime = <T extends { timeMs: number }>(a: T, b: T) => b.timeMs - a.timeMs;
  return {
    ranks,
    calls: [...total.values()].map((p) => ({ ...p, timeMs: r3(p.timeMs) })).sort(byTime),
    perRank: perRank.sort((a, b) => a.rank - b.rank || b.timeMs - a.timeMs),
    sites: [...sites.values()]
      .map((s) => ({ ...s, timeMs: r3(s.timeMs) }))
      .sort(byTime)
      .slice(0, 10),
  };
}

function add(
  m: Map<string, CallProfile>,
  key: string,
  make: () => CallProfile,
  ms: number,
  bytes: number,
): void {
  let p = m.get(key);
  if (p === undefined) m.set(key, (p = make()));
  p.count++;
  p.timeMs += ms;
  p.bytes += bytes;
}

/** Total length of a set of intervals, overlaps counted once. */
function unionLength(spans: [number, number][]): number {
  spans.sort((a, b) => a[0] - b[0]);
  let sum = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const [s, e] of spans) {
    if (e <= end) continue;
    sum += e - Math.max(s, end);
    end = e;
  }
  return sum;
}

function r3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The profile as text tables (mpiP's sections: time per rank, per call, per rank and call, sites). */
export function formatProfile(p: MpiProfile): string {
  const out: string[] = [];
  out.push('@--- MPI time per rank (ms) ---');
  out.push(
    table(
      ['Rank', 'App', 'MPI', 'MPI%'],
      p.ranks.map((r) => [r.rank, r.appMs.toFixed(3), r.mpiMs.toFixed(3), r.mpiPercent.toFixed(2)]),
    ),
  );
  out.push('@--- Calls, all ranks, by time ---');
  out.push(
    table(
      ['Call', 'Count', 'Time (ms)', 'Bytes'],
      p.calls.map((c) => [c.call, c.count, c.timeMs.toFixed(3), c.bytes]),
    ),
  );
  out.push('@--- Calls per rank ---');
  out.push(
    table(
      ['Rank', 'Call', 'Count', 'Time (ms)', 'Bytes'],
      p.perRank.map((c) => [c.rank, c.call, c.count, c.timeMs.toFixed(3), c.bytes]),
    ),
  );
  if (p.sites.length > 0) {
    out.push('@--- Top call sites by time ---');
    out.push(
      table(
        ['Site', 'Call', 'Count', 'Time (ms)'],
        p.sites.map((s) => [s.site, s.call, s.count, s.timeMs.toFixed(3)]),
      ),
    );
  }
  return out.join('\n');
}

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '))
    .join('\n');
}
