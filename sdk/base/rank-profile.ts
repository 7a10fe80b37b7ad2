import type { RankTrace } from './rank-trace.js';

/** A place in the user's job, by total time of the calls made there. */
export interface CallSite {
  site: string;
  call: string;
  count: number;
  timeMs: number;
}

/**
 * One rank's share of a profile, made where the rank ran: with `--profile` alone a rank sends
 * this (a few rows) instead of its every call event, which with hundreds of thousands of calls
 * took seconds to send and gigabytes to hold. Structured-cloneable and JSON-safe.
 */
export interface RankProfilePart {
  rank: number;
  appMs: number;
  mpiMs: number;
  /** Per call kind on this rank (not rounded). */
  calls: { call: string; count: number; timeMs: number; bytes: number }[];
  /** Per call site and kind on this rank (not rounded). */
  sites: CallSite[];
}

/** A rank's call events summed per call kind and site (the launcher merges the ranks' parts). */
export function rankProfilePart(t: RankTrace): RankProfilePart {
  const byCall = new Map<string, RankProfilePart['calls'][number]>();
  const sites = new Map<string, CallSite>();
  const spans: [number, number][] = [];
  for (const c of t.calls) {
    const ms = c.t1 - c.t0;
    spans.push([c.t0, c.t1]);
    let p = byCall.get(c.n);
    if (p === undefined) byCall.set(c.n, (p = { call: c.n, count: 0, timeMs: 0, bytes: 0 }));
    p.count++;
    p.timeMs += ms;
    p.bytes += c.b ?? 0;
    if (c.s !== undefined) addSite(sites, c.s, c.n, 1, ms);
  }
  return {
    rank: t.rank,
    appMs: t.jobEndMs - t.jobStartMs,
    mpiMs: unionLength(spans),
    calls: [...byCall.values()],
    sites: [...sites.values()],
  };
}

/** Adds `count` calls of `call` made at `site`, taking `ms` in all. */
export function addSite(
  m: Map<string, CallSite>,
  site: string,
  call: string,
  count: number,
  ms: number,
): void {
  const key = `${site}|${call}`;
  let s = m.get(key);
  if (s === undefined) m.set(key, (s = { site, call, count: 0, timeMs: 0 }));
  s.count += count;
  s.timeMs += ms;
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
