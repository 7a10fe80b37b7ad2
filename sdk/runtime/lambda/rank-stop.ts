import type { RankEvent } from './rank-event.js';

/** Why a rank stops before its job function returns. */
export type StopReason =
  /** A safety margin before Lambda's deadline. */
  | { kind: 'lambda'; remainingAtStartMs: number; marginMs: number }
  /** The job's --timeout. */
  | { kind: 'job'; budgetMs: number }
  /** The job ended elsewhere: its queues are gone. */
  | { kind: 'gone' }
  /** Something outside the job function failed (its subtree's fan-out, an unhandled rejection). */
  | { kind: 'error'; error: unknown; what: string };

/**
 * How long before Lambda's deadline a rank stops: 10% of the time it has, within [200 ms, 3 s].
 * Enough to send two control messages and close the transport; little of a long budget.
 */
export function safetyMarginMs(remainingMs: number): number {
  return Math.min(3_000, Math.max(200, Math.round(remainingMs * 0.1)));
}

/**
 * The one way a rank invocation is told to stop early: the first reason wins, and `stopped`
 * resolves with it. Its deadlines (Lambda's, the job's) are timers that `dispose` clears.
 */
export class RankStop {
  readonly stopped: Promise<StopReason>;
  #resolve: (reason: StopReason) => void = () => undefined;
  readonly #timers: ReturnType<typeof setTimeout>[] = [];

  constructor() {
    this.stopped = new Promise<StopReason>((resolve) => {
      this.#resolve = resolve;
    });
  }

  stop(reason: StopReason): void {
    this.#resolve(reason);
  }

  /**
   * Stops the rank `marginMs` before Lambda's deadline, and at the job's deadline when it has
   * one (its budget counted from `startedAt`, the invocation's start). Returns the margin.
   */
  armDeadlines(o: {
    remainingMs: number;
    marginOf: (remainingMs: number) => number;
    event: Pick<RankEvent, 'deadlineMs' | 'launchedAt'>;
    startedAt: number;
  }): number {
    const marginMs = o.marginOf(o.remainingMs);
    this.#after(Math.max(0, o.remainingMs - marginMs), {
      kind: 'lambda',
      remainingAtStartMs: o.remainingMs,
      marginMs,
    });
    if (o.event.deadlineMs !== undefined) {
      const budgetMs = o.event.deadlineMs - o.event.launchedAt;
      this.#after(Math.max(0, budgetMs - (performance.now() - o.startedAt)), { kind: 'job', budgetMs });
    }
    return marginMs;
  }

  /** Clears the deadlines. */
  dispose(): void {
    for (const t of this.#timers) clearTimeout(t);
  }

  #after(ms: number, reason: StopReason): void {
    this.#timers.push(setTimeout(() => this.stop(reason), ms));
  }
}
