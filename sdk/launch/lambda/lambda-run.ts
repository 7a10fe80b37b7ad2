import { ERR_TIMEOUT } from '../../base/errors.js';
import type { InvocationUsage, RankNotice, RankReport } from '../../runtime/lambda/control-report.js';
import { invokeRanks } from '../../runtime/lambda/invoke-ranks.js';
import type { RankJobRef } from '../../runtime/lambda/rank-event.js';
import type { NodePlan } from '../../transport/node/node-plan.js';
import { type JobFailure, JobSupervisor } from '../job-supervisor.js';
import type { LaunchRequest, LaunchResult } from '../launcher.js';
import { abortRanks } from './abort-ranks.js';
import { addCalls } from './add-calls.js';
import type { AwsClients } from './aws-clients.js';
import { checkEventPayloads } from './check-event-payloads.js';
import { ControlFollower } from './control-follower.js';
import type { Deployment } from './deployment.js';
import { type FanOutEvents, fanOutEvents } from './fan-out-events.js';
import type { FanOutPlan } from './fan-out-model.js';
import { FINISHED_QUIET_MS, FinishedNotices } from './finished-notices.js';

/** The waits of the run phase, ms (see `LambdaLauncherOptions`). */
export interface LambdaRunWaits {
  startTimeoutMs: number;
  stopGraceMs: number;
  deadlineGraceMs: number;
  timeoutGraceMs: number;
}

export interface LambdaRunContext {
  req: LaunchRequest;
  /** How ranks sit on invocations: `queues.queueUrls` has one queue per node. */
  nodes: NodePlan;
  clients: AwsClients;
  deployment: Deployment;
  queues: { queueUrls: string[]; controlUrl: string };
  jobId: string;
  job: RankJobRef;
  plan: FanOutPlan;
  invokeConcurrency: number;
  waits: LambdaRunWaits;
  /** Quiet time before running ranks hear who returned (`FinishedNotices`). Default 2 s. */
  finishedQuietMs?: number;
}

/** What Lambda told about one rank's invocation, for the cost report. */
interface Invocation {
  remainingMs?: number;
  memoryMb?: number;
  usage?: InvocationUsage;
}

/**
 * The run phase of an aws job: invokes the ranks, follows the control queue and turns its
 * reports into {@link JobSupervisor} updates; on the first failure sends every rank an Abort
 * frame and waits for them to say they stopped (or for the stop grace). Backstops what a rank
 * cannot report itself: being killed at its Lambda deadline, never starting.
 */
export class LambdaRun {
  readonly supervisor: JobSupervisor;
  readonly follower: ControlFollower;
  /** Every invocation's own counts that reached the launcher. */
  readonly usages: InvocationUsage[] = [];
  /** Second deliveries of a rank's event (each one a billed invocation). */
  duplicates = 0;
  /** Invoke calls made from here. */
  launcherInvokes = 0;
  /** Calls the launcher made during the run (abort frames). */
  readonly calls: Record<string, number> = {};
  readonly #c: LambdaRunContext;
  readonly #events: FanOutEvents;
  readonly #invocations: Invocation[];
  readonly #fanAbort = new AbortController();
  readonly #finished: FinishedNotices;
  #fanOut: Promise<unknown> = Promise.resolve();
  #fanOutStart = 0;
  #fanOutEnd: number | undefined;

  constructor(context: LambdaRunContext) {
    this.#c = context;
    const { req, deployment, queues, jobId, job, plan, nodes } = context;
    this.#events = fanOutEvents({
      req,
      jobId,
      job,
      queuePrefix: deployment.queuePrefix,
      queues,
      plan,
      nodes,
      functionNames:
        deployment.rankFunctionNames?.length > 0
          ? deployment.rankFunctionNames
          : [deployment.rankFunctionName],
    });
    // Before any rank runs: an event Lambda would refuse fails the launch, not rank 0.
    checkEventPayloads(this.#events);
    const n = context.req.ranks;
    this.#invocations = Array.from({ length: n }, () => ({}));
    this.supervisor = new JobSupervisor({
      request: context.req,
      timeoutGraceMs: context.waits.timeoutGraceMs,
      ranksRunBeforeStarted: false,
      hooks: { stop: (f) => this.#stop(f) },
    });
    this.#finished = new FinishedNotices({
      sqs: context.clients.sqs(),
      queueUrls: context.queues.queueUrls,
      nodes: context.nodes,
      quietMs: context.finishedQuietMs ?? FINISHED_QUIET_MS,
      after: (ms, fn) => this.supervisor.after(ms, fn),
      running: (rank) => !this.supervisor.ranks[rank]!.ended,
      onCalls: (calls) => addCalls(this.calls, { SendMessageBatch: calls }),
    });
    this.follower = new ControlFollower({
      sqs: context.clients.sqs(),
      s3: context.clients.s3(),
      controlUrl: context.queues.controlUrl,
      jobId: context.jobId,
      size: n,
      onReport: (rank, report) => this.#onReport(rank, report),
      onNotice: (rank, notice) => this.#onNotice(rank, notice),
      onError: (err) => this.supervisor.fail({ info: { rank: 0, message: err.message } }),
    });
  }

  /** Runs the job to its end: every rank done, or the first failure (a `JobFailedError`). */
  async run(): Promise<LaunchResult> {
    this.#fanOutStart = performance.now();
    this.follower.start();
    this.supervisor.start();
    this.#fanOut = this.#invoke();
    const run = await this.supervisor.outcome;
    const startAt = this.#fanOutStart;
    const allStarted = run.allStartedAt ?? performance.now();
    return {
      results: run.results,
      timings: {
        startupMs: allStarted - startAt,
        computeMs: run.computeMs,
        teardownMs: 0,
        totalMs: 0,
        launchMs: (this.#fanOutEnd ?? performance.now()) - startAt,
        firstStartedMs: (run.firstStartedAt ?? allStarted) - startAt,
        allStartedMs: allStarted - startAt,
      },
      stats: run.stats,
    };
  }

  /** Stops invoking and following (teardown; the queues go next). */
  async stop(): Promise<void> {
    this.#fanAbort.abort();
    this.#finished.stop();
    await this.#fanOut.catch(() => undefined);
    await this.follower.stop();
  }

  /**
   * Invocations that started and never reported their usage: billed, at most, their whole
   * budget. A node is one invocation: unreported only when none of its ranks reported usage.
   */
  unreported(): { billedMs: number; memoryMb: number }[] {
    const { nodes } = this.#c;
    const out: { billedMs: number; memoryMb: number }[] = [];
    for (let node = 0; node < nodes.nodes; node++) {
      const ranks = Array.from({ length: nodes.ranksOn(node) }, (_, i) => nodes.firstRank(node) + i);
      if (ranks.some((r) => this.#invocations[r]!.usage !== undefined)) continue;
      const started = ranks.find((r) => this.supervisor.ranks[r]!.started);
      if (started === undefined) continue;
      const inv = this.#invocations[started]!;
      out.push({ billedMs: inv.remainingMs ?? 0, memoryMb: inv.memoryMb ?? 1769 });
    }
    return out;
  }

  /** The first failure: an Abort frame to every rank; the job ends once they said so, or after the grace. */
  #stop(f: JobFailure): void {
    const { clients, queues, req, waits } = this.#c;
    this.#fanAbort.abort();
    this.#finished.stop();
    void abortRanks({
      sqs: clients.sqs(),
      queueUrls: queues.queueUrls,
      src: Math.min(Math.max(0, f.info.rank), req.ranks - 1),
      errorcode: f.errorcode ?? f.info.errorcode ?? 1,
      nodes: this.#c.nodes,
    }).then(({ sent, failed }) => addCalls(this.calls, { SendMessageBatch: sent + failed }));
    this.supervisor.after(waits.stopGraceMs, () => this.supervisor.settleNow());
  }

  #onReport(rank: number, report: RankReport): void {
    const sup = this.supervisor;
    const inv = this.#invocations[rank]!;
    switch (report.type) {
      case 'started':
        if (sup.ranks[rank]!.started) return;
        inv.remainingMs = report.remainingMs;
        inv.memoryMb = report.memoryMb;
        this.#armDeadlineBackstop(rank, report.remainingMs);
        sup.update(rank, { type: 'started' });
        return;
      case 'output':
        for (const [stream, line] of report.lines) sup.update(rank, { type: 'output', stream, line });
        return;
      case 'abort':
        sup.update(rank, { type: 'abort', errorcode: report.errorcode, stack: report.stack });
        return;
      case 'done':
        inv.usage = report.usage;
        this.usages.push(report.usage);
        sup.update(rank, {
          type: 'done',
          value: report.value,
          computeMs: report.computeMs,
          stats: report.stats,
        });
        sup.update(rank, { type: 'exited' });
        this.#finished.done(rank, report.sentTo);
        return;
      case 'failed':
        inv.usage = report.usage;
        this.usages.push(report.usage);
        sup.update(rank, {
          type: 'failed',
          error: report.error,
          ...(report.stats === undefined ? {} : { stats: report.stats }),
          ...(report.timeout === 'job' ? { timeout: 'job' as const, pending: report.pending ?? [] } : {}),
        });
        sup.update(rank, { type: 'exited' });
        return;
    }
  }

  #onNotice(rank: number, notice: RankNotice): void {
    this.usages.push(notice.usage);
    if (notice.type === 'duplicate') {
      this.duplicates++;
      return;
    }
    this.supervisor.fail({
      info: {
        ...notice.error,
        rank,
        message: `the rank function refused the event of rank ${rank}: ${notice.error.message}`,
      },
    });
  }

  /** A rank that computes without yielding cannot stop itself; Lambda kills it silently. */
  #armDeadlineBackstop(rank: number, remainingMs: number): void {
    this.supervisor.after(remainingMs + this.#c.waits.deadlineGraceMs, () =>
      // Lambda has ended it: nothing more will come.
      this.supervisor.update(rank, {
        type: 'exited',
        error: {
          errorClass: ERR_TIMEOUT,
          message:
            `rank ${rank} reached its Lambda deadline (${(remainingMs / 1000).toFixed(1)} s after it started) ` +
            'without reporting: it was computing without yielding to the event loop, so it could not stop ' +
            "itself, and Lambda ended it; raise the stack's `timeout` (at most 15 minutes) or give each rank less work",
        },
      }),
    );
  }

  /** Invokes the ranks (or the tree heads); then gives every rank the start timeout to report in. */
  #invoke(): Promise<unknown> {
    const { clients } = this.#c;
    const events = this.#events;
    return invokeRanks({
      lambda: clients.lambda(),
      functionName: events.functionFor,
      ranks: events.ranks,
      eventFor: events.eventFor,
      concurrency: this.#c.invokeConcurrency,
      signal: this.#fanAbort.signal,
      onInvoked: () => {
        this.launcherInvokes++;
      },
    }).then(
      () => {
        this.#fanOutEnd = performance.now();
        this.supervisor.after(this.#c.waits.startTimeoutMs, () => this.#checkAllStarted());
      },
      (err: unknown) =>
        this.supervisor.fail({
          info: { rank: (err as { rank?: number }).rank ?? 0, message: (err as Error).message },
        }),
    );
  }

  #checkAllStarted(): void {
    const ranks = this.supervisor.ranks;
    const missing = ranks.findIndex((r) => !r.started);
    if (missing < 0) return;
    const started = ranks.filter((r) => r.started).length;
    const { startTimeoutMs } = this.#c.waits;
    this.supervisor.fail({
      info: {
        rank: missing,
        errorClass: ERR_TIMEOUT,
        message:
          `rank ${missing} did not start within ${(startTimeoutMs / 1000).toFixed(0)} s of its invocation ` +
          `(${started} of ${ranks.length} ranks started): Lambda may be throttling ${this.#c.deployment.rankFunctionName} ` +
          '(other functions use the same concurrency; see `tsmpi-cloud doctor`), or its environment failed to ' +
          "start (see the rank function's CloudWatch logs)",
      },
    });
  }
}
