/**
 * One node as one Lambda invocation: K ranks, one worker thread each (CPU-bound jobs get the
 * invocation's K vCPUs), sharing memory; the node's router in this (main) thread receives the
 * node's queue and hands each frame to its rank's ring.
 *
 * The main thread owns the node's control reporters (one per rank, as a one-rank invocation has):
 * workers post their output and reports here, and a worker that dies without its last report
 * (an exception in a job callback, the thread killed at the deadline) is reported failed from
 * here, so the launcher hears of every rank within seconds. Each rank's last report carries the
 * node's usage (`usage.node`): the launcher bills the node once, not once per rank.
 *
 * Runs after `rank-handler.ts` has checked the event, the job's liveness and claimed the node
 * (the claim of the node's first rank); returns once every report is sent.
 */
import { Worker } from 'node:worker_threads';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { ERR_TIMEOUT, MPIError } from '../../base/errors.js';
import { describeError } from '../../base/rank-error-info.js';
import { createMemoryFabric } from '../../transport/memory/memory-fabric.js';
import { NodePlan } from '../../transport/node/node-plan.js';
import type { NodeRouter } from '../../transport/node/node-router.js';
import { createSqsNodeRouter } from '../../transport/node/sqs-nodes.js';
import type { InvocationUsage, RankReport } from './control-report.js';
import { ControlReporter } from './control-reporter.js';
import type { InvocationMeter } from './invocation-meter.js';
import type { NodeRankData, NodeRankMessage } from './node-protocol.js';
import type { RankEnvironment } from './rank-environment.js';
import { type RankEvent, rankQueueUrls } from './rank-event.js';
import { spawnSubtree } from './spawn-subtree.js';

export type NodeInvocationStatus = 'done' | 'failed' | 'gone';

/** How long a rank's thread may run on after its last report before it is ended. */
export const WORKER_END_GRACE_MS = 2_000;

export interface NodeInvocationOptions {
  event: RankEvent;
  /** Lambda's remaining time when the node starts, ms. */
  remainingMs: number;
  /** How long before Lambda's deadline the node stops (the ranks stop themselves at this margin). */
  marginMs: number;
  meter: InvocationMeter;
  sqs: SQSClient;
  s3: S3Client;
  env: RankEnvironment;
  lambda?: () => Promise<LambdaClient>;
  endpoint?: string;
  region?: string;
  workDir: string;
  passThroughOutput: boolean;
  /** The worker entry shipped in the function bundle (`node-worker.mjs` next to `index.mjs`). */
  workerUrl: URL;
}

interface RankSlot {
  rank: number;
  reporter: ControlReporter;
  worker?: Worker;
  /** Its last report (done or failed) is out, from the worker or from here. */
  settled: boolean;
  done: boolean;
  /** What the worker threw that nothing caught, if it did. */
  error?: Error;
  /** Why this thread stopped it, when it did. */
  stoppedFor?: Error;
  exited: Promise<void>;
}

/**
 * Runs one claimed node: fan-out subtree, router, K rank workers, then waits for every rank's
 * last report. `fail(err, what)` ends the node on an error outside the ranks (its router, its
 * fan-out, a stray error of this thread).
 */
export class NodeInvocation {
  readonly #o: NodeInvocationOptions;
  readonly #plan: NodePlan;
  readonly #node: number;
  readonly #slots: RankSlot[];
  #router: NodeRouter | undefined;
  #gone = false;
  /** Last reports being sent (awaited before the reporters close). */
  readonly #sending = new Set<Promise<void>>();
  #unsettled: number;

  constructor(o: NodeInvocationOptions) {
    this.#o = o;
    const { event } = o;
    this.#plan = new NodePlan(event.size, event.ranksPerNode ?? 1);
    this.#node = this.#plan.nodeOf(event.rank);
    const count = this.#plan.ranksOn(this.#node);
    this.#unsettled = count;
    this.#slots = Array.from({ length: count }, (_, i) => ({
      rank: event.rank + i,
      reporter: new ControlReporter({
        sqs: o.sqs,
        s3: o.s3,
        bucket: o.env.bucket,
        controlUrl: event.controlUrl,
        jobId: event.jobId,
        rank: event.rank + i,
        onCall: o.meter.count,
        onJobGone: () => this.#endJobGone(),
      }),
      settled: false,
      done: false,
      exited: Promise.resolve(),
    }));
  }

  /** Runs the node to its end; resolves with how it ended once every report is sent. */
  async run(): Promise<NodeInvocationStatus> {
    const o = this.#o;
    const { event } = o;
    const spawning =
      event.spawn === undefined
        ? Promise.resolve()
        : spawnSubtree({
            event,
            lambda: o.lambda,
            functionName: o.env.functionName,
            count: o.meter.count,
          }).catch((err: unknown) => this.fail(err, 'starting its subtree of the fan-out'));
    const fabric = createMemoryFabric(this.#slots.length + 1);
    try {
      this.#router = createSqsNodeRouter({
        node: this.#node,
        plan: this.#plan,
        fabric,
        queues: {
          nodeUrls: rankQueueUrls(event, o.env.queuePrefix),
          sqs: o.sqs,
          s3: o.s3,
          bucket: o.env.bucket,
          jobId: event.jobId,
          ...(o.endpoint === undefined ? {} : { binaryAccounting: 'base64' as const }),
        },
      });
      this.#router.start((err) => this.fail(err, `node ${this.#node}'s receiver`));
    } catch (err) {
      this.fail(err, `starting node ${this.#node}'s receiver`);
    }
    const deadlineAt = Date.now() + o.remainingMs;
    for (const slot of this.#slots) {
      if (slot.settled) continue;
      if (slot.stoppedFor === undefined) this.#spawn(slot, fabric, deadlineAt);
      else
        this.#settle(
          slot,
          { type: 'failed', error: describeError(slot.rank, slot.stoppedFor), usage: this.#usage() },
          {},
        );
    }
    // The ranks stop themselves `marginMs` before the deadline; one computing without yielding
    // cannot, so its thread is ended here, half the margin later, and reported.
    const backstop = setTimeout(
      () => {
        this.#stopAll((rank) => this.#deadlineError(rank));
        // Threads that reported but have not ended (work the job left running) end here too.
        for (const slot of this.#slots) void slot.worker?.terminate();
      },
      Math.max(0, o.remainingMs - o.marginMs / 2),
    );
    try {
      await Promise.all(this.#slots.map((s) => s.exited));
    } finally {
      clearTimeout(backstop);
      await this.#router?.close();
      await spawning;
      while (this.#sending.size > 0) await Promise.all([...this.#sending]);
      await Promise.all(this.#slots.map((s) => s.reporter.close()));
    }
    if (this.#gone) return 'gone';
    return this.#slots.every((s) => s.done) ? 'done' : 'failed';
  }

  /** Ends the node on an error outside its ranks: charged to its first rank still running. */
  fail(err: unknown, what: string): void {
    const error = err instanceof Error ? err : new Error(`${what}: ${String(err)}`);
    const first = this.#slots.find((s) => !s.settled);
    if (first === undefined) return;
    this.#settle(
      first,
      { type: 'failed', error: describeError(first.rank, error), usage: this.#usage() },
      {},
    );
    this.#stopAll(
      (rank) => new Error(`rank ${rank} was stopped because its node failed (${what}: ${error.message})`),
    );
  }

  /** Reports from a rank's `Error` the ranks that have not reported; ends their threads. */
  #stopAll(why: (rank: number) => Error): void {
    for (const slot of this.#slots) {
      if (slot.settled) continue;
      slot.stoppedFor = why(slot.rank);
      void slot.worker?.terminate();
    }
  }

  #endJobGone(): void {
    this.#gone = true;
    for (const slot of this.#slots) {
      slot.settled = true;
      void slot.worker?.terminate();
    }
  }

  #deadlineError(rank: number): Error {
    return new MPIError(
      ERR_TIMEOUT,
      `rank ${rank} reached its Lambda deadline while computing without yielding to the event loop (so it could not ` +
        `stop itself); its node ended its thread ${Math.round(this.#o.marginMs / 2)} ms before the deadline: raise the ` +
        "stack's `timeout` (at most 15 minutes) or give the job less work per rank",
    );
  }

  #spawn(slot: RankSlot, fabric: unknown, deadlineAt: number): void {
    const o = this.#o;
    const workerData: NodeRankData = {
      event: o.event,
      rank: slot.rank,
      fabric,
      deadlineAt,
      elapsedMs: o.meter.elapsedMs(),
      bucket: o.env.bucket,
      queuePrefix: o.env.queuePrefix,
      memoryMb: o.env.memoryMb,
      workDir: o.workDir,
      passThroughOutput: o.passThroughOutput,
      ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint }),
      ...(o.region === undefined ? {} : { region: o.region }),
    };
    const worker = new Worker(o.workerUrl, { workerData });
    slot.worker = worker;
    worker.on('message', (m: NodeRankMessage) => this.#onMessage(slot, m));
    worker.on('error', (err) => {
      slot.error ??= err;
    });
    slot.exited = new Promise<void>((resolve) =>
      worker.once('exit', (code) => {
        if (!slot.settled) {
          const error =
            slot.stoppedFor ??
            slot.error ??
            new Error(
              `rank ${slot.rank}'s worker thread exited with code ${code} before reporting how its job ended`,
            );
          const timeout = error instanceof MPIError && error.errorClass === ERR_TIMEOUT;
          this.#settle(
            slot,
            {
              type: 'failed',
              error: describeError(slot.rank, error),
              usage: this.#usage(),
              ...(timeout ? { timeout: 'lambda' as const, pending: [] } : {}),
            },
            {},
          );
        }
        resolve();
      }),
    );
  }

  #onMessage(slot: RankSlot, m: NodeRankMessage): void {
    if (slot.settled) return;
    if (m.type === 'output') {
      slot.reporter.output(m.stream, m.line);
      return;
    }
    const r = m.report;
    if (r.type === 'done' || r.type === 'failed') {
      this.#settle(slot, r, m.calls);
      // The rank is over: a thread that does not end soon (work the job left running, such as
      // a timer of node:timers) is ended, so the node does not wait for its deadline.
      setTimeout(() => void slot.worker?.terminate(), WORKER_END_GRACE_MS).unref();
      return;
    }
    void slot.reporter.report(r).catch(() => undefined);
  }

  /** Sends a rank's last report with the node's usage; the node's own calls go with the last one. */
  #settle(
    slot: RankSlot,
    report: Extract<RankReport, { type: 'done' | 'failed' }>,
    calls: Record<string, number>,
  ): void {
    if (slot.settled) return;
    slot.settled = true;
    slot.done = report.type === 'done';
    this.#unsettled--;
    const usage = this.#usage(calls, this.#unsettled === 0);
    const reporter = slot.reporter;
    const send = async () => {
      try {
        await reporter.report({ ...report, usage });
      } catch (err) {
        // Encoding errors are MPIErrors (ERR_TYPE): the value, not the queue, is the problem.
        if (!(err instanceof MPIError)) return;
        slot.done = false;
        const why = new Error(
          `rank ${slot.rank} returned a value that cannot be sent back to the launcher: ${err.message}`,
        );
        await reporter
          .report({ type: 'failed', error: describeError(slot.rank, why), usage })
          .catch(() => undefined);
      }
    };
    const sending = send().finally(() => this.#sending.delete(sending));
    this.#sending.add(sending);
  }

  /** The node's usage so far; with `withNode`, the calls of this thread (claim, reports, router) too. */
  #usage(calls: Record<string, number> = {}, withNode = false): InvocationUsage {
    const u = this.#o.meter.usage();
    const all: Record<string, number> = { ...calls };
    if (withNode) {
      const add = (c: Record<string, number>) => {
        for (const [k, v] of Object.entries(c)) all[k] = (all[k] ?? 0) + v;
      };
      add(u.calls);
      const routerCalls = this.#router?.stats().calls;
      if (routerCalls !== undefined) add(routerCalls as Record<string, number>);
    }
    return { ...u, calls: all, node: this.#node };
  }
}
