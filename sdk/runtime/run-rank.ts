import { type CollectiveTuning, Comm } from '../comm/comm.js';
import { Endpoint } from '../comm/endpoint.js';
import type { Transport, TransportStats } from '../transport/transport.js';
import type { Job, JobArgs } from './define-job.js';

export interface RankStats {
  messagesSent: number;
  bytesSent: number;
  messagesDelivered: number;
  duplicatesDropped: number;
  transport?: TransportStats;
}

export interface RankOutcome {
  value: unknown;
  computeMs: number;
  stats: RankStats;
}

/** Collective defaults per transport: binomial + recursive doubling where a hop is cheap, wide trees where it is not. */
export function defaultTuning(kind: string, size: number): Partial<CollectiveTuning> {
  if (kind.includes('sqs')) return { radix: Math.max(2, Math.min(size, 8)), allreduce: 'reduce-bcast' };
  return { radix: 2, allreduce: 'recursive-doubling' };
}

/** A started rank: its world communicator and the endpoint under it. */
export interface RankHandle {
  comm: Comm;
  endpoint: Endpoint;
}

export function openRank(transport: Transport, onLocalAbort?: (code: number) => void): RankHandle {
  const endpoint = new Endpoint(transport, onLocalAbort ? { onLocalAbort } : {});
  endpoint.start();
  const group = Array.from({ length: transport.size }, (_, i) => i);
  const comm = new Comm(endpoint, 'w', group, defaultTuning(transport.kind, transport.size));
  return { comm, endpoint };
}

/** Runs `job` as one rank over `transport`; closes the transport whatever happens. */
export async function runRank(handle: RankHandle, job: Job, args: JobArgs): Promise<RankOutcome> {
  const t0 = performance.now();
  try {
    const value = await job.fn(handle.comm, args);
    const computeMs = performance.now() - t0;
    return { value, computeMs, stats: rankStats(handle.endpoint) };
  } finally {
    await handle.endpoint.close();
  }
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
  return s;
}
