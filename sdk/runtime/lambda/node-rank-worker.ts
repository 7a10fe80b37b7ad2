/**
 * One rank of a Lambda node, in its own worker thread (so K ranks use the invocation's K vCPUs):
 * today's per-rank flow (job sandbox, job load, `started`, run, `done`/`failed`, a stop a safety
 * margin before Lambda's deadline or at the job's --timeout) over a `NodeTransport`: shared memory
 * with the node's other ranks, the node queues to other nodes. Reports go to the node's main
 * thread (`node-invocation.ts`), which owns the control reporters and sends them.
 *
 * The main thread receives this rank's inbound frames from other nodes (the node's router); a
 * worker that dies unreported is reported failed by it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decode } from '../../codec/codec.js';
import type { Job, JobArgs } from '../../jobs/define-job.js';
import type { MemoryFabric } from '../../transport/memory/memory-fabric.js';
import { NodePlan } from '../../transport/node/node-plan.js';
import { createNodeRank } from '../../transport/node/sqs-nodes.js';
import { createSqsClients } from '../../transport/sqs/clients.js';
import { openRank, type RankHandle, runRank } from '../run-rank.js';
import { unsendableReturn } from '../unsendable-return.js';
import { abortReport, type InvocationUsage, type RankReport } from './control-report.js';
import { installRuntimeAlias, loadBuiltinJob, loadShippedJob } from './job-module.js';
import { enterJobSandbox } from './job-sandbox.js';
import type { NodeRankData, NodeRankMessage } from './node-protocol.js';
import { rankQueueUrls } from './rank-event.js';
import { RankStop, safetyMarginMs } from './rank-stop.js';
import { reportFailure, reportStop, type StopReportContext } from './stop-report.js';

/**
 * Runs this worker's rank; resolves once its last report is posted. `jobApi` is what
 * `import ... from 'tsmpi-cloud'` gives a shipped job (the worker entry injects it, as
 * `functions/rank.ts` does for the handler).
 */
export async function runNodeRankWorker(jobApi: Readonly<Record<string, unknown>>): Promise<void> {
  const data = workerData as NodeRankData;
  const port = parentPort;
  if (port === null) throw new Error('runNodeRankWorker: not in a worker thread');
  const { event, rank } = data;
  const calls: Record<string, number> = {};
  const count = (action: string) => {
    calls[action] = (calls[action] ?? 0) + 1;
  };
  const post = (m: NodeRankMessage) => port.postMessage(m);
  const reporter = {
    report: (report: RankReport): Promise<void> => {
      post({ type: 'report', report, calls: { ...calls } });
      return Promise.resolve();
    },
  };
  // The node's main thread puts the node's usage in its place.
  const usage = (): InvocationUsage => ({ durationMs: 0, initMs: 0, memoryMb: data.memoryMb, calls: {} });

  const stop = new RankStop();
  const startedAt = performance.now() - data.elapsedMs;
  const marginMs = stop.armDeadlines({
    remainingMs: data.deadlineAt - Date.now(),
    marginOf: safetyMarginMs,
    event,
    startedAt,
  });
  const report: StopReportContext = { rank, reporter, usage, marginMs };
  // The thread is this rank's alone: an error nothing handles is the job's, reported as a throw
  // would be (without a listener Node would end the thread, and the job's patched
  // process.exit would turn that into a second error).
  process.on('unhandledRejection', (error) =>
    stop.stop({ kind: 'error', error, what: 'an unhandled promise rejection in the job' }),
  );
  process.on('uncaughtException', (error) =>
    stop.stop({
      kind: 'error',
      error,
      what: 'an uncaught exception in the job (thrown by a callback nothing guarded)',
    }),
  );
  const sandbox = enterJobSandbox({
    rank,
    onLine: (stream, line) => post({ type: 'output', stream, line }),
    passThrough: data.passThroughOutput,
    ...(data.event.env === undefined ? {} : { env: data.event.env }),
  });
  const { sqs, s3 } = createSqsClients({
    ...(data.endpoint === undefined ? {} : { endpoint: data.endpoint }),
    ...(data.region === undefined ? {} : { region: data.region }),
    maxSockets: 64,
  });
  try {
    const loaded = await Promise.race([
      loadJob().then(
        (job) => ({ kind: 'loaded' as const, job }),
        (error: unknown) => ({ kind: 'threw' as const, error }),
      ),
      stop.stopped,
    ]);
    if (loaded.kind !== 'loaded') {
      await reportStop(report, loaded, undefined);
      return;
    }
    await reporter.report({
      type: 'started',
      remainingMs: data.deadlineAt - Date.now(),
      memoryMb: data.memoryMb,
      cold: false,
      eventAgeMs: Date.now() - event.launchedAt,
    });
    const plan = new NodePlan(event.size, event.ranksPerNode ?? 1);
    const transport = createNodeRank({
      rank,
      plan,
      fabric: data.fabric as MemoryFabric,
      queues: {
        nodeUrls: rankQueueUrls(event, data.queuePrefix),
        sqs,
        s3,
        bucket: data.bucket,
        jobId: event.jobId,
        ...(data.endpoint === undefined ? {} : { binaryAccounting: 'base64' as const }),
      },
    });
    const handle: RankHandle = openRank(
      transport,
      (errorcode, stack) => void reporter.report(abortReport(errorcode, stack)),
      {
        ...(event.optimize === undefined ? {} : { optimize: event.optimize }),
        ...(event.record === undefined ? {} : { record: event.record }),
      },
    );
    const ran = await Promise.race([
      runRank(handle, loaded.job, jobArgs()).then(
        (outcome) => ({ kind: 'ran' as const, outcome }),
        (error: unknown) => ({ kind: 'threw' as const, error }),
      ),
      stop.stopped,
    ]);
    if (ran.kind !== 'ran') {
      await reportStop(report, ran, handle);
      return;
    }
    sandbox.restoreOutput();
    const done: RankReport = {
      type: 'done',
      value: ran.outcome.value,
      computeMs: ran.outcome.computeMs,
      stats: ran.outcome.stats,
      usage: usage(),
      sentTo: ran.outcome.sentTo,
    };
    try {
      await reporter.report(done);
    } catch (err) {
      // postMessage refuses what structured clone cannot copy (a function, a symbol).
      await reportFailure(report, unsendableReturn(rank, ran.outcome.value, err));
    }
  } finally {
    stop.dispose();
    sandbox.leave();
    sandbox.clearLeftovers();
    sqs.destroy();
    s3.destroy();
  }

  async function loadJob(): Promise<Job> {
    if ('builtin' in event.job) return loadBuiltinJob(event.job.builtin);
    installRuntimeAlias(jobApi, data.workDir);
    const { job } = await loadShippedJob({
      s3,
      bucket: data.bucket,
      key: event.job.s3Key,
      hash: event.job.hash,
      workDir: data.workDir,
      onCall: count,
    });
    return job;
  }

  function jobArgs(): JobArgs {
    if (event.argsCodec !== undefined)
      return decode(new Uint8Array(Buffer.from(event.argsCodec, 'base64'))) as JobArgs;
    return event.args ?? {};
  }
}
