import type { RankErrorInfo } from '../../comm/errors.js';
import type { JobArgs } from '../../runtime/define-job.js';
import type { RankStats } from '../../runtime/run-rank.js';

/** What the launcher hands each rank's worker. */
export interface RankWorkerData {
  rank: number;
  size: number;
  jobUrl: string;
  jobName: string;
  args: JobArgs;
  /** The memory fabric (SharedArrayBuffers), structured-cloned into every worker. */
  fabric: unknown;
}

/** Rank → launcher. */
export type RankMessage =
  | { type: 'started'; rank: number }
  | { type: 'done'; rank: number; value: unknown; computeMs: number; stats: RankStats }
  | { type: 'failed'; rank: number; error: RankErrorInfo }
  | { type: 'abort'; rank: number; errorcode: number }
  | { type: 'report'; rank: number; pending: { call: string; forMs: number }[] };

/** Launcher → rank. */
export type LauncherMessage = { type: 'report' };
