import type { RankErrorInfo } from '../../base/rank-error-info.js';
import type { RecordRequest } from '../../base/rank-trace.js';
import type { Optimize } from '../../collectives/choose.js';
import type { JobArgs } from '../../jobs/define-job.js';
import type { PendingCallInfo } from '../../runtime/pending-calls.js';
import type { RankStats } from '../../runtime/run-rank.js';

/** What the launcher hands each rank's worker. */
export interface RankWorkerData {
  /** The worker's first rank. */
  rank: number;
  /** How many ranks the worker runs: `rank` .. `rank + count - 1` (absent: one). */
  count?: number;
  size: number;
  jobUrl: string;
  jobName: string;
  args: JobArgs;
  transport: TransportSpec;
  /** `--optimize`: how the rank's cost model picks collective algorithms. */
  optimize?: Optimize;
  /** `--trace` / `--profile`: record events and send them back in the `done` stats. */
  record?: RecordRequest;
}

/** How a rank's worker builds its transport. */
export type TransportSpec =
  | { kind: 'memory' /** The memory fabric (SharedArrayBuffers), shared by every worker. */; fabric: unknown }
  | {
      kind: 'sqs';
      queueUrls: string[];
      jobId: string;
      endpoint?: string;
      region?: string;
      bucket?: string;
      /** Latency injection for benchmarks: each SQS call delayed by a log-normal draw. */
      latency?: { p50Ms: number; p99Ms: number };
      /**
       * Several ranks per node: `queueUrls` are then the nodes' queues and `fabrics[n]` node n's
       * shared memory (see `createNodeFabrics`). Absent: one queue per rank.
       */
      nodes?: { ranksPerNode: number; fabrics: unknown[] };
    };

/** Rank → launcher. */
export type RankMessage =
  /** The rank loaded its job and waits for `go`. */
  | { type: 'started'; rank: number }
  | {
      type: 'done';
      rank: number;
      value: unknown;
      computeMs: number;
      stats: RankStats;
      /** Data messages sent to each rank, by world rank. */
      sentTo: number[];
    }
  | { type: 'failed'; rank: number; error: RankErrorInfo; stats?: RankStats }
  /** `stack`: where the job called abort (see `EndpointHooks.onLocalAbort`); `stats`: what it recorded. */
  | { type: 'abort'; rank: number; errorcode: number; stack?: string | undefined; stats?: RankStats }
  | { type: 'report'; rank: number; pending: PendingCallInfo[]; stats?: RankStats }
  /** What a rank printed, from a worker of several ranks (one rank's output is its thread's streams). */
  | { type: 'output'; rank: number; stream: 'stdout' | 'stderr'; text: string }
  /** A rank of a worker of several called `process.exit(code)`: the worker ends next. */
  | { type: 'exit'; rank: number; code: number }
  /** Answer to `flush`: everything this worker's ranks printed so far has reached the launcher. */
  | { type: 'flushed' };

/** Launcher → rank. */
export type LauncherMessage =
  /** Say what you are blocked in (timeout report, mismatch watch); `stats: false`: without what you recorded. */
  | { type: 'report'; stats?: false }
  /** Every rank is up: run the job. Ranks start together, so no rank's clock runs while others still boot. */
  | { type: 'go' }
  /**
   * These ranks returned from their jobs; `sent[k][j]` is how many data messages `ranks[k]` sent
   * the worker's j-th rank in all. Batched: one message per event-loop turn of the launcher, not
   * one per peer.
   */
  | { type: 'peers-done'; ranks: number[]; sent: number[][] }
  /**
   * The job is stopping (a rank failed, aborted or timed out): hand over what the ranks printed,
   * then answer `flushed`. The worker is terminated next, whatever it is doing.
   */
  | { type: 'flush' };
