/**
 * One rank as one Lambda invocation: the logic behind `functions/rank.ts`.
 *
 * 1. check the event; make sure the job still exists (its control queue answers);
 * 2. claim the rank (`claimRank`): a second delivery of the same event stops here;
 * 3. (fan-out tree heads) start invoking the ranks of its subtree;
 * 4. load the job: a built-in from the bundle, or the launcher's bundle from S3;
 * 5. report `started`, run the rank over the SQS transport, report `done` or `failed`, with
 *    the job's output lines forwarded as they are printed;
 * 6. stop a safety margin before Lambda's deadline (or the job's --timeout), reporting
 *    ERR_TIMEOUT with what the rank was blocked in, so the launcher hears it instead of silence.
 *
 * Everything the launcher must know is sent, and waited for, before the handler returns: a
 * Lambda environment is frozen the moment it does.
 */

import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { DeleteQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { decode } from '../../codec/codec.js';
import { describeError, ERR_TIMEOUT, MPIError, type RankErrorInfo } from '../../comm/errors.js';
import { classifyAwsError } from '../../transport/sqs/aws-error-kind.js';
import { SqsTransport } from '../../transport/sqs/sqs-transport.js';
import type { Job, JobArgs } from '../define-job.js';
import { openRank, type RankHandle, type RankOutcome, runRank } from '../run-rank.js';
import { claimRank } from './claim-rank.js';
import type { InvocationUsage, PendingCallInfo } from './control-report.js';
import { ControlReporter } from './control-reporter.js';
import { defaultWorkDir, installRuntimeAlias, loadBuiltinJob, loadShippedJob } from './job-module.js';
import * as jobRuntime from './job-runtime.js';
import { captureOutput } from './output-capture.js';
import type { RankEnvironment } from './rank-environment.js';
import { parseRankEvent, type RankEvent, rankQueueUrls, siblingQueueUrl } from './rank-event.js';

/** The part of Lambda's context object a rank uses. */
export interface RankContext {
  getRemainingTimeInMillis(): number;
  awsRequestId?: string;
}

export type RankInvocationStatus =
  /** The job ran to completion on this rank. */
  | 'done'
  /** The rank failed (threw, aborted, timed out) and said so. */
  | 'failed'
  /** A second delivery of the event: the rank was already claimed; nothing ran. */
  | 'duplicate'
  /** The job had ended (its queues were deleted) before or while this rank ran. */
  | 'gone';

export interface RankInvocationResult {
  status: RankInvocationStatus;
  jobId: string;
  rank: number;
  durationMs: number;
}

export interface RankHandlerDeps {
  sqs: SQSClient;
  s3: S3Client;
  env: RankEnvironment;
  /** The Lambda client for fan-out tree heads, created on first use. */
  lambda?: () => Promise<LambdaClient>;
  /** Set when the clients talk to an emulator (which counts binary attributes as base64). */
  endpoint?: string;
  /** Where shipped jobs and the runtime shim go. Default `<tmpdir>/tsmpi-cloud`. */
  workDir?: string;
  /** How long before Lambda's deadline the rank stops and reports. Default {@link safetyMarginMs}. */
  safetyMarginMs?: (remainingMs: number) => number;
  /** Structured log lines (CloudWatch Logs). Default: this process's stdout, bypassing the output capture. */
  log?: (line: string) => void;
  /** Also write job output to the function's own log. Default true. */
  passThroughOutput?: boolean;
  /**
   * Ends this execution environment after an invocation that left its job running (stopped at a
   * deadline, or because the job ended elsewhere), so that the abandoned job cannot go on
   * computing inside the next invocation Lambda sends here. Default `process.exit(0)`: Lambda
   * records the invocation as a Runtime.ExitError (async, retries off: nothing is retried) and
   * starts a fresh environment next time.
   */
  recycle?: () => void;
}

/**
 * How long before Lambda's deadline a rank stops: 10% of the time it has, within [200 ms, 3 s].
 * Enough to send two control messages and close the transport; little of a long budget.
 */
export function safetyMarginMs(remainingMs: number): number {
  return Math.min(3_000, Math.max(200, Math.round(remainingMs * 0.1)));
}

/** Invokes of a fan-out tree head in flight at once (within a region an Invoke takes ~20 ms). */
export const SPAWN_CONCURRENCY = 32;

/** Module evaluation time: this environment's init phase, reported (and billed) on its first invocation. */
const INIT_MS = performance.now();

type StopReason =
  | { kind: 'lambda'; remainingAtStartMs: number; marginMs: number }
  | { kind: 'job'; budgetMs: number }
  | { kind: 'gone' }
  | { kind: 'error'; error: unknown; what: string };

type RunResult = { kind: 'ran'; outcome: RankOutcome } | { kind: 'threw'; error: unknown } | StopReason;

/** `process.exit()` called by a job: it would end the whole execution environment, unreported. */
export class RankExitError extends Error {
  constructor(rank: number, code: unknown) {
    super(
      `rank ${rank} called process.exit(${code === undefined ? '' : String(code)}): on Lambda that would end the rank unreported; ` +
        'return from the job function instead (or call comm.abort(code) to fail the job)',
    );
    this.name = 'RankExitError';
  }
}

/**
 * Makes the rank handler over injected clients.
 *
 * @example
 * export const handler = createRankHandler({ sqs, s3, env: readRankEnvironment() });
 */
export function createRankHandler(deps: RankHandlerDeps) {
  const env = deps.env;
  const workDir = deps.workDir ?? defaultWorkDir();
  const marginOf = deps.safetyMarginMs ?? safetyMarginMs;
  const rawWrite = process.stdout.write.bind(process.stdout);
  const log = deps.log ?? ((line: string) => void rawWrite(`${line}\n`));
  let invocations = 0;
  let aliasInstalled = false;

  return async function handler(rawEvent: unknown, context: RankContext): Promise<RankInvocationResult> {
    const t0 = performance.now();
    const cold = invocations++ === 0;
    const calls: Record<string, number> = {};
    const count = (action: string) => {
      calls[action] = (calls[action] ?? 0) + 1;
    };
    const usage = (): InvocationUsage => ({
      durationMs: performance.now() - t0,
      initMs: cold ? INIT_MS : 0,
      memoryMb: env.memoryMb,
      calls: { ...calls },
    });

    // --- 1. The event ---------------------------------------------------------------------
    let event: RankEvent;
    try {
      event = parseRankEvent(rawEvent, env.queuePrefix);
    } catch (err) {
      log(JSON.stringify({ event: 'rank-rejected', message: (err as Error).message }));
      await tellRejected(rawEvent, err, usage);
      throw err;
    }
    const { jobId, rank } = event;
    const result = (status: RankInvocationStatus): RankInvocationResult => {
      const r = { status, jobId, rank, durationMs: performance.now() - t0 };
      log(JSON.stringify({ event: 'rank-end', ...r, stack: env.stack, cold, calls }));
      return r;
    };

    let stop: (reason: StopReason) => void = () => undefined;
    const stopped = new Promise<StopReason>((resolve) => {
      stop = resolve;
    });

    // --- 2. Alive? Claimed? -----------------------------------------------------------------
    // Checked before the claim, so an event delivered after the job ended creates nothing.
    try {
      count('GetQueueAttributes');
      await deps.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: event.controlUrl, AttributeNames: ['CreatedTimestamp'] }),
      );
    } catch (err) {
      if (classifyAwsError(err) === 'queue-gone') return result('gone');
      throw err;
    }
    const claim = await claimRank({ sqs: deps.sqs, prefix: env.queuePrefix, jobId, rank, onCall: count });
    const reporter = new ControlReporter({
      sqs: deps.sqs,
      s3: deps.s3,
      bucket: env.bucket,
      controlUrl: event.controlUrl,
      jobId,
      rank,
      onCall: count,
      onJobGone: () => stop({ kind: 'gone' }),
    });
    if (!claim.claimed) {
      if (claim.reason === 'gone') return result('gone');
      await reporter.notice({ type: 'duplicate', usage: usage() }).catch(() => undefined);
      await reporter.close();
      return result('duplicate');
    }

    // --- Deadlines ----------------------------------------------------------------------------
    const timers: ReturnType<typeof setTimeout>[] = [];
    const remaining = context.getRemainingTimeInMillis();
    const marginMs = marginOf(remaining);
    timers.push(
      setTimeout(
        () => stop({ kind: 'lambda', remainingAtStartMs: remaining, marginMs }),
        Math.max(0, remaining - marginMs),
      ),
    );
    if (event.deadlineMs !== undefined) {
      const budgetMs = event.deadlineMs - event.launchedAt;
      timers.push(
        setTimeout(() => stop({ kind: 'job', budgetMs }), Math.max(0, budgetMs - (performance.now() - t0))),
      );
    }

    // --- 3. Fan-out tree: invoke this head's subtree while its own rank loads and runs ------
    let spawning: Promise<void> = Promise.resolve();
    if (event.spawn !== undefined) {
      spawning = spawnSubtree(event, deps, env, count).catch((err: unknown) =>
        stop({ kind: 'error', error: err, what: 'starting its subtree of the fan-out' }),
      );
    }

    // --- 4-5. Load, run, report ---------------------------------------------------------------
    const capture = captureOutput((stream, line) => reporter.output(stream, line), {
      passThrough: deps.passThroughOutput ?? true,
    });
    const savedExit = process.exit;
    process.exit = ((code?: unknown) => {
      throw new RankExitError(rank, code);
    }) as typeof process.exit;
    const onUnhandled = (reason: unknown) =>
      stop({ kind: 'error', error: reason, what: 'an unhandled promise rejection in the job' });
    process.prependListener('unhandledRejection', onUnhandled);

    let handle: RankHandle | undefined;
    let status: RankInvocationStatus = 'failed';
    /** The job function is still running and will be left behind. */
    let abandoned = false;
    try {
      const loaded = await Promise.race([
        loadRankJob(event).then(
          (job) => ({ kind: 'loaded' as const, job }),
          (error: unknown) => ({ kind: 'threw' as const, error }),
        ),
        stopped,
      ]);
      if (loaded.kind !== 'loaded') {
        status = await reportStop(loaded, undefined);
        return result(status);
      }
      const args = eventArgs(event);
      // Awaited: a job that computes without yielding would hold the send back, and the launcher
      // needs `started` (with the deadline) to notice such a rank being killed.
      await reporter.report({
        type: 'started',
        remainingMs: context.getRemainingTimeInMillis(),
        memoryMb: env.memoryMb,
        cold,
        eventAgeMs: Date.now() - event.launchedAt,
      });

      const transport = new SqsTransport({
        rank,
        size: event.size,
        queueUrls: rankQueueUrls(event, env.queuePrefix),
        sqs: deps.sqs,
        s3: deps.s3,
        bucket: env.bucket,
        jobId,
        ...(deps.endpoint === undefined ? {} : { binaryAccounting: 'base64' as const }),
      });
      handle = openRank(
        transport,
        (errorcode) => void reporter.report({ type: 'abort', errorcode }),
        event.optimize === undefined ? {} : { optimize: event.optimize },
      );
      const ran: RunResult = await Promise.race([
        runRank(handle, loaded.job, args).then(
          (outcome) => ({ kind: 'ran' as const, outcome }),
          (error: unknown) => ({ kind: 'threw' as const, error }),
        ),
        stopped,
      ]);
      if (ran.kind === 'ran') {
        capture.restore();
        try {
          await reporter.report({
            type: 'done',
            value: ran.outcome.value,
            computeMs: ran.outcome.computeMs,
            stats: ran.outcome.stats,
            usage: usage(),
          });
          status = 'done';
        } catch (err) {
          // Encoding errors are MPIErrors (ERR_TYPE): the value, not the queue, is the problem.
          if (err instanceof MPIError) {
            await reportFailure(
              new Error(
                `rank ${rank} returned a value that cannot be sent back to the launcher: ${err.message}`,
              ),
            );
          }
        }
        return result(status);
      }
      abandoned = ran.kind !== 'threw';
      status = await reportStop(ran, handle);
      return result(status);
    } finally {
      for (const t of timers) clearTimeout(t);
      capture.restore();
      process.exit = savedExit;
      process.off('unhandledRejection', onUnhandled);
      await spawning;
      await reporter.close();
      if (reporter.lastError !== undefined) {
        log(JSON.stringify({ event: 'report-failed', jobId, rank, message: reporter.lastError.message }));
      }
      // Claimed, then found the job over: give the claim back (the launcher's teardown may have run already).
      if (status === 'gone') {
        await deps.sqs
          .send(new DeleteQueueCommand({ QueueUrl: siblingQueueUrl(event.controlUrl, claim.queueName) }))
          .catch(() => undefined);
      }
      if (abandoned) {
        log(
          JSON.stringify({ event: 'environment-recycled', jobId, rank, reason: 'the job was left running' }),
        );
        (deps.recycle ?? (() => process.exit(0)))();
      }
    }

    async function loadRankJob(e: RankEvent): Promise<Job> {
      if ('builtin' in e.job) return loadBuiltinJob(e.job.builtin);
      if (!aliasInstalled) {
        installRuntimeAlias(jobRuntime as unknown as Record<string, unknown>, workDir);
        aliasInstalled = true;
      }
      const { job } = await loadShippedJob({
        s3: deps.s3,
        bucket: env.bucket,
        key: e.job.s3Key,
        hash: e.job.hash,
        workDir,
        onCall: count,
      });
      return job;
    }

    async function reportFailure(
      error: unknown,
      extra: { timeout?: 'lambda' | 'job'; pending?: PendingCallInfo[] } = {},
    ): Promise<void> {
      const info: RankErrorInfo = describeError(rank, error);
      await reporter
        .report({
          type: 'failed',
          error: info,
          usage: usage(),
          ...(extra.timeout === undefined ? {} : { timeout: extra.timeout }),
          ...(extra.pending === undefined ? {} : { pending: extra.pending }),
        })
        .catch(() => undefined);
    }

    /** Reports why the rank stopped early; closes its transport. */
    async function reportStop(
      why: StopReason | { kind: 'threw'; error: unknown },
      h: RankHandle | undefined,
    ): Promise<RankInvocationStatus> {
      const now = Date.now();
      const pending =
        h === undefined ? [] : [...h.endpoint.pending].map((p) => ({ call: p.call, forMs: now - p.since }));
      const blocked =
        pending.length === 0
          ? 'while computing (not in an MPI call)'
          : `while waiting in ${pending.map((p) => `${p.call} for ${(p.forMs / 1000).toFixed(1)} s`).join(', ')}`;
      switch (why.kind) {
        case 'gone':
          break;
        case 'threw':
          await reportFailure(why.error);
          break;
        case 'error':
          await reportFailure(
            why.error instanceof Error ? why.error : new Error(`${why.what}: ${String(why.error)}`),
          );
          break;
        case 'lambda':
          await reportFailure(
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
            new MPIError(
              ERR_TIMEOUT,
              `rank ${rank} stopped at the job's time limit (${(why.budgetMs / 1000).toFixed(1)} s) ${blocked}`,
            ),
            { timeout: 'job', pending },
          );
          break;
      }
      // The report is out; stop receiving. The transport's close grace must not outlast the margin.
      if (h !== undefined) await Promise.race([h.endpoint.close(), delay(Math.min(250, marginMs / 4))]);
      return why.kind === 'gone' ? 'gone' : 'failed';
    }
  };

  /** Tells the launcher, when the event names its control queue, why the event was refused. */
  async function tellRejected(rawEvent: unknown, err: unknown, usage: () => InvocationUsage): Promise<void> {
    const e = rawEvent as Record<string, unknown> | null;
    if (e === null || typeof e !== 'object') return;
    const { controlUrl, jobId, rank } = e;
    if (typeof controlUrl !== 'string' || typeof jobId !== 'string' || typeof rank !== 'number') return;
    if (!Number.isInteger(rank) || rank < 0) return;
    const reporter = new ControlReporter({ sqs: deps.sqs, controlUrl, jobId, rank });
    await reporter
      .notice({ type: 'rejected', error: describeError(rank, err), usage: usage() })
      .catch(() => undefined);
  }
}

function eventArgs(event: RankEvent): JobArgs {
  if (event.argsCodec !== undefined)
    return decode(new Uint8Array(Buffer.from(event.argsCodec, 'base64'))) as JobArgs;
  return event.args ?? {};
}

async function spawnSubtree(
  event: RankEvent,
  deps: RankHandlerDeps,
  env: RankEnvironment,
  count: (action: string) => void,
): Promise<void> {
  const spawn = event.spawn!;
  if (deps.lambda === undefined || env.functionName === undefined) {
    throw new Error(
      `rank ${event.rank} was asked to invoke ranks ${spawn.from}..${spawn.to - 1} but has no Lambda client or AWS_LAMBDA_FUNCTION_NAME`,
    );
  }
  const [lambda, { invokeRanks }] = await Promise.all([deps.lambda(), import('./invoke-ranks.js')]);
  const { spawn: _spawn, ...base } = event;
  const ranks = Array.from({ length: spawn.to - spawn.from }, (_, i) => spawn.from + i);
  await invokeRanks({
    lambda,
    functionName: env.functionName,
    ranks,
    eventFor: (r) => ({ ...base, rank: r }),
    concurrency: SPAWN_CONCURRENCY,
    onInvoked: () => count('Invoke'),
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
