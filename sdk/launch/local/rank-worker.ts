/**
 * Entry point of a worker thread that runs one rank, or several (`ranks` in the worker data, when
 * a job has many more ranks than cores): attach to the memory fabric, load the job, run it,
 * report. Everything the launcher needs to know arrives as a RankMessage on the parent port.
 *
 * Several ranks in one thread run side by side on its event loop, each with its own endpoint,
 * communicator and instance of the job module (its module state is its own, as in a thread of
 * its own). What one of them prints is routed to it by the job module on the stack as it writes
 * (see `rank-output-router.ts`), and `process.exit` ends the rank that called it, as it would in its
 * own thread: the worker reports that rank and ends.
 */
import { availableParallelism } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../../base/rank-error-info.js';
import { shareThread } from '../../comm/shared-thread.js';
import { loadJob } from '../../runtime/load-job.js';
import { pendingCallsOf } from '../../runtime/pending-calls.js';
import { openRank, type RankHandle, recordedSoFar, runRank } from '../../runtime/run-rank.js';
import { unsendableReturn } from '../../runtime/unsendable-return.js';
import type { Transport } from '../../transport/transport.js';
import { RANK_QUERY, rankOfError, routeRankOutput } from './rank-output-router.js';
import type { LauncherMessage, RankMessage, RankWorkerData, TransportSpec } from './worker-protocol.js';

// Job bundles carry inline source maps: stack traces then name the user's .ts file and line.
process.setSourceMapsEnabled(true);

const data = workerData as RankWorkerData;
const port = parentPort!;
const post = (m: RankMessage) => port.postMessage(m);
const ranks = Array.from({ length: data.count ?? 1 }, (_, i) => data.rank + i);
const shared = ranks.length > 1;
const router = shared ? routeRankOutput(post) : undefined;
if (shared) {
  shareThread(ranks[0]!, ranks[ranks.length - 1]!);
  // An error nothing handles (thrown in a job's timer, a rejection nobody awaits) would end the
  // thread, and the launcher could only blame the thread's first rank: report it as the failure
  // of the rank whose code raised it, and let the launcher stop the job as for any failed rank.
  const stray = (err: unknown) => {
    const rank = rankOfError(err) ?? ranks[0]!;
    post({ type: 'failed', rank, error: describeError(rank, err) });
  };
  process.on('uncaughtException', stray);
  process.on('unhandledRejection', stray);
}

async function makeTransport(spec: TransportSpec, rank: number): Promise<Transport> {
  if (spec.kind === 'memory') {
    const { MemoryTransport } = await import('../../transport/memory/memory-transport.js');
    return new MemoryTransport(spec.fabric as never, rank);
  }
  const { createSqsRankTransport } = await import('./sqs-rank-transport.js');
  return createSqsRankTransport(spec, rank, data.size);
}

async function open(rank: number): Promise<RankHandle> {
  const transport = await makeTransport(data.transport, rank);
  // Ranks here are threads of one process: over SQS the cost model weighs their shared cores.
  // An abort stops the job at once: what the rank recorded (--trace, --profile) goes with it.
  // A microtask later: `abort` runs inside the tracer's record of the call, which then records it.
  const onAbort = (errorcode: number, stack: string | undefined) => {
    queueMicrotask(() => {
      const stats = recordedSoFar(handle);
      post({ type: 'abort', rank, errorcode, stack, ...(stats === undefined ? {} : { stats }) });
    });
  };
  const handle: RankHandle = openRank(transport, onAbort, {
    ...(data.optimize === undefined ? {} : { optimize: data.optimize }),
    ...(data.record === undefined ? {} : { record: data.record }),
    ...(data.transport.kind === 'sqs'
      ? {
          sharedCpus: availableParallelism(),
          ...(data.transport.latency === undefined ? {} : { latency: data.transport.latency }),
        }
      : {}),
  });
  return handle;
}

const handles: RankHandle[] = [];
for (const rank of ranks) handles.push(await open(rank));
const finished = new Array<boolean>(ranks.length).fill(false);

let go: () => void = () => undefined;
const released = new Promise<void>((resolve) => {
  go = resolve;
});

/**
 * Resolves once everything written to `stream` so far has reached the launcher: a worker's
 * stdout hands its writes over one batch at a time, and the rest waits in the stream, where
 * terminating the worker would lose it (the lines a rank printed just before it failed, say).
 */
function handedOver(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => stream.write('', () => resolve()));
}

port.on('message', (m: LauncherMessage) => {
  if (m.type === 'flush') {
    void Promise.all([handedOver(process.stdout), handedOver(process.stderr)]).then(() =>
      post({ type: 'flushed' }),
    );
  }
  if (m.type === 'go') go();
  if (m.type === 'peers-done') {
    for (const [j, handle] of handles.entries()) {
      if (finished[j]) continue;
      for (const [k, rank] of m.ranks.entries()) handle.endpoint.peerFinished(rank, m.sent[k]?.[j] ?? 0);
    }
  }
  if (m.type === 'report') {
    for (const [j, handle] of handles.entries()) {
      const stats = m.stats === false ? undefined : recordedSoFar(handle);
      post({
        type: 'report',
        rank: ranks[j]!,
        pending: pendingCallsOf(handle.endpoint),
        ...(stats === undefined ? {} : { stats }),
      });
    }
  }
});

async function runOne(j: number): Promise<void> {
  const rank = ranks[j]!;
  const handle = handles[j]!;
  /** Posted already (before the endpoint closed, see `runRank`). */
  let reported = false;
  const reportFailure = (err: unknown) => {
    if (reported) return;
    reported = true;
    finished[j] = true;
    const stats = recordedSoFar(handle);
    post({
      type: 'failed',
      rank,
      error: describeError(rank, err),
      ...(stats === undefined ? {} : { stats }),
    });
  };
  try {
    // A rank of a shared thread gets an instance of the job module of its own.
    const url = shared ? instanceUrl(data.jobUrl, rank) : data.jobUrl;
    const job = await loadJob(url, data.jobName);
    post({ type: 'started', rank });
    await released;
    const outcome = await runRank(handle, job, data.args, reportFailure);
    finished[j] = true;
    try {
      post({
        type: 'done',
        rank,
        value: outcome.value,
        computeMs: outcome.computeMs,
        stats: outcome.stats,
        sentTo: outcome.sentTo,
      });
    } catch (err) {
      throw unsendableReturn(rank, outcome.value, err);
    }
  } catch (err) {
    reportFailure(err);
  }
}

/** `url` with a query naming `rank`, so each rank's import is a module instance of its own. */
function instanceUrl(url: string, rank: number): string {
  if (!url.startsWith('file:')) return url;
  const u = new URL(url);
  u.searchParams.set(RANK_QUERY, String(rank));
  return u.href;
}

try {
  await Promise.all(ranks.map((rank, j) => (router ? router.run(rank, () => runOne(j)) : runOne(j))));
} finally {
  port.unref();
}
