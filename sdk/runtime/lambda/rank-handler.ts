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
 * An event with `ranksPerNode` is a node of several ranks: steps 1 and 2 are the same (the claim
 * is the node's first rank's), the rest is `node-invocation.ts` (one worker thread per rank).
 *
 * Everything the launcher must know is sent, and waited for, before the handler returns: a
 * Lambda environment is frozen the moment it does.
 */

import { existsSync } from 'node:fs';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { DeleteQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MPIError } from '../../base/errors.js';
import { describeError } from '../../base/rank-error-info.js';
import { decode } from '../../codec/codec.js';
import type { Job, JobArgs } from '../../jobs/define-job.js';
import { classifyAwsError } from '../../transport/sqs/aws-error-kind.js';
import { SqsTransport } from '../../transport/sqs/sqs-transport.js';
import { openRank, type RankHandle, type RankOutcome, runRank } from '../run-rank.js';
import { claimRank } from './claim-rank.js';
import { abortReport } from './control-report.js';
import { ControlReporter } from './control-reporter.js';
import { InvocationMeter } from './invocation-meter.js';
import { defaultWorkDir, installRuntimeAlias, loadBuiltinJob, loadShippedJob } from './job-module.js';
import { enterJobSandbox, type JobSandbox } from './job-sandbox.js';
import { NodeInvocation } from './node-invocation.js';
import type { RankEnvironment } from './rank-environment.js';
import {
  parseRankEvent,
  type RankEvent,
  RankEventError,
  rankQueueUrls,
  siblingQueueUrl,
} from './rank-event.js';
import { RankStop, type StopReason, safetyMarginMs } from './rank-stop.js';
import { spawnSubtree } from './spawn-subtree.js';
import { reportFailure, reportStop, type StopReportContext } from './stop-report.js';
import { StrayErrorGuard } from './stray-error-guard.js';

export { RankExitError } from './job-sandbox.js';
export { safetyMarginMs } from './rank-stop.js';
export { SPAWN_CONCURRENCY } from './spawn-subtree.js';

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
  /**
   * What `import ... from 'tsmpi-cloud'` gives a shipped job: the namespace of `sdk/rank-entry.ts`.
   * Injected by `functions/rank.ts` because the public API sits above the runtime layer.
   */
  jobApi: Readonly<Record<string, unknown>>;
  /** The Lambda client for fan-out tree heads, created on first use. */
  lambda?: () => Promise<LambdaClient>;
  /** Set when the clients talk to an emulator (which counts binary attributes as base64). */
  endpoint?: string;
  /**
   * The worker entry of a node's ranks (`node-worker.mjs`, shipped next to the function bundle):
   * needed for events with `ranksPerNode` (several ranks per invocation).
   */
  nodeWorkerUrl?: URL;
  /** AWS region of the workers' clients (nodes). Default: the SDK's (AWS_REGION). */
  region?: string;
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

type RunResult = { kind: 'ran'; outcome: RankOutcome } | { kind: 'threw'; error: unknown } | StopReason;

/** How an invocation ended, as the cleanup needs it. */
interface InvocationEnd {
  status: RankInvocationStatus;
  /** The job function is still running and will be left behind. */
  abandoned: boolean;
}

/**
 * Makes the rank handler over injected clients.
 *
 * @example
 * export const handler = createRankHandler({ sqs, s3, env: readRankEnvironment() });
 */
export function createRankHandler(deps: RankHandlerDeps) {
  const env = deps.env;
  const marginOf = deps.safetyMarginMs ?? safetyMarginMs;
  const rawWrite = process.stdout.write.bind(process.stdout);
  const log = deps.log ?? ((line: string) => void rawWrite(`${line}\n`));
  const loadJob = rankJobLoader(deps);
  // Before any job code: under aws-lambda-ric 4 an error nothing handles would end the environment silently.
  const guard = StrayErrorGuard.install(log);
  let invocations = 0;

  return async function handler(rawEvent: unknown, context: RankContext): Promise<RankInvocationResult> {
    const meter = new InvocationMeter(invocations++ === 0, env.memoryMb);
    const event = await acceptEvent(rawEvent, meter);
    const { jobId, rank } = event;
    const result = (status: RankInvocationStatus): RankInvocationResult => {
      const r = { status, jobId, rank, durationMs: meter.elapsedMs() };
      log(
        JSON.stringify({ event: 'rank-end', ...r, stack: env.stack, cold: meter.cold, calls: meter.calls }),
      );
      return r;
    };

    // Alive? Checked before the claim, so an event delivered after the job ended creates nothing.
    if (!(await jobAlive(event, meter))) return result('gone');
    const claim = await claimRank({
      sqs: deps.sqs,
      prefix: env.queuePrefix,
      jobId,
      rank,
      onCall: meter.count,
    });
    if (claim.claimed && event.ranksPerNode !== undefined) {
      const status = await runNode(event, context, meter);
      if (status === 'gone') await giveBackClaim(event, claim.queueName);
      return result(status);
    }
    const stop = new RankStop();
    const reporter = new ControlReporter({
      sqs: deps.sqs,
      s3: deps.s3,
      bucket: env.bucket,
      controlUrl: event.controlUrl,
      jobId,
      rank,
      onCall: meter.count,
      onJobGone: () => stop.stop({ kind: 'gone' }),
    });
    if (!claim.claimed) {
      if (claim.reason === 'gone') return result('gone');
      await reporter.notice({ type: 'duplicate', usage: meter.usage() }).catch(() => undefined);
      await reporter.close();
      return result('duplicate');
    }

    const marginMs = stop.armDeadlines({
      remainingMs: context.getRemainingTimeInMillis(),
      marginOf,
      event,
      startedAt: meter.t0,
    });
    // A fan-out tree head invokes its subtree while its own rank loads and runs.
    const spawning =
      event.spawn === undefined
        ? Promise.resolve()
        : spawnSubtree({
            event,
            lambda: deps.lambda,
            functionName: env.functionName,
            count: meter.count,
          }).catch((err: unknown) =>
            stop.stop({ kind: 'error', error: err, what: 'starting its subtree of the fan-out' }),
          );
    const scope = guard.enter({
      jobId,
      rank,
      onError: (error, kind) =>
        stop.stop({
          kind: 'error',
          error,
          what:
            kind === 'rejection'
              ? 'an unhandled promise rejection in the job'
              : 'an uncaught exception in the job (thrown by a callback nothing guarded)',
        }),
    });
    const sandbox = enterJobSandbox({
      rank,
      onLine: (stream, line) => reporter.output(stream, line),
      passThrough: deps.passThroughOutput ?? true,
      foreign: () => scope.isForeign(),
      ...(event.env === undefined ? {} : { env: event.env }),
    });
    const end: InvocationEnd = { status: 'failed', abandoned: false };
    try {
      await scope.run(() => runJob({ event, context, meter, reporter, stop, sandbox, marginMs, end }));
      return result(end.status);
    } finally {
      stop.dispose();
      sandbox.leave();
      await spawning;
      await reporter.close();
      scope.end();
      sandbox.clearLeftovers();
      if (reporter.lastError !== undefined) {
        log(JSON.stringify({ event: 'report-failed', jobId, rank, message: reporter.lastError.message }));
      }
      // Claimed, then found the job over: give the claim back (the launcher's teardown may have run already).
      if (end.status === 'gone') await giveBackClaim(event, claim.queueName);
      if (end.abandoned) {
        log(
          JSON.stringify({ event: 'environment-recycled', jobId, rank, reason: 'the job was left running' }),
        );
        (deps.recycle ?? (() => process.exit(0)))();
      }
    }
  };

  /** Deletes this invocation's claim queue (the job ended; the launcher's teardown may have run already). */
  async function giveBackClaim(event: RankEvent, queueName: string): Promise<void> {
    await deps.sqs
      .send(new DeleteQueueCommand({ QueueUrl: siblingQueueUrl(event.controlUrl, queueName) }))
      .catch(() => undefined);
  }

  /** A claimed node of several ranks: see `node-invocation.ts`. */
  async function runNode(
    event: RankEvent,
    context: RankContext,
    meter: InvocationMeter,
  ): Promise<RankInvocationStatus> {
    const remainingMs = context.getRemainingTimeInMillis();
    let workerUrl: URL;
    try {
      workerUrl = nodeWorkerUrl(event);
    } catch (err) {
      const reporter = new ControlReporter({
        sqs: deps.sqs,
        controlUrl: event.controlUrl,
        jobId: event.jobId,
        rank: event.rank,
        onCall: meter.count,
      });
      await reporter
        .report({ type: 'failed', error: describeError(event.rank, err), usage: meter.usage() })
        .catch(() => undefined);
      await reporter.close();
      return 'failed';
    }
    const node = new NodeInvocation({
      event,
      remainingMs,
      marginMs: marginOf(remainingMs),
      meter,
      sqs: deps.sqs,
      s3: deps.s3,
      env,
      workDir: deps.workDir ?? defaultWorkDir(),
      passThroughOutput: deps.passThroughOutput ?? true,
      workerUrl,
      ...(deps.lambda === undefined ? {} : { lambda: deps.lambda }),
      ...(deps.endpoint === undefined ? {} : { endpoint: deps.endpoint }),
      ...(deps.region === undefined ? {} : { region: deps.region }),
    });
    // Errors nothing handles in this thread (the router's, the fan-out's) fail the node, reported.
    const scope = guard.enter({
      jobId: event.jobId,
      rank: event.rank,
      onError: (error) => node.fail(error, 'an error nothing handled in the node'),
    });
    try {
      return await scope.run(() => node.run());
    } finally {
      scope.end();
    }
  }

  function nodeWorkerUrl(event: RankEvent): URL {
    const url = deps.nodeWorkerUrl;
    if (url === undefined || !existsSync(url)) {
      throw new RankEventError(
        `rank event: node of ${event.ranksPerNode} ranks, but this rank function has no node worker` +
          `${url === undefined ? '' : ` (${url.pathname} is missing)`}: deploy the stack again with \`cdk deploy\` ` +
          'from the same tsmpi-cloud version as the CLI, or run with --ranks-per-node 1',
      );
    }
    return url;
  }

  /** The event, checked; one that cannot be used is refused, telling the launcher when it can. */
  async function acceptEvent(rawEvent: unknown, meter: InvocationMeter): Promise<RankEvent> {
    try {
      return parseRankEvent(rawEvent, env.queuePrefix);
    } catch (err) {
      log(JSON.stringify({ event: 'rank-rejected', message: (err as Error).message }));
      await tellRejected(rawEvent, err, meter);
      throw err;
    }
  }

  /** Whether the job still exists: its control queue answers. */
  async function jobAlive(event: RankEvent, meter: InvocationMeter): Promise<boolean> {
    try {
      meter.count('GetQueueAttributes');
      await deps.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: event.controlUrl, AttributeNames: ['CreatedTimestamp'] }),
      );
      return true;
    } catch (err) {
      if (classifyAwsError(err) === 'queue-gone') return false;
      throw err;
    }
  }

  /**
   * Loads the job, reports `started`, runs the rank over SQS and reports how it ended, unless
   * `stop` comes first. `end` says, at every point, how the invocation stands.
   */
  async function runJob(c: {
    event: RankEvent;
    context: RankContext;
    meter: InvocationMeter;
    reporter: ControlReporter;
    stop: RankStop;
    sandbox: JobSandbox;
    marginMs: number;
    end: InvocationEnd;
  }): Promise<void> {
    const { event, meter, reporter, end } = c;
    const { rank, jobId } = event;
    const report: StopReportContext = { rank, reporter, usage: meter.usage, marginMs: c.marginMs };
    const loaded = await Promise.race([
      loadJob(event, meter.count).then(
        (job) => ({ kind: 'loaded' as const, job }),
        (error: unknown) => ({ kind: 'threw' as const, error }),
      ),
      c.stop.stopped,
    ]);
    if (loaded.kind !== 'loaded') {
      end.status = await reportStop(report, loaded, undefined);
      return;
    }
    const args = eventArgs(event);
    // Awaited: a job that computes without yielding would hold the send back, and the launcher
    // needs `started` (with the deadline) to notice such a rank being killed.
    await reporter.report({
      type: 'started',
      remainingMs: c.context.getRemainingTimeInMillis(),
      memoryMb: env.memoryMb,
      cold: meter.cold,
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
    const handle: RankHandle = openRank(
      transport,
      (errorcode, stack) => void reporter.report(abortReport(errorcode, stack)),
      {
        ...(event.optimize === undefined ? {} : { optimize: event.optimize }),
        ...(event.record === undefined ? {} : { record: event.record }),
      },
    );
    const ran: RunResult = await Promise.race([
      runRank(handle, loaded.job, args).then(
        (outcome) => ({ kind: 'ran' as const, outcome }),
        (error: unknown) => ({ kind: 'threw' as const, error }),
      ),
      c.stop.stopped,
    ]);
    if (ran.kind !== 'ran') {
      end.abandoned = ran.kind !== 'threw';
      end.status = await reportStop(report, ran, handle);
      return;
    }
    c.sandbox.restoreOutput();
    try {
      await reporter.report({
        type: 'done',
        value: ran.outcome.value,
        computeMs: ran.outcome.computeMs,
        stats: ran.outcome.stats,
        usage: meter.usage(),
        sentTo: ran.outcome.sentTo,
      });
      end.status = 'done';
    } catch (err) {
      // Encoding errors are MPIErrors (ERR_TYPE): the value, not the queue, is the problem.
      if (err instanceof MPIError) {
        await reportFailure(
          report,
          new Error(`rank ${rank} returned a value that cannot be sent back to the launcher: ${err.message}`),
        );
      }
    }
  }

  /** Tells the launcher, when the event names its control queue, why the event was refused. */
  async function tellRejected(rawEvent: unknown, err: unknown, meter: InvocationMeter): Promise<void> {
    const e = rawEvent as Record<string, unknown> | null;
    if (e === null || typeof e !== 'object') return;
    const { controlUrl, jobId, rank } = e;
    if (typeof controlUrl !== 'string' || typeof jobId !== 'string' || typeof rank !== 'number') return;
    if (!Number.isInteger(rank) || rank < 0) return;
    const reporter = new ControlReporter({ sqs: deps.sqs, controlUrl, jobId, rank });
    await reporter
      .notice({ type: 'rejected', error: describeError(rank, err), usage: meter.usage() })
      .catch(() => undefined);
  }
}

/** Loads a rank's job: a built-in from the bundle, or the launcher's bundle from S3 (which imports the runtime by alias). */
function rankJobLoader(
  deps: RankHandlerDeps,
): (e: RankEvent, count: (action: string) => void) => Promise<Job> {
  const workDir = deps.workDir ?? defaultWorkDir();
  let aliasInstalled = false;
  let loads = 0;
  return async (e, count) => {
    if ('builtin' in e.job) return loadBuiltinJob(e.job.builtin);
    if (!aliasInstalled) {
      installRuntimeAlias(deps.jobApi, workDir);
      aliasInstalled = true;
    }
    const { job } = await loadShippedJob({
      s3: deps.s3,
      bucket: deps.env.bucket,
      key: e.job.s3Key,
      hash: e.job.hash,
      workDir,
      onCall: count,
      instance: String(++loads),
    });
    return job;
  };
}

function eventArgs(event: RankEvent): JobArgs {
  if (event.argsCodec !== undefined)
    return decode(new Uint8Array(Buffer.from(event.argsCodec, 'base64'))) as JobArgs;
  return event.args ?? {};
}
