import { addSite, type CallSite, type RankProfilePart, rankProfilePart } from '../../base/rank-profile.js';
import type { RankTrace } from '../../base/rank-trace.js';

export type { CallSite, RankProfilePart };

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

/** The ranks' parts as one profile: per rank, per call kind over ranks, and the top call sites. */
export function mergeProfile(parts: readonly RankProfilePart[]): MpiProfile {
  const ranks: RankProfile[] = [];
  const perRank: CallProfile[] = [];
  const total = new Map<string, CallProfile>();
  const sites = new Map<string, CallSite>();
  for (const part of parts) {
    ranks.push({
      rank: part.rank,
      appMs: r3(part.appMs),
      mpiMs: r3(part.mpiMs),
      mpiPercent: part.appMs > 0 ? r3((100 * part.mpiMs) / part.appMs) : 0,
    });
    for (const c of part.calls) {
      perRank.push({ rank: part.rank, call: c.call, count: c.count, timeMs: r3(c.timeMs), bytes: c.bytes });
      add(
        total,
        c.call,
        () => ({ rank: -1, call: c.call, count: 0, timeMs: 0, bytes: 0 }),
        c.timeMs,
        c.bytes,
        c.count,
      );
    }
    for (const st of part.sites) addSite(sites, st.site, st.call, st.count, st.timeMs);
  }
  const byTime = <T extends { timeMs: number }>(a: T, b: T) => b.timeMs - a.timeMs;
  return {
    ranks,
    calls: [...total.values()].map((p) => ({ ...p, timeMs: r3(p.timeMs) })).sort(byTime),
    perRank: perRank.sort((a, b) => a.rank - b.rank || b.timeMs - a.timeMs),
    sites: [...sites.values()]
      .map((st) => ({ ...st, timeMs: r3(st.timeMs) }))
      .sort(byTime)
      .slice(0, 10),
  };
}

/**
 * Sums the ranks' call events per rank and per call, mpiP style.
 *
 * @example
 * const p = mpiProfile(traces); console.log(formatProfile(p));
 */
export function mpiProfile(traces: readonly RankTrace[]): MpiProfile {
  return mergeProfile(traces.map(rankProfilePart));
}

function add(
  m: Map<string, CallProfile>,
  key: string,
  make: () => CallProfile,
  ms: number,
  bytes: number,
  count: number,
): void {
  let p = m.get(key);
  if (p === undefined) m.set(key, (p = make()));
  p.count += count;
  p.timeMs += ms;
  p.bytes += bytes;
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
