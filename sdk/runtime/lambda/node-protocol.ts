import type { OutputStream, RankReport } from './control-report.js';
import type { RankEvent } from './rank-event.js';

/**
 * What a Lambda node's invocation hands each of its rank workers (`workerData`). Everything is
 * structured-cloneable; the fabric's SharedArrayBuffers are shared, not copied.
 */
export interface NodeRankData {
  /** The node's event (its `rank` is the node's first rank). */
  event: RankEvent;
  /** This worker's world rank. */
  rank: number;
  /** The node's shared memory (a `MemoryFabric`): one ring per rank, then one for the router. */
  fabric: unknown;
  /** Lambda's deadline as an epoch-ms instant on this machine's clock. */
  deadlineAt: number;
  /** How long the invocation had run when the worker was spawned, ms (the job budget counts from its start). */
  elapsedMs: number;
  bucket: string;
  queuePrefix: string;
  memoryMb: number;
  /** SQS/S3 emulator endpoint (tests), else AWS. */
  endpoint?: string;
  region?: string;
  /** Where shipped jobs and the runtime shim go. */
  workDir: string;
  /** Also write job output to the function's own log. */
  passThroughOutput: boolean;
}

/** Rank worker → the node's invocation, which owns the control reporters. */
export type NodeRankMessage =
  /** One line the job printed. */
  | { type: 'output'; stream: OutputStream; line: string }
  /**
   * A report of this rank (`started`, `abort`, `done`, `failed`). `done`/`failed` are the rank's
   * last; their `usage` is replaced by the node's (see `node-invocation.ts`), `calls` are the
   * worker's own calls outside the data path (job download).
   */
  | { type: 'report'; report: RankReport; calls: Record<string, number> };
