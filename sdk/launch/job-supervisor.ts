import { ERR_ABORTED, ERR_OTHER, ERR_TIMEOUT, JobFailedError, MPIError } from '../base/errors.js';
import { type RankErrorInfo, reviveError } from '../base/rank-error-info.js';
import { ARGUMENTS_DIFFER } from '../comm/collective-tag.js';
import {
  collectiveMismatches,
  describePendingCall,
  firstCollectiveMismatch,
  type PendingCallInfo,
  strandedCollective,
} from '../runtime/pending-calls.js';
import type { RankStats } from '../runtime/run-rank.js';
import { aggregateStats, type JobStats, type LaunchRequest } from './launcher.js';

/**
 * What a backend tells the supervisor about one of its ranks, whatever runs it (a worker thread,
 * a Lambda invocation). A rank's updates arrive in the order it sent them.
 */
export type RankUpdate =
  /** The rank loaded its job and is ready to run it. */
  | { type: 'started' }
  /** One line the rank printed (without the newline). */
  | { type: 'output'; stream: 'stdout' | 'stderr'; line: string }
  | { type: 'done'; value: unknown; computeMs: number; stats: RankStats }
  /**
   * The rank failed. With `timeout: 'job'` it stopped itself at the job's --timeout and `pending`
   * is what it was waiting in: the job then times out (with the summary) instead of failing on it.
   */
  | {
      type: 'failed';
      error: RankErrorInfo;
      stats?: RankStats;
      timeout?: 'job';
      pending?: PendingCallInfo[];
    }
  /**
   * The rank called `abort(errorcode)`; `stack`: where, when the rank said; `stats`: what it
   * recorded up to then (--trace, --profile), when it records.
   */
  | { type: 'abort'; errorcode: number; stack?: string | undefined; stats?: RankStats }
  /** The rank's answer to "what are you blocked in" (see {@link SupervisorHooks.askPending}). */
  | { type: 'pending'; pending: PendingCallInfo[]; stats?: RankStats }
  /**
   * Whatever ran the rank is gone: nothing more will come from it. `error`, when given, is why,
   * and fails the job if the rank had not finished.
   */
  | { type: 'exited'; error?: Omit<RankErrorInfo, 'rank'> };

/** The failure a job ends with: the first one wins. */
export interface JobFailure {
  info: RankErrorInfo;
  /** The `abort(code)` code, when the job was aborted. */
  errorcode?: number;
  /** The error to report; default: revived from `info`. */
  cause?: Error;
}

/** What the supervisor knows of one rank. */
export interface SupervisedRank {
  started: boolean;
  done: boolean;
  /** Nothing more will come from this rank. */
  ended: boolean;
  value?: unknown;
  computeMs: number;
  stats?: RankStats;
  /** Its answer to the timeout report; undefined while it has not answered. */
  pending?: PendingCallInfo[];
}

/** What the backend does when the supervisor decides. */
export interface SupervisorHooks {
  /** Every rank reported `started`. */
  allStarted?(): void;
  /**
   * Ask every rank what it is blocked in (answers come as `pending` updates): the job timed out,
   * or (`withStats` false: the answers need not carry what the ranks recorded) the mismatch watch
   * looks (see `SupervisorOptions.mismatchWatchMs`).
   */
  askPending?(withStats?: boolean): void;
  /**
   * The job failed (called once): stop every rank. The job settles once each rank that must be
   * waited for has `exited`, or when the backend calls {@link JobSupervisor.settleNow}.
   */
  stop(failure: JobFailure): void;
  /** Runs once the job is decided, before its outcome is delivered (release, flush, await). */
  teardown?(): Promise<void> | void;
}

export interface SupervisorOptions {
  request: Pick<LaunchRequest, 'ranks' | 'onOutput' | 'onProgress' | 'timeoutMs' | 'signal'>;
  /** After the job's --timeout, how long the ranks get to say what they are blocked in. */
  timeoutGraceMs: number;
  /**
   * Whether a failed job waits for ranks that never reported `started` to exit: yes where every
   * rank runs from the start (threads), no where a rank may never have been run (Lambda).
   * The timeout summary then also names such ranks as not started.
   */
  ranksRunBeforeStarted: boolean;
  /**
   * Ranks per worker thread, in rank order (thread w runs ranks w*k .. w*k+k-1), where ranks share
   * threads (local backend, more ranks than cores): a rank that computes without awaiting then
   * keeps every rank of its thread from answering the timeout report, and the report says so.
   */
  ranksPerThread?: number;
  /**
   * Every this many ms, ask the ranks what they wait in (`askPending`), and fail the job at once if
   * two of them wait in different collectives under one call number on one communicator (rank 0
   * the root of a reduce, the others in a bcast: nobody sends, so no message reveals it, and the
   * job would wait for ever or until its --timeout). Off when undefined.
   */
  mismatchWatchMs?: number;
  /**
   * A completed call's messages are at their destination when it completes (ranks share memory):
   * the watch then also fails a rank left waiting in a COMM_WORLD collective that every other
   * rank has completed, once two looks in a row see it (see `strandedCollective`). Not over SQS,
   * where a message may still be on its way.
   */
  deliveredOnSend?: boolean;
  hooks: SupervisorHooks;
}

/** How long the mismatch watch waits for the ranks' answers before it looks at them. */
const WATCH_ANSWER_MS = 250;

/** A job every rank finished. Times are `performance.now()` readings. */
export interface SupervisedRun {
  results: unknown[];
  /** Longest time any rank spent in the job body. */
  computeMs: number;
  stats: JobStats;
  firstStartedAt: number | undefined;
  allStartedAt: number | undefined;
}

/**
 * Watches the ranks of one job, for any backend: counts them in and out, fails the job on the
 * first failure (a throw, an abort, an early exit, a timeout, an interrupt) and tells the backend
 * to stop the rest, writes the timeout report, and assembles the result or the `JobFailedError`.
 *
 * Invariants: the first failure is the job's failure, later ones are ignored; `outcome` settles
 * once, after the backend's teardown; every timer of the job dies when it settles.
 *
 * @example
 * const sup = new JobSupervisor({ request: req, timeoutGraceMs: 1000, ranksRunBeforeStarted: true,
 *   hooks: { stop: () => workers.forEach((w) => w.terminate()) } });
 * sup.start();
 * worker.on('message', (m) => sup.update(m.rank, m));
 * const run = await sup.outcome;
 */
export class JobSupervisor {
  readonly ranks: readonly SupervisedRank[];
  /** The finished job, or its `JobFailedError`. */
  readonly outcome: Promise<SupervisedRun>;
  readonly #o: SupervisorOptions;
  readonly #n: number;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #resolve: (run: SupervisedRun) => void = () => undefined;
  #reject: (err: Error) => void = () => undefined;
  #startedCount = 0;
  #doneCount = 0;
  #firstStartedAt: number | undefined;
  #allStartedAt: number | undefined;
  #failure: JobFailure | undefined;
  #timingOut = false;
  /** What the last look of the mismatch watch found stranded (see `SupervisorOptions.deliveredOnSend`). */
  #stranded: { rank: number; seq: number } | undefined;
  #settled = false;
  readonly #onSignal = () =>
    this.fail({
      info: { rank: 0, message: 'the job was interrupted (signal received); all ranks were stopped' },
    });

  constructor(options: SupervisorOptions) {
    this.#o = options;
    this.#n = options.request.ranks;
    this.ranks = Array.from({ length: this.#n }, () => ({
      started: false,
      done: false,
      ended: false,
      computeMs: 0,
    }));
    this.outcome = new Promise<SupervisedRun>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** The job's failure so far, if any. */
  get failure(): JobFailure | undefined {
    return this.#failure;
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** Starts the job's clock (--timeout) and listens for the interrupt signal. */
  start(): void {
    const { signal, timeoutMs } = this.#o.request;
    if (signal?.aborted === true) this.#onSignal();
    else signal?.addEventListener('abort', this.#onSignal, { once: true });
    if (timeoutMs !== undefined) this.after(timeoutMs, () => this.#timedOut());
    const watch = this.#o.mismatchWatchMs;
    if (watch !== undefined && this.#o.hooks.askPending !== undefined)
      this.after(watch, () => this.#watch(watch));
  }

  /** One look of the mismatch watch (see `SupervisorOptions.mismatchWatchMs`), then the next. */
  #watch(every: number): void {
    if (this.#timingOut || this.#failure !== undefined) return;
    // Only this round's answers count (a rank that does not answer is busy computing).
    for (const r of this.ranks) r.pending = undefined;
    this.#o.hooks.askPending!(false);
    this.after(WATCH_ANSWER_MS, () => {
      if (this.#timingOut || this.#failure !== undefined) return;
      const m = firstCollectiveMismatch(this.ranks.map((r) => (r.done ? undefined : r.pending)));
      if (m === undefined) {
        if (this.#o.deliveredOnSend === true) {
          const stranded = strandedCollective(
            this.ranks.map((r) => r.pending),
            this.ranks.map((r) => r.done),
          );
          const seen = this.#stranded;
          this.#stranded = stranded;
          if (stranded !== undefined && seen?.rank === stranded.rank && seen.seq === stranded.seq) {
            const msg =
              `collective mismatch on COMM_WORLD: rank ${stranded.rank} waits in ${stranded.call} (collective ` +
              `#${stranded.seq}), which every other rank has completed: ${ARGUMENTS_DIFFER}`;
            this.fail({
              info: { rank: stranded.rank, message: msg, errorClass: ERR_OTHER },
              cause: new MPIError(ERR_OTHER, msg),
            });
            return;
          }
        }
        this.after(every, () => this.#watch(every));
        return;
      }
      const [first, other] = m.pair;
      const byName = first.name !== other.name;
      const [mine, theirs] = byName ? [first.name, other.name] : [first.call, other.call];
      const msg =
        `collective mismatch on ${m.comm}: rank ${first.rank} called ${mine} (collective #${m.seq}) while ` +
        `rank ${other.rank} called ${theirs} (#${m.seq}), and both wait in it. Every rank of a communicator ` +
        (byName
          ? 'must call the same collectives in the same order.'
          : 'must pass the same root to each collective.');
      this.fail({
        info: { rank: first.rank, message: msg, errorClass: ERR_OTHER },
        cause: new MPIError(ERR_OTHER, msg),
      });
    });
  }

  /** Runs `fn` after `ms` unless the job has settled by then. */
  after(ms: number, fn: () => void): void {
    if (this.#settled) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  /** Takes one update of `rank`. After the job settled only its output and statistics still count. */
  update(rank: number, u: RankUpdate): void {
    const s = this.ranks[rank];
    if (s === undefined) throw new RangeError(`Expected a rank in [0, ${this.#n}), got \`${rank}\``);
    if (u.type === 'output') {
      this.#o.request.onOutput(rank, u.stream, u.line);
      return;
    }
    if (this.#settled) {
      // Decided: late reports only complete the statistics of a failed job's details.
      if ((u.type === 'done' || u.type === 'failed') && u.stats !== undefined) s.stats = u.stats;
      return;
    }
    switch (u.type) {
      case 'started':
        if (s.started) return;
        s.started = true;
        this.#startedCount++;
        this.#firstStartedAt ??= performance.now();
        if (this.#startedCount === this.#n) {
          this.#allStartedAt = performance.now();
          this.#o.hooks.allStarted?.();
        }
        this.#progress('started');
        return;
      case 'done':
        if (s.done) return;
        s.done = true;
        s.value = u.value;
        s.computeMs = u.computeMs;
        s.stats = u.stats;
        this.#doneCount++;
        this.#progress('finished');
        this.#check();
        return;
      case 'failed':
        if (u.stats !== undefined) s.stats = u.stats;
        if (u.timeout === 'job') {
          s.pending = u.pending ?? [];
          this.#timedOut();
          return;
        }
        this.fail({ info: onAbortingRank(u.error) });
        return;
      case 'abort':
        if (u.stats !== undefined) s.stats = u.stats;
        this.fail({
          info: {
            rank,
            message: `rank ${rank} called abort(${u.errorcode})`,
            errorcode: u.errorcode,
            errorClass: ERR_ABORTED,
            // A string only: it arrived from a rank (over SQS from a Lambda one).
            ...(typeof u.stack === 'string' ? { stack: u.stack } : {}),
          },
          errorcode: u.errorcode,
        });
        return;
      case 'pending':
        s.pending = u.pending;
        if (u.stats !== undefined) s.stats = u.stats;
        return;
      case 'exited':
        if (s.ended) return;
        s.ended = true;
        if (!s.done && u.error !== undefined) this.fail({ info: { ...u.error, rank } });
        this.#check();
        return;
    }
  }

  /** Fails the job, unless it already failed: the first failure is the job's. */
  fail(failure: JobFailure): void {
    if (this.#settled || this.#failure !== undefined) return;
    this.#failure = failure;
    this.#o.hooks.stop(failure);
    this.#check();
  }

  /** Stops waiting for ranks to exit: the job settles now with what is known. */
  settleNow(): void {
    this.#settle();
  }

  /**
   * The summary of a timed-out job: what each rank was doing. A run of GROUP_RUN or more ranks in
   * a row doing the same is one line (`ranks 2-63: waiting in barrier() ... for 29.6-29.7 s`):
   * a 1,024-rank job said it in 1,024 lines.
   */
  timeoutMessage(): string {
    const states = this.ranks.map((r, i): RankState => {
      if (r.done) return { what: 'finished' };
      if (!r.started && !this.#o.ranksRunBeforeStarted) return { what: 'had not started' };
      const p = r.pending;
      if (p === undefined) return { what: this.#silent(i) };
      if (p.length === 0) return { what: 'running, not blocked in an MPI call' };
      return { what: `waiting in ${p.map(describePendingCall).join(', ')}`, pending: p };
    });
    const lines = groupedStates(states);
    // Ranks waiting in different collectives under one number: the likely reason for the hang.
    lines.push(...collectiveMismatches(this.ranks.map((r) => (r.done ? undefined : r.pending))));
    const seconds = ((this.#o.request.timeoutMs ?? 0) / 1000).toFixed(1);
    return `the job timed out after ${seconds} s:\n  ${lines.join('\n  ')}`;
  }

  /** Why rank `i` did not answer the timeout report: it computes, or a rank of its thread does. */
  #silent(i: number): string {
    const k = this.#o.ranksPerThread ?? 1;
    const first = Math.floor(i / k) * k;
    const last = Math.min(first + k, this.ranks.length) - 1;
    if (last === first) return 'busy computing (not in an MPI call), did not answer';
    return (
      `did not answer: it shares a worker thread with ranks ${first}-${last}, and one of them is busy ` +
      'computing (not in an MPI call, not awaiting), which keeps the others from running'
    );
  }

  /**
   * The job's --timeout: the ranks get the grace to say what they wait in; then the job fails (at
   * once if they all finish in the grace: they still ran longer than allowed). Not when every rank
   * has already returned its result and only their exits are pending.
   */
  #timedOut(): void {
    if (this.#timingOut || this.#failure !== undefined || this.#settled) return;
    if (this.ranks.every((r) => r.done)) return;
    this.#timingOut = true;
    this.#o.hooks.askPending?.();
    this.after(this.#o.timeoutGraceMs, () => this.#failTimeout(this.timeoutMessage()));
  }

  #failTimeout(msg: string): void {
    const first = Math.max(
      0,
      this.ranks.findIndex((r) => !r.done),
    );
    this.fail({
      info: { rank: first, message: msg, errorClass: ERR_TIMEOUT },
      cause: new MPIError(ERR_TIMEOUT, msg),
    });
  }

  /** Every rank finished, but after --timeout (in the grace its report gives them). */
  #lateFinishMessage(): string {
    const seconds = ((this.#o.request.timeoutMs ?? 0) / 1000).toFixed(1);
    return `the job timed out after ${seconds} s: its ranks all finished, but only after that (raise --timeout to let it complete)`;
  }

  #progress(phase: 'started' | 'finished'): void {
    this.#o.request.onProgress?.({
      phase,
      started: this.#startedCount,
      finished: this.#doneCount,
      ranks: this.#n,
    });
  }

  /** Settles once the job is decided and every rank that must be waited for has ended. */
  #check(): void {
    if (this.#failure === undefined) {
      if (!this.ranks.every((r) => r.done && r.ended)) return;
      // Past --timeout, ranks that finish in the report's grace still ran longer than allowed.
      if (this.#timingOut) this.#failTimeout(this.#lateFinishMessage());
      else this.#settle();
      return;
    }
    const waitUnstarted = this.#o.ranksRunBeforeStarted;
    if (this.ranks.every((r) => r.ended || (!r.started && !waitUnstarted))) this.#settle();
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#o.request.signal?.removeEventListener('abort', this.#onSignal);
    const failure = this.#failure;
    void Promise.resolve()
      .then(() => this.#o.hooks.teardown?.())
      .then(
        () =>
          failure === undefined
            ? this.#resolve(this.#run())
            : this.#reject(jobFailedError(failure, this.#statsSoFar())),
        (err: unknown) =>
          this.#reject(failure === undefined ? (err as Error) : jobFailedError(failure, this.#statsSoFar())),
      );
  }

  /** A failed job's statistics: of the ranks that reported any (finished, failed, or asked). */
  #statsSoFar(): { perRank: (RankStats | undefined)[] } | undefined {
    const perRank = this.ranks.map((r) => r.stats);
    return perRank.some((s) => s !== undefined) ? { perRank } : undefined;
  }

  #run(): SupervisedRun {
    return {
      results: this.ranks.map((r) => r.value),
      computeMs: Math.max(0, ...this.ranks.map((r) => r.computeMs)),
      stats: aggregateStats(this.ranks.map((r) => r.stats!)),
      firstStartedAt: this.#firstStartedAt,
      allStartedAt: this.#allStartedAt,
    };
  }
}

/** A rank that only noticed another rank's abort: the job failed on the aborting rank. */
function onAbortingRank(e: RankErrorInfo): RankErrorInfo {
  if (e.abortRank === undefined) return e;
  return { ...e, rank: e.abortRank, message: `rank ${e.abortRank} called abort(${e.errorcode})` };
}

/** The error a failed job rejects with. */
export function jobFailedError(
  f: JobFailure,
  stats?: { perRank: (RankStats | undefined)[] },
): JobFailedError {
  const cause = f.cause ?? reviveError(f.info);
  const code = f.errorcode ?? f.info.errorcode;
  return new JobFailedError(f.info.rank, cause, {
    ...(code === undefined ? {} : { errorcode: code }),
    ...(stats === undefined ? {} : { details: { stats } }),
  });
}

/** What one rank was doing at a timeout: `what` without the times; the calls it waits in, if any. */
interface RankState {
  what: string;
  pending?: readonly PendingCallInfo[];
}

/** Ranks in a row doing the same that the timeout report names in one line. */
const GROUP_RUN = 3;

/** The timeout report's lines: a rank each, or a run of ranks doing the same, its times as ranges. */
function groupedStates(states: readonly RankState[]): string[] {
  const lines: string[] = [];
  for (let i = 0; i < states.length; ) {
    let j = i + 1;
    while (j < states.length && states[j]!.what === states[i]!.what) j++;
    const run = states.slice(i, j);
    if (run.length < GROUP_RUN) {
      for (const [k, s] of run.entries()) lines.push(`rank ${i + k}: ${withTimes(s, [s])}`);
    } else {
      lines.push(`ranks ${i}-${j - 1}: ${withTimes(run[0]!, run)}`);
    }
    i = j;
  }
  return lines;
}

/** `s` with its calls' times: for a run of ranks, each call's range over them. */
function withTimes(s: RankState, run: readonly RankState[]): string {
  if (s.pending === undefined) return s.what;
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  const calls = s.pending.map((c, k) => {
    const times = run.map((r) => r.pending![k]!.forMs);
    const [lo, hi] = [seconds(Math.min(...times)), seconds(Math.max(...times))];
    return `${describePendingCall(c)} for ${lo === hi ? lo : `${lo}-${hi}`} s`;
  });
  return `waiting in ${calls.join(', ')}`;
}
