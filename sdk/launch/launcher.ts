import type { RecordRequest } from '../base/rank-trace.js';
import { summarizeCollectives } from '../collectives/choice-log.js';
import type { Optimize } from '../collectives/choose.js';
import type { JobArgs } from '../jobs/define-job.js';
import type { RankStats } from '../runtime/run-rank.js';
import type { ResolvedJob } from './job-source.js';

export type Backend = 'local' | 'sqs' | 'aws';

/** Where rank output goes: one call per line (without the newline). */
export type OutputSink = (rank: number, stream: 'stdout' | 'stderr', line: string) => void;

export interface LaunchRequest {
  job: ResolvedJob;
  ranks: number;
  args: JobArgs;
  timeoutMs: number | undefined;
  onOutput: OutputSink;
  onProgress?: (event: { phase: string; started: number; finished: number; ranks: number }) => void;
  signal?: AbortSignal;
  /** `--optimize`: how the ranks' cost model picks collective algorithms. */
  optimize?: Optimize;
  /** Variables set in every rank's `process.env` (`-x`/`--env`). */
  env?: Record<string, string>;
  /** `--trace` / `--profile`: ranks record events and return them in their stats (`trace`). */
  record?: RecordRequest;
  /**
   * Ranks per node (sqs, aws): a node's ranks share memory, nodes talk over one SQS queue each.
   * Default 1 on sqs; on aws one per vCPU of the rank function (see `defaultRanksPerNode`).
   */
  ranksPerNode?: number;
}

export interface Timings {
  /** From launch to every rank running its job. */
  startupMs: number;
  /** Longest time any rank spent in the job body. */
  computeMs: number;
  /** Stopping ranks and releasing resources. */
  teardownMs: number;
  totalMs: number;
  [phase: string]: number;
}

export interface JobStats {
  messages: number;
  bytes: number;
  duplicatesDropped: number;
  /** Transport API calls by action, summed over ranks. */
  calls: Record<string, number>;
  /** Estimated cost in USD, where the backend has prices. */
  costUsd?: number;
  perRank: RankStats[];
  [key: string]: unknown;
}

export interface LaunchResult {
  results: unknown[];
  timings: Timings;
  stats: JobStats;
}

/** Starts N ranks of a job, collects their reports, stops them all on the first failure. */
export interface Launcher {
  readonly backend: Backend;
  launch(req: LaunchRequest): Promise<LaunchResult>;
}

export function aggregateStats(perRank: RankStats[]): JobStats {
  const calls: Record<string, number> = {};
  let messages = 0;
  let bytes = 0;
  let duplicatesDropped = 0;
  let costUsd = 0;
  let hasCost = false;
  for (const s of perRank) {
    messages += s.messagesSent;
    bytes += s.bytesSent;
    duplicatesDropped += s.duplicatesDropped;
    for (const [k, v] of Object.entries(s.transport?.calls ?? {})) calls[k] = (calls[k] ?? 0) + v;
    const c = s.transport?.costUsd;
    if (typeof c === 'number') {
      costUsd += c;
      hasCost = true;
    }
  }
  const out: JobStats = { messages, bytes, duplicatesDropped, calls, perRank };
  if (hasCost) out.costUsd = costUsd;
  // The algorithm each kind of collective ran, with the model's prediction and the time measured.
  const { collectives, consistent } = summarizeCollectives(perRank.map((s) => s?.collectives));
  if (collectives.length > 0) {
    out.collectives = collectives;
    out.collectivesConsistent = consistent;
  }
  return out;
}
