import { ERR_TIMEOUT, MPIError } from '../../base/errors.js';
import { describeError, type RankErrorInfo } from '../../base/rank-error-info.js';
import { describePendingCalls, type PendingCallInfo, pendingCallsOf } from '../pending-calls.js';
import type { RankHandle } from '../run-rank.js';
import type { InvocationUsage } from './control-report.js';
import type { ControlReporter } from './control-reporter.js';
import type { StopReason } from './rank-stop.js';

/** Who reports, and how: one rank's control reporter and its invocation's usage so far. */
export interface StopReportContext {
  rank: number;
  /** The rank's reporter (on a node: its worker's channel to the node's reporter). */
  reporter: Pick<ControlReporter, 'report'>;
  usage: () => InvocationUsage;
  /** The margin before Lambda's deadline: the transport's close must not outlast it. */
  marginMs: number;
}

/** Reports the rank failed; best effort (a queue that is gone is the launcher's teardown). */
export async function reportFailure(
  c: StopReportContext,
  error: unknown,
  extra: { timeout?: 'lambda' | 'job'; pending?: PendingCallInfo[] } = {},
): Promise<void> {
  const info: RankErrorInfo = describeError(c.rank, error);
  await c.reporter
    .report({
      type: 'failed',
      error: info,
      usage: c.usage(),
      ...(extra.timeout === undefined ? {} : { timeout: extra.timeout }),
      ...(extra.pending === undefined ? {} : { pending: extra.pending }),
    })
    .catch(() => undefined);
}

/**
 * Reports why the rank stopped early (at a deadline: with what it was blocked in), then closes
 * its transport. Returns the invocation's status: `gone` when the job ended elsewhere.
 */
export async function reportStop(
  c: StopReportContext,
  why: StopReason | { kind: 'threw'; error: unknown },
  h: RankHandle | undefined,
): Promise<'gone' | 'failed'> {
  const { rank } = c;
  const pending = h === undefined ? [] : pendingCallsOf(h.endpoint);
  const blocked =
    pending.length === 0
      ? 'while computing (not in an MPI call)'
      : `while waiting in ${describePendingCalls(pending)}`;
  switch (why.kind) {
    case 'gone':
      break;
    case 'threw':
      await reportFailure(c, why.error);
      break;
    case 'error':
      await reportFailure(
        c,
        why.error instanceof Error ? why.error : new Error(`${why.what}: ${String(why.error)}`),
      );
      break;
    case 'lambda':
      await reportFailure(
        c,
        new MPIError(
          ERR_TIMEOUT,
          `rank ${rank} reached its Lambda deadline ${blocked}: the invocation had ${(why.remainingAtStartMs / 1000).toFixed(1)} s ` +
            `when it started and the rank stopped ${why.marginMs} ms before the end; raise the stack's \`timeout\` ` +
            '(at most 15 minutes) or give the job less work per rank',
        ),
        { timeout: 'lambda', pending },
      );
      break;
    case 'job':
      await reportFailure(
        c,
        new MPIError(
          ERR_TIMEOUT,
          `rank ${rank} stopped at the job's time limit (${(why.budgetMs / 1000).toFixed(1)} s) ${blocked}`,
        ),
        { timeout: 'job', pending },
      );
      break;
  }
  // The report is out; stop receiving. The transport's close grace must not outlast the margin.
  if (h !== undefined) await Promise.race([h.endpoint.close(), delay(Math.min(250, c.marginMs / 4))]);
  return why.kind === 'gone' ? 'gone' : 'failed';
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
