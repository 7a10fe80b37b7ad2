import { type RankProfilePart, rankProfilePart } from '../base/rank-profile.js';
import type { RankTrace } from '../base/rank-trace.js';
import type { RankStats } from '../runtime/run-rank.js';
import type { Backend, JobStats } from './launcher.js';
import { type ClockAlignment, chromeTrace, writeChromeTrace } from './trace/chrome-trace.js';
import { mergeProfile } from './trace/mpi-profile.js';

/**
 * How each backend's rank clocks line up. Local and sqs ranks are worker threads of this process:
 * their `performance.timeOrigin` and `performance.now()` come from the one host clock, so epoch
 * time (origin + now) needs no correction; the bound is the resolution of a worker's origin.
 */
const CLOCKS: Record<Backend, ClockAlignment> = {
  local: {
    method: 'one host clock: worker threads of one process, epoch = performance.timeOrigin + now()',
    errorBoundUs: 1000,
  },
  sqs: {
    method: 'one host clock: worker threads of one process, epoch = performance.timeOrigin + now()',
    errorBoundUs: 1000,
  },
  aws: {
    method: 'each Lambda host clock as is (NTP-synchronized by AWS), not corrected',
    errorBoundUs: 100_000,
  },
};

/**
 * Takes the ranks' events out of the run's stats (they are large), writes the trace file and puts
 * the profile in `stats.profile`. Returns the ranks whose events it had (all of them, for a job
 * that finished; those that reported, for one that did not).
 */
export async function writeRecording(
  stats: { perRank: readonly (RankStats | undefined)[]; profile?: JobStats['profile'] },
  backend: Backend,
  want: { trace?: string; profile: boolean },
): Promise<number[]> {
  const traces: RankTrace[] = [];
  const parts: RankProfilePart[] = [];
  for (const s of stats.perRank) {
    if (s?.trace !== undefined) {
      traces.push(s.trace);
      parts.push(rankProfilePart(s.trace));
    } else if (s?.profile !== undefined) parts.push(s.profile);
    if (s !== undefined) {
      delete s.trace;
      delete s.profile;
    }
  }
  if (parts.length === 0) return [];
  const profile = mergeProfile(parts);
  if (want.profile) stats.profile = profile;
  if (want.trace !== undefined && traces.length > 0) {
    // A process per node: ranks that share memory (`--ranks-per-node`) group together.
    const nodeOf = (rank: number) => {
      const node = stats.perRank[rank]?.transport?.node;
      return typeof node === 'number' ? node : 0;
    };
    const t = chromeTrace(traces, CLOCKS[backend], { backend, profile }, nodeOf, stats.perRank.length);
    await writeChromeTrace(want.trace, t);
  }
  return parts.map((p) => p.rank);
}
