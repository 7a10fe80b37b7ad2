/**
 * The aws backend: every rank is one asynchronous invocation of the deployed rank function, and
 * every message travels over the job's SQS queues.
 *
 *   preflight   find the stack (outputs file or CloudFormation), check the account's and the
 *               function's concurrency can hold every rank at once — before creating anything
 *   ship        built-in jobs by name; job files uploaded to the bucket by content hash
 *   queues      one per rank plus the control queue
 *   fan out     `Invoke` (Event) from here, or through a two-level tree (fan-out-model.ts)
 *   follow      the control queue: started / output / done / failed, in order per rank
 *   stop        on the first failure, a timeout or Ctrl-C: an Abort frame to every rank's queue,
 *               then a short wait for the ranks to say they stopped
 *   teardown    always: delete every queue of the job (rank claims included) and its payloads
 */
import { isDeepStrictEqual } from 'node:util';
import { encode } from '../../codec/codec.js';
import {
  ERR_ABORTED,
  ERR_TIMEOUT,
  JobFailedError,
  MPIError,
  type RankErrorInfo,
  reviveError,
  UsageError,
} from '../../comm/errors.js';
import { claimQueueName } from '../../runtime/lambda/claim-rank.js';
import type {
  InvocationUsage,
  PendingCallInfo,
  RankNotice,
  RankReport,
} from '../../runtime/lambda/control-report.js';
import { invokeRanks } from '../../runtime/lambda/invoke-ranks.js';
import {
  RANK_EVENT_VERSION,
  type RankEvent,
  type RankJobRef,
  siblingQueueUrl,
} from '../../runtime/lambda/rank-event.js';
import type { RankStats } from '../../runtime/run-rank.js';
import { deleteJobObjects } from '../../transport/sqs/job-objects.js';
import { createJobQueues, deleteJobQueues, jobQueueName } from '../../transport/sqs/job-queues.js';
import { aggregateStats, type Launcher, type LaunchRequest, type LaunchResult } from '../launcher.js';
import { newJobId } from '../sqs/sqs-launcher.js';
import { abortRanks } from './abort-ranks.js';
import { type AwsClients, createAwsClients } from './aws-clients.js';
import { ControlFollower } from './control-follower.js';
import { costReport } from './cost-report.js';
import { type Deployment, DeploymentError, findDeployment, outputsFileFrom } from './deployment.js';
import { type FanOutPlan, type FanOutStrategy, planFanOut, treeAssignments } from './fan-out-model.js';
import { type ConcurrencyReport, checkConcurrency, readConcurrency } from './preflight.js';
import { type AwsService, explainSetupError } from './setup-error.js';
import { shipJob } from './ship-job.js';

export interface LambdaLauncherOptions {
  region?: string;
  profile?: string;
  /** CloudFormation stack name. Default `TsmpiCloud`. */
  stack?: string;
  /** A `cdk deploy --outputs-file` file to read the deployment from instead of CloudFormation. */
  outputsFile?: string;
  /** SQS/S3 emulator endpoint (LocalStack); Lambda and CloudFormation keep theirs. */
  endpoint?: string;
  /** How to start the ranks. Default `auto`: the fan-out model decides. */
  fanOut?: 'auto' | FanOutStrategy;
  /** Invoke calls in flight from this machine. Default 64. */
  invokeConcurrency?: number;
  /**
   * A rank that has not reported `started` this long after the last invocation was made fails
   * the job. Default 90 s: the stack's maximum event age (60 s, after which Lambda drops a
   * throttled event) plus a cold start.
   */
  startTimeoutMs?: number;
  /** After a failure, how long the ranks get to report that they stopped. Default 5 s. */
  stopGraceMs?: number;
  /** How long past a rank's Lambda deadline the launcher waits for its report. Default 10 s. */
  deadlineGraceMs?: number;
  /** After the job's --timeout, how long the ranks get to report what they were blocked in. Default 3 s. */
  timeoutGraceMs?: number;
  /** Injected clients (tests); the launcher then does not destroy them. */
  clients?: AwsClients;
}

const OPTION_KEYS = new Set([
  'region',
  'profile',
  'stack',
  'outputsFile',
  'endpoint',
  'fanOut',
  'invokeConcurrency',
  'startTimeoutMs',
  'stopGraceMs',
  'deadlineGraceMs',
  'timeoutGraceMs',
  'clients',
]);

/**
 * CreateQueue / DeleteQueue calls in flight at once. A 1,000-rank job creates 1,001 queues and
 * deletes 2,001 (its claims too): at one round trip each, this is what bounds setup and teardown.
 */
const QUEUE_CONCURRENCY = 128;

interface RankState {
  started: boolean;
  ended: boolean;
  done: boolean;
  value?: unknown;
  computeMs: number;
  stats?: RankStats;
  usage?: InvocationUsage;
  remainingMs?: number;
  memoryMb?: number;
  timeoutReport?: { pending: PendingCallInfo[] };
}

interface Failure {
  info: RankErrorInfo;
  errorcode?: number;
  cause?: Error;
}

/** What happened during the run phase, for the result or the failure's details. */
interface RunRecord {
  ranks: RankState[];
  usages: InvocationUsage[];
  duplicates: number;
  launcherInvokes: number;
  /** Calls the launcher made during the run (abort frames). */
  calls: Record<string, number>;
  firstStartedAt: number | undefined;
  allStartedAt: number | undefined;
  fanOutStart: number;
  fanOutEnd: number | undefined;
  follower: ControlFollower;
}

/** Adds `calls` into `into`. */
function addCalls(into: Record<string, number>, calls: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(calls)) into[k] = (into[k] ?? 0) + v;
}

/** Job args travel as JSON when JSON keeps them exactly, else as codec bytes. */
function eventArgs(args: Record<string, unknown>): Pick<RankEvent, 'args' | 'argsCodec'> {
  let json: unknown;
  try {
    json = JSON.parse(JSON.stringify(args));
  } catch {
    json = undefined;
  }
  if (isDeepStrictEqual(json, args)) return { args };
  return { argsCodec: Buffer.from(encode(args)).toString('base64') };
}

/**
 * Runs each rank as one Lambda invocation of the deployed stack. See the module comment for the
 * phases; every failure before the ranks start (no stack, no credentials, too little
 * concurrency) is a `UsageError` thrown before anything is created.
 *
 * @example
 * const res = await createLambdaLauncher({ stack: 'TsmpiCloud' }).launch(req);
 */
export class LambdaLauncher implements Launcher {
  readonly backend = 'aws' as const;
  readonly #o: LambdaLauncherOptions;

  constructor(options: LambdaLauncherOptions = {}) {
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.has(key)) {
        throw new UsageError(
          `Unknown option \`${key}\` of the aws launcher; known options: ${[...OPTION_KEYS].join(', ')}`,
        );
      }
    }
    if (options.fanOut !== undefined && !['auto', 'client', 'tree'].includes(options.fanOut)) {
      throw new UsageError(
        `Expected \`fanOut\` to be auto, client or tree, got \`${String(options.fanOut)}\``,
      );
    }
    if (options.endpoint !== undefined && !/^https?:\/\/./.test(options.endpoint)) {
      throw new UsageError(
        `Expected --endpoint to be a URL like http://127.0.0.1:4566, got \`${options.endpoint}\``,
      );
    }
    this.#o = options;
  }

  async launch(req: LaunchRequest): Promise<LaunchResult> {
    const o = this.#o;
    const t0 = performance.now();
    const clientOptions = {
      ...(o.profile === undefined ? {} : { profile: o.profile }),
      ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint }),
      maxSockets: Math.max(QUEUE_CONCURRENCY, o.invokeConcurrency ?? 64),
    };
    // Discovery uses the given region (or the profile's); everything else the stack's.
    const discovery =
      o.clients ??
      createAwsClients({ ...clientOptions, ...(o.region === undefined ? {} : { region: o.region }) });
    let clients = discovery;
    const jobId = newJobId();
    const launcherCalls: Record<string, number> = {};
    const timings: Record<string, number> = {};
    let deployment: Deployment | undefined;
    let queues: { queueUrls: string[]; controlUrl: string } | undefined;
    let record: RunRecord | undefined;
    const fanAbort = new AbortController();
    let fanOut: Promise<unknown> = Promise.resolve();

    let result: LaunchResult | undefined;
    let error: unknown;
    try {
      // --- Preflight: nothing is created until the deployment can run every rank. -----------
      deployment = await findDeployment({
        cloudformation: discovery.cloudformation,
        ...(o.stack === undefined ? {} : { stackName: o.stack }),
        ...(outputsFileFrom(o.outputsFile) === undefined
          ? {}
          : { outputsFile: outputsFileFrom(o.outputsFile)! }),
      }).catch((err: unknown) => {
        throw asUsage(err, 'reading the stack outputs (CloudFormation DescribeStacks)', o, 'CloudFormation');
      });
      launcherCalls.DescribeStacks = deployment.source === 'cloudformation' ? 1 : 0;
      if (o.region !== undefined && o.region !== deployment.region) {
        throw new UsageError(
          `stack ${deployment.stackName} is deployed in ${deployment.region}, not in --region ${o.region}: drop --region or name the right stack`,
        );
      }
      if (o.clients === undefined)
        clients = createAwsClients({ ...clientOptions, region: deployment.region });
      const concurrency = await readConcurrency(clients.lambda(), deployment.rankFunctionName).catch(
        (err: unknown) => {
          if ((err as Error).name === 'ResourceNotFoundException') {
            throw new DeploymentError(
              `the rank function ${deployment!.rankFunctionName} named by stack ${deployment!.stackName} does not exist ` +
                `in ${deployment!.region}: deploy the stack again with \`npx cdk deploy\` (or check --outputs-file)`,
            );
          }
          throw asUsage(err, `reading the concurrency of ${deployment!.rankFunctionName}`, o, 'Lambda');
        },
      );
      addCalls(launcherCalls, { GetAccountSettings: 1, GetFunctionConcurrency: 1 });
      checkConcurrency(req.ranks, concurrency, deployment);
      const plan = planFanOut(
        req.ranks,
        {
          latencyMs: concurrency.latencyMs,
          clientConcurrency: o.invokeConcurrency ?? 64,
          accountConcurrency: Math.max(1, concurrency.accountLimit),
        },
        o.fanOut === undefined || o.fanOut === 'auto' ? undefined : o.fanOut,
      );
      timings.preflightMs = performance.now() - t0;

      // --- Ship the job and create the queues, side by side. ---------------------------------
      const tShip = performance.now();
      const sqs = clients.sqs();
      const [shipped, created] = await Promise.allSettled([
        shipJob(req.job, clients.s3(), deployment.bucketName),
        createJobQueues({
          client: sqs,
          prefix: deployment.queuePrefix,
          jobId,
          size: req.ranks,
          control: true,
          concurrency: QUEUE_CONCURRENCY,
        }),
      ]);
      if (created.status === 'fulfilled')
        queues = created.value as { queueUrls: string[]; controlUrl: string };
      if (shipped.status === 'rejected')
        throw asUsage(shipped.reason, `uploading the job to s3://${deployment.bucketName}`, o, 'S3');
      if (created.status === 'rejected') throw asUsage(created.reason, 'creating the job queues', o);
      addCalls(launcherCalls, shipped.value.calls);
      addCalls(launcherCalls, { CreateQueue: req.ranks + 1, GetQueueAttributes: req.ranks + 1 });
      timings.shipAndQueuesMs = performance.now() - tShip;

      // --- Run. -------------------------------------------------------------------------------
      const run = this.#run(req, {
        clients,
        deployment,
        queues: queues!,
        jobId,
        job: shipped.value.ref,
        plan,
        concurrency,
        fanAbort,
        setFanOut: (p) => {
          fanOut = p;
        },
        setRecord: (r) => {
          record = r;
        },
      });
      result = await run;
    } catch (err) {
      error = err;
    }

    // --- Teardown, whatever happened. ---------------------------------------------------------
    const tTeardown = performance.now();
    fanAbort.abort();
    await fanOut.catch(() => undefined);
    await record?.follower.stop();
    if (queues !== undefined && deployment !== undefined) {
      const d = deployment;
      const q = queues;
      const claims = Array.from({ length: req.ranks }, (_, r) =>
        siblingQueueUrl(q.controlUrl, claimQueueName(d.queuePrefix, jobId, r)),
      );
      await Promise.all([
        deleteJobQueues({
          client: clients.sqs(),
          queueUrls: [...q.queueUrls, ...claims],
          controlUrl: q.controlUrl,
          concurrency: QUEUE_CONCURRENCY,
        })
          .then(() => addCalls(launcherCalls, { DeleteQueue: 2 * req.ranks + 1 }))
          .catch((err: unknown) => {
            process.emitWarning(`tsmpi-cloud: ${(err as Error).message}`);
          }),
        deleteJobObjects({ s3: clients.s3(), bucket: d.bucketName, jobId })
          .then(() => addCalls(launcherCalls, { ListObjectsV2: 1 }))
          .catch(() => undefined),
      ]);
    }
    if (o.clients === undefined) {
      clients.destroy();
      discovery.destroy();
    }
    const teardownMs = performance.now() - tTeardown;

    if (result === undefined) {
      if (error instanceof JobFailedError && record !== undefined) {
        throw new JobFailedError(error.rank, error.cause as Error, {
          ...(error.errorcode === undefined ? {} : { errorcode: error.errorcode }),
          details: {
            jobId,
            teardownMs,
            stats: this.#stats(req, record, launcherCalls, deployment!, undefined),
          },
        });
      }
      throw error;
    }
    result.timings.teardownMs = teardownMs;
    result.timings.totalMs = performance.now() - t0;
    Object.assign(result.timings, timings);
    const stats = this.#stats(req, record!, launcherCalls, deployment!, result.stats.perRank);
    Object.assign(result.stats, stats);
    return result;
  }

  /** Stats of a finished (or failed) job: data path, control path, Lambda and the cost report. */
  #stats(
    req: LaunchRequest,
    record: RunRecord,
    launcherCalls: Record<string, number>,
    deployment: Deployment,
    perRank: RankStats[] | undefined,
  ) {
    const finished = perRank ?? record.ranks.flatMap((r) => (r.stats === undefined ? [] : [r.stats]));
    const base = aggregateStats(finished);
    addCalls(launcherCalls, record.follower.calls);
    addCalls(launcherCalls, record.calls);
    launcherCalls.Invoke = record.launcherInvokes;
    const rankCalls: Record<string, number> = {};
    for (const u of record.usages) addCalls(rankCalls, u.calls);
    const childInvokes = rankCalls.Invoke ?? 0;
    const unreported = record.ranks.flatMap((r) =>
      r.started && r.usage === undefined
        ? [{ billedMs: r.remainingMs ?? 0, memoryMb: r.memoryMb ?? 1769 }]
        : [],
    );
    const cost = costReport({
      invocations: record.launcherInvokes + childInvokes + record.duplicates,
      usages: record.usages,
      unreported,
      perRank: finished,
      launcherCalls,
    });
    const calls = { ...base.calls };
    addCalls(calls, launcherCalls);
    addCalls(calls, rankCalls);
    return {
      calls,
      costUsd: cost.totalUsd,
      cost,
      aws: {
        stack: deployment.stackName,
        region: deployment.region,
        functionName: deployment.rankFunctionName,
        ranks: req.ranks,
        invocations: record.launcherInvokes + childInvokes + record.duplicates,
        duplicateInvocations: record.duplicates,
        duplicateReports: record.follower.duplicates,
        coldStarts: record.usages.filter((u) => u.initMs > 0).length,
      },
    };
  }

  #run(
    req: LaunchRequest,
    ctx: {
      clients: AwsClients;
      deployment: Deployment;
      queues: { queueUrls: string[]; controlUrl: string };
      jobId: string;
      job: RankJobRef;
      plan: FanOutPlan;
      concurrency: ConcurrencyReport;
      fanAbort: AbortController;
      setFanOut: (p: Promise<unknown>) => void;
      setRecord: (r: RunRecord) => void;
    },
  ): Promise<LaunchResult> {
    const o = this.#o;
    const n = req.ranks;
    const { clients, deployment, queues, jobId } = ctx;
    const stopGraceMs = o.stopGraceMs ?? 5_000;
    const deadlineGraceMs = o.deadlineGraceMs ?? 10_000;
    const timeoutGraceMs = o.timeoutGraceMs ?? 3_000;
    const startTimeoutMs = o.startTimeoutMs ?? 90_000;

    return new Promise<LaunchResult>((resolve, reject) => {
      const ranks: RankState[] = Array.from({ length: n }, () => ({
        started: false,
        ended: false,
        done: false,
        computeMs: 0,
      }));
      const timers = new Set<ReturnType<typeof setTimeout>>();
      const after = (ms: number, fn: () => void) => {
        const t = setTimeout(() => {
          timers.delete(t);
          fn();
        }, ms);
        timers.add(t);
        return t;
      };
      let startedCount = 0;
      let doneCount = 0;
      let settled = false;
      let failure: Failure | undefined;
      let timingOut = false;

      const follower = new ControlFollower({
        sqs: clients.sqs(),
        s3: clients.s3(),
        controlUrl: queues.controlUrl,
        jobId,
        size: n,
        onReport: (rank, report) => onReport(rank, report),
        onNotice: (rank, notice) => onNotice(rank, notice),
        onError: (err) => fail({ info: { rank: 0, message: err.message } }),
      });
      const record: RunRecord = {
        ranks,
        usages: [],
        duplicates: 0,
        launcherInvokes: 0,
        calls: {},
        firstStartedAt: undefined,
        allStartedAt: undefined,
        fanOutStart: performance.now(),
        fanOutEnd: undefined,
        follower,
      };
      ctx.setRecord(record);
      follower.start();

      const finish = (f?: Failure) => {
        if (settled) return;
        settled = true;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        req.signal?.removeEventListener('abort', onSignal);
        if (f !== undefined) {
          const cause = f.cause ?? reviveError(f.info);
          const code = f.errorcode ?? f.info.errorcode;
          reject(new JobFailedError(f.info.rank, cause, code === undefined ? {} : { errorcode: code }));
          return;
        }
        const startAt = record.fanOutStart;
        const allStarted = record.allStartedAt ?? performance.now();
        resolve({
          results: ranks.map((r) => r.value),
          timings: {
            startupMs: allStarted - startAt,
            computeMs: Math.max(0, ...ranks.map((r) => r.computeMs)),
            teardownMs: 0,
            totalMs: 0,
            launchMs: (record.fanOutEnd ?? performance.now()) - startAt,
            firstStartedMs: (record.firstStartedAt ?? allStarted) - startAt,
            allStartedMs: allStarted - startAt,
          },
          stats: aggregateStats(ranks.map((r) => r.stats!)),
        });
      };

      /** The first failure stops every rank; the job ends once they all said so, or after the grace. */
      const fail = (f: Failure) => {
        if (settled || failure !== undefined) return;
        failure = f;
        ctx.fanAbort.abort();
        void abortRanks({
          sqs: clients.sqs(),
          queueUrls: queues.queueUrls,
          src: Math.min(Math.max(0, f.info.rank), n - 1),
          errorcode: f.errorcode ?? f.info.errorcode ?? 1,
        }).then(({ sent, failed }) => addCalls(record.calls, { SendMessageBatch: sent + failed }));
        after(stopGraceMs, () => finish(f));
        checkAllStopped();
      };
      const checkAllStopped = () => {
        if (failure !== undefined && ranks.every((r) => !r.started || r.ended)) finish(failure);
      };

      const onSignal = () =>
        fail({
          info: { rank: 0, message: 'the job was interrupted (signal received); all ranks were stopped' },
        });
      if (req.signal?.aborted === true) {
        onSignal();
      } else req.signal?.addEventListener('abort', onSignal, { once: true });

      const progress = (phase: string) =>
        req.onProgress?.({ phase, started: startedCount, finished: doneCount, ranks: n });

      function onReport(rank: number, report: RankReport): void {
        const s = ranks[rank]!;
        switch (report.type) {
          case 'started': {
            if (s.started) return;
            s.started = true;
            s.remainingMs = report.remainingMs;
            s.memoryMb = report.memoryMb;
            startedCount++;
            const now = performance.now();
            record.firstStartedAt ??= now;
            if (startedCount === n) record.allStartedAt = now;
            // Backstop: a rank that computes without yielding cannot stop itself; Lambda kills it silently.
            after(report.remainingMs + deadlineGraceMs, () => {
              if (s.ended) return;
              s.ended = true; // Lambda has ended it: nothing more will come.
              fail({
                info: {
                  rank,
                  errorClass: ERR_TIMEOUT,
                  message:
                    `rank ${rank} reached its Lambda deadline (${(report.remainingMs / 1000).toFixed(1)} s after it started) ` +
                    'without reporting: it was computing without yielding to the event loop, so it could not stop ' +
                    "itself, and Lambda ended it; raise the stack's `timeout` (at most 15 minutes) or give each rank less work",
                },
              });
            });
            progress('started');
            return;
          }
          case 'output':
            for (const [stream, line] of report.lines) req.onOutput(rank, stream, line);
            return;
          case 'abort':
            fail({
              info: {
                rank,
                message: `rank ${rank} called abort(${report.errorcode})`,
                errorcode: report.errorcode,
                errorClass: ERR_ABORTED,
              },
              errorcode: report.errorcode,
            });
            return;
          case 'done':
            s.ended = true;
            s.done = true;
            s.value = report.value;
            s.computeMs = report.computeMs;
            s.stats = report.stats;
            s.usage = report.usage;
            record.usages.push(report.usage);
            doneCount++;
            progress('finished');
            if (doneCount === n && failure === undefined) finish();
            checkAllStopped();
            return;
          case 'failed':
            s.ended = true;
            s.usage = report.usage;
            record.usages.push(report.usage);
            if (report.stats !== undefined) s.stats = report.stats;
            if (report.timeout === 'job') {
              s.timeoutReport = { pending: report.pending ?? [] };
              onJobTimeout();
            } else {
              // A rank that only noticed another rank's abort: the job failed on the aborting rank.
              const e = report.error;
              fail({
                info:
                  e.abortRank === undefined
                    ? e
                    : {
                        ...e,
                        rank: e.abortRank,
                        message: `rank ${e.abortRank} called abort(${e.errorcode})`,
                      },
              });
            }
            checkAllStopped();
            return;
        }
      }

      function onNotice(rank: number, notice: RankNotice): void {
        record.usages.push(notice.usage);
        if (notice.type === 'duplicate') {
          record.duplicates++;
          return;
        }
        fail({
          info: {
            ...notice.error,
            rank,
            message: `the rank function refused the event of rank ${rank}: ${notice.error.message}`,
          },
        });
      }

      /** The job's --timeout: ranks stop themselves and say what they wait for; then the job fails. */
      function onJobTimeout(): void {
        if (timingOut || failure !== undefined || settled) return;
        timingOut = true;
        after(timeoutGraceMs, () => {
          const lines = ranks.map((r, i) => {
            if (r.done) return `rank ${i}: finished`;
            if (!r.started) return `rank ${i}: had not started`;
            const p = r.timeoutReport?.pending;
            if (p === undefined) return `rank ${i}: busy computing (not in an MPI call), did not answer`;
            if (p.length === 0) return `rank ${i}: running, not blocked in an MPI call`;
            return `rank ${i}: waiting in ${p.map((x) => `${x.call} for ${(x.forMs / 1000).toFixed(1)} s`).join(', ')}`;
          });
          const first = Math.max(
            0,
            ranks.findIndex((r) => !r.done),
          );
          const msg = `the job timed out after ${((req.timeoutMs ?? 0) / 1000).toFixed(1)} s:\n  ${lines.join('\n  ')}`;
          fail({
            info: { rank: first, message: msg, errorClass: ERR_TIMEOUT },
            cause: new MPIError(ERR_TIMEOUT, msg),
          });
        });
      }
      if (req.timeoutMs !== undefined) after(req.timeoutMs, onJobTimeout);

      // --- Fan out. -----------------------------------------------------------------------------
      const launchedAt = Date.now();
      const argsPart = eventArgs(req.args);
      const eventFor = (rank: number): RankEvent => ({
        v: RANK_EVENT_VERSION,
        jobId,
        rank,
        size: n,
        controlUrl: queues.controlUrl,
        job: ctx.job,
        ...argsPart,
        launchedAt: Date.now(),
        ...(req.timeoutMs === undefined ? {} : { deadlineMs: launchedAt + req.timeoutMs }),
        ...(req.optimize === undefined ? {} : { optimize: req.optimize }),
      });
      // Ranks derive their queue URLs from the control queue's: check that holds here.
      const derivable = queues.queueUrls.every(
        (u, r) => u === siblingQueueUrl(queues.controlUrl, jobQueueName(deployment.queuePrefix, jobId, r)),
      );
      const fullEvent = (rank: number): RankEvent =>
        derivable ? eventFor(rank) : { ...eventFor(rank), queueUrls: queues.queueUrls };

      const plan = ctx.plan;
      const heads = plan.strategy === 'tree' ? treeAssignments(n, Math.max(1, plan.heads)) : [];
      const spawnOf = new Map(heads.map((h) => [h.head, { from: h.from, to: h.to }]));
      const launchRanks = plan.strategy === 'tree' ? heads.map((h) => h.head) : ranks.map((_, r) => r);
      const fan = invokeRanks({
        lambda: clients.lambda(),
        functionName: deployment.rankFunctionName,
        ranks: launchRanks,
        eventFor: (rank) => {
          const spawn = spawnOf.get(rank);
          return spawn === undefined || spawn.from === spawn.to
            ? fullEvent(rank)
            : { ...fullEvent(rank), spawn };
        },
        concurrency: o.invokeConcurrency ?? 64,
        signal: ctx.fanAbort.signal,
        onInvoked: () => {
          record.launcherInvokes++;
        },
      }).then(
        () => {
          record.fanOutEnd = performance.now();
          after(startTimeoutMs, () => {
            const missing = ranks.findIndex((r) => !r.started);
            if (missing < 0) return;
            fail({
              info: {
                rank: missing,
                errorClass: ERR_TIMEOUT,
                message:
                  `rank ${missing} did not start within ${(startTimeoutMs / 1000).toFixed(0)} s of its invocation ` +
                  `(${startedCount} of ${n} ranks started): Lambda may be throttling ${deployment.rankFunctionName} ` +
                  '(other functions use the same concurrency; see `tsmpi-cloud doctor`), or its environment failed to ' +
                  "start (see the rank function's CloudWatch logs)",
              },
            });
          });
        },
        (err: unknown) =>
          fail({
            info: {
              rank: (err as { rank?: number }).rank ?? 0,
              message: (err as Error).message,
            },
          }),
      );
      ctx.setFanOut(fan);
    });
  }
}

/** {@link explainSetupError} with the launcher's endpoint and region. */
function asUsage(err: unknown, action: string, o: LambdaLauncherOptions, service: AwsService = 'SQS'): Error {
  return explainSetupError(err, {
    action,
    service,
    ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint }),
    ...(o.region === undefined ? {} : { region: o.region }),
  });
}

/**
 * The aws launcher for `run()`: region, profile, stack and endpoint from the run options; the
 * outputs file from TSMPI_OUTPUTS_FILE (the CLI's `--outputs-file` sets it).
 */
export function createLambdaLauncher(options: {
  region?: string;
  profile?: string;
  stack?: string;
  endpoint?: string;
}): LambdaLauncher {
  const o: LambdaLauncherOptions = {};
  if (options.region !== undefined) o.region = options.region;
  if (options.profile !== undefined) o.profile = options.profile;
  if (options.stack !== undefined) o.stack = options.stack;
  if (options.endpoint !== undefined) o.endpoint = options.endpoint;
  const outputsFile = outputsFileFrom(undefined);
  if (outputsFile !== undefined) o.outputsFile = outputsFile;
  return new LambdaLauncher(o);
}
