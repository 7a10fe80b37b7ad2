import { type RankProfilePart, rankProfilePart } from '../base/rank-profile.js';
import type { RankTrace, RecordRequest } from '../base/rank-trace.js';
import { attachRecorder, Recorder, recorderOf } from '../base/trace-recorder.js';
import { type CollectiveRecord, choiceLog } from '../collectives/choice-log.js';
import type { Optimize } from '../collectives/choose.js';
import type { CollectiveTuning } from '../collectives/collective-tuning.js';
import { MEMORY_PROFILE, SQS_PROFILE, withProfile } from '../collectives/transport-profile.js';
import { Comm } from '../comm/comm.js';
import { Endpoint } from '../comm/endpoint.js';
import type { Job, JobArgs } from '../jobs/define-job.js';
import type { Transport, TransportStats } from '../transport/transport.js';
import { traceComm } from './instrument-comm.js';

export interface RankStats {
  messagesSent: number;
  bytesSent: number;
  messagesDelivered: number;
  duplicatesDropped: number;
  transport?: TransportStats;
  /** Which algorithm each kind of collective call ran, with the cost model's prediction. */
  collectives?: CollectiveRecord[];
  /** The rank's events, with `--trace` (the launcher takes them out of the stats). */
  trace?: RankTrace;
  /** The rank's profile, with `--profile` alone (the launcher takes it out of the stats). */
  profile?: RankProfilePart;
}

/** How a rank's collectives are chosen, from the run's options. */
export interface RankOptions {
  /** `--optimize`: how the cost model picks algorithms (`balanced` when unset over SQS). */
  optimize?: Optimize;
  /** Latency injected into the transport's calls (benchmarks): the model then assumes it too. */
  latency?: { p50Ms: number; p99Ms: number };
  /** The ranks are threads of one process sharing this many CPUs (the sqs backend on one machine). */
  sharedCpus?: number;
  /** Record events: for the timeline (`trace`), with call sites (`profile`). Off: nothing is recorded. */
  record?: RecordRequest;
}

export interface RankOutcome {
  value: unknown;
  computeMs: number;
  stats: RankStats;
  /**
   * How many data messages this rank sent each rank (by world rank): a rank still waiting for
   * messages from this one can tell when all have arrived and nothing more can.
   */
  sentTo: number[];
}

/**
 * Collective defaults per transport. Where a hop costs tens of milliseconds and every request is
 * billed (SQS), the cost model picks each call's algorithm (`latency` unless told `cost`); where a
 * hop is cheap (memory), binomial trees and recursive doubling, unless `optimize` asks for the model.
 */
export function defaultTuning(
  kind: string,
  size: number,
  options: RankOptions = {},
): Partial<CollectiveTuning> {
  if (kind.includes('sqs')) {
    const profile =
      options.latency === undefined && options.sharedCpus === undefined
        ? SQS_PROFILE
        : withProfile(SQS_PROFILE, {
            ...(options.latency === undefined ? {} : { callLatency: options.latency }),
            ...(options.sharedCpus === undefined ? {} : { sharedCpus: options.sharedCpus }),
          });
    return {
      radix: Math.max(2, Math.min(size, 8)),
      allreduce: 'reduce-bcast',
      optimize: options.optimize ?? 'balanced',
      profile,
    };
  }
  return {
    radix: 2,
    allreduce: 'recursive-doubling',
    optimize: options.optimize ?? null,
    profile: MEMORY_PROFILE,
  };
}

/** A started rank: its world communicator and the endpoint under it. */
export interface RankHandle {
  comm: Comm;
  endpoint: Endpoint;
}

export function openRank(
  transport: Transport,
  onLocalAbort?: (code: number, stack: string | undefined) => void,
  options: RankOptions = {},
): RankHandle {
  const endpoint = new Endpoint(transport, onLocalAbort ? { onLocalAbort } : {});
  endpoint.start();
  const group = Array.from({ length: transport.size }, (_, i) => i);
  const comm = new Comm(endpoint, 'w', group, defaultTuning(transport.kind, transport.size, options));
  if (options.record !== undefined) {
    const rec = new Recorder(transport.rank, {
      profile: options.record.profile,
      frames: options.record.timeline !== false,
    });
    attachRecorder(endpoint, rec);
    endpoint.channel.record(rec);
    traceComm(comm, rec, choiceLog(endpoint));
  }
  return { comm, endpoint };
}

/**
 * Runs `job` as one rank over `transport`; closes the transport whatever happens. `onFailure`, if
 * given, hears of the job's error before the transport closes: peers see a closed rank as one that
 * returned, so a launcher told first can name this rank's error as the job's, not the error a
 * peer then meets sending to it.
 */
export async function runRank(
  handle: RankHandle,
  job: Job,
  args: JobArgs,
  onFailure?: (err: unknown) => void,
): Promise<RankOutcome> {
  const rec = recorderOf(handle.endpoint);
  const t0 = performance.now();
  rec?.jobStarted();
  try {
    const value = await job.fn(handle.comm, args);
    const computeMs = performance.now() - t0;
    // A collective of another rank's that did not match this rank's calls fails the job even
    // when this rank's side completed (a bcast root only sends).
    const mismatch = handle.endpoint.mismatchSoFar();
    if (mismatch !== undefined) throw mismatch;
    rec?.jobEnded();
    const stats = recordedSoFar(handle) ?? rankStats(handle.endpoint);
    return { value, computeMs, stats, sentTo: handle.endpoint.channel.sentCounts() };
  } catch (err) {
    onFailure?.(err);
    throw err;
  } finally {
    await handle.endpoint.close();
  }
}

/**
 * What a rank that records (`--trace`, `--profile`) has recorded so far, with its statistics:
 * at its end, or for a job that did not finish (a failed rank's, a blocked rank's at the job's
 * timeout). Undefined when the rank does not record.
 */
export function recordedSoFar(handle: RankHandle): RankStats | undefined {
  const rec = recorderOf(handle.endpoint);
  if (rec === undefined) return undefined;
  const stats = rankStats(handle.endpoint);
  if (rec.frames) stats.trace = rec.report();
  else stats.profile = rankProfilePart(rec.report());
  return stats;
}

export function rankStats(ep: Endpoint): RankStats {
  const c = ep.channel.stats();
  const t = ep.transport.stats?.();
  const s: RankStats = {
    messagesSent: c.messagesSent,
    bytesSent: c.bytesSent,
    messagesDelivered: c.messagesDelivered,
    duplicatesDropped: c.duplicatesDropped,
  };
  if (t) s.transport = t;
  const collectives = choiceLog(ep).list();
  if (collectives.length > 0) s.collectives = collectives;
  return s;
}
