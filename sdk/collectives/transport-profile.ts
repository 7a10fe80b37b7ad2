/**
 * What the collective cost model knows about a transport: how long one API call takes, what it
 * costs, how many messages one call moves. One profile per transport; the SQS numbers are AWS's
 * published ones (`base/prices.ts`) and the latency default the benchmarks inject.
 */
import {
  S3_USD_PER_GET,
  S3_USD_PER_PUT,
  SQS_BILLING_CHUNK_BYTES,
  SQS_STANDARD_USD_PER_REQUEST,
} from '../base/prices.js';

export interface TransportProfile {
  /** A short name for stats: `sqs`, `memory`. */
  readonly name: string;
  /**
   * Latency of one API call (send, receive, delete), log-normal with these quantiles. A message
   * hop is a send call then a receive call, so about twice this.
   */
  readonly callLatency: { readonly p50Ms: number; readonly p99Ms: number };
  /** Server time per call on top of `callLatency` (an emulator's own work; 0 for AWS). */
  readonly serviceMs: number;
  /** Client CPU per API call (signing, HTTP, parsing): serializes a rank's many sends. */
  readonly cpuMsPerCall: number;
  /** Client CPU per MiB of payload (encoding, copying). */
  readonly cpuMsPerMiB: number;
  /**
   * CPUs all the ranks share: 0 when each rank has its own (Lambda); 1 when all run on one thread
   * (the benchmarks); the machine's cores when they are threads of one process (the sqs backend).
   */
  readonly sharedCpus: number;
  /** Most messages one receive call returns (SQS: 10). */
  readonly messagesPerReceive: number;
  /** Most messages one send call carries to one destination (SQS: 10). */
  readonly messagesPerSend: number;
  /** Largest payload one message carries inline (SQS: 1 MiB less headroom); larger ones are offloaded. */
  readonly maxMessageBytes: number;
  /** Most receive calls a rank keeps open at once when its queue has a backlog. */
  readonly maxPollers: number;
  /** USD per API request, per `billingChunkBytes` of payload (SQS bills each 64 KiB as a request). */
  readonly usdPerRequest: number;
  readonly billingChunkBytes: number;
  /** Payloads over `maxMessageBytes`: an object store put + get per message (S3). */
  readonly offload: {
    readonly usdPerPut: number;
    readonly usdPerGet: number;
    readonly latency: { readonly p50Ms: number; readonly p99Ms: number };
  };
  /** Payload throughput of one rank's network, MiB/s. */
  readonly mibPerSecond: number;
  /** Compute price of one rank per second while it waits (Lambda GB-s); 0 where ranks are free. */
  readonly usdPerRankSecond: number;
}

/** SQS standard queues from AWS (per-call latency p50 16 ms, p99 105 ms; $0.40 per million requests). */
export const SQS_PROFILE: TransportProfile = Object.freeze({
  name: 'sqs',
  callLatency: Object.freeze({ p50Ms: 16, p99Ms: 105 }),
  serviceMs: 0,
  cpuMsPerCall: 0.5,
  cpuMsPerMiB: 10,
  sharedCpus: 0,
  messagesPerReceive: 10,
  messagesPerSend: 10,
  maxMessageBytes: 1_048_576 - 8 * 1024,
  maxPollers: 8,
  usdPerRequest: SQS_STANDARD_USD_PER_REQUEST,
  billingChunkBytes: SQS_BILLING_CHUNK_BYTES,
  offload: Object.freeze({
    usdPerPut: S3_USD_PER_PUT,
    usdPerGet: S3_USD_PER_GET,
    latency: Object.freeze({ p50Ms: 20, p99Ms: 120 }),
  }),
  mibPerSecond: 80,
  usdPerRankSecond: 0,
});

/** Shared memory / loopback between threads: microseconds per message, nothing billed. */
export const MEMORY_PROFILE: TransportProfile = Object.freeze({
  name: 'memory',
  callLatency: Object.freeze({ p50Ms: 0.01, p99Ms: 0.05 }),
  serviceMs: 0,
  cpuMsPerCall: 0.004,
  cpuMsPerMiB: 0.5,
  sharedCpus: 0,
  messagesPerReceive: 1_000_000,
  messagesPerSend: 1,
  maxMessageBytes: Number.MAX_SAFE_INTEGER,
  maxPollers: 1,
  usdPerRequest: 0,
  billingChunkBytes: Number.MAX_SAFE_INTEGER,
  offload: Object.freeze({
    usdPerPut: 0,
    usdPerGet: 0,
    latency: Object.freeze({ p50Ms: 0.01, p99Ms: 0.05 }),
  }),
  mibPerSecond: 2000,
  usdPerRankSecond: 0,
});

/** The profile of a transport kind (`sqs`, `memory`, `loopback`, ...). */
export function profileFor(kind: string): TransportProfile {
  return kind.includes('sqs') ? SQS_PROFILE : MEMORY_PROFILE;
}

/** A copy of `base` with some parameters changed (e.g. the injected latency of a benchmark). */
export function withProfile(base: TransportProfile, changes: Partial<TransportProfile>): TransportProfile {
  return Object.freeze({ ...base, ...changes });
}

/** z such that P(Z <= z) = 0.99 for a standard normal Z. */
const Z99 = 2.3263478740408408;

/** ln-space parameters of a log-normal given by its median and 99th percentile. */
export function logNormalParams(q: { p50Ms: number; p99Ms: number }): { mu: number; sigma: number } {
  return { mu: Math.log(q.p50Ms), sigma: Math.log(Math.max(q.p99Ms, q.p50Ms) / q.p50Ms) / Z99 };
}
