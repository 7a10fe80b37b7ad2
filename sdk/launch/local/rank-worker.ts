/**
 * Entry point of one rank's worker thread: attach to the memory fabric, load the job, run it,
 * report. Everything the launcher needs to know arrives as a RankMessage on the parent port.
 */
import { availableParallelism } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../../base/rank-error-info.js';
import { loadJob } from '../../runtime/load-job.js';
import { pendingCallsOf } from '../../runtime/pending-calls.js';
import { openRank, runRank } from '../../runtime/run-rank.js';
import type { Transport } from '../../transport/transport.js';
import type { LauncherMessage, RankMessage, RankWorkerData, TransportSpec } from './worker-protocol.js';

// Job bundles carry inline source maps: stack traces then name the user's .ts file and line.
process.setSourceMapsEnabled(true);

const data = workerData as RankWorkerData;
const port = parentPort!;
const post = (m: RankMessage) => port.postMessage(m);

async function makeTransport(spec: TransportSpec): Promise<Transport> {
  if (spec.kind === 'memory') {
    const { MemoryTransport } = await import('../../transport/memory/memory-transport.js');
    return new MemoryTransport(spec.fabric as never, data.rank);
  }
  const { createSqsRankTransport } = await import('./sqs-rank-transport.js');
  return createSqsRankTransport(spec, data.rank, data.size);
}

const transport = await makeTransport(data.transport);
// Ranks here are threads of one process: over SQS the cost model weighs their shared cores.
const handle = openRank(transport, (errorcode) => post({ type: 'abort', rank: data.rank, errorcode }), {
  ...(data.optimize === undefined ? {} : { optimize: data.optimize }),
  ...(data.record === undefined ? {} : { record: data.record }),
  ...(data.transport.kind === 'sqs'
    ? {
        sharedCpus: availableParallelism(),
        ...(data.transport.latency === undefined ? {} : { latency: data.transport.latency }),
      }
    : {}),
});

let go: () => void = () => undefined;
const released = new Promise<void>((resolve) => {
  go = resolve;
});

port.on('message', (m: LauncherMessage) => {
  if (m.type === 'go') go();
  if (m.type === 'peers-done') {
    for (const [k, rank] of m.ranks.entries()) handle.endpoint.peerFinished(rank, m.sent[k] ?? 0);
  }
  if (m.type === 'report') {
    post({ type: 'report', rank: data.rank, pending: pendingCallsOf(handle.endpoint) });
  }
});

try {
  const job = await loadJob(data.jobUrl, data.jobName);
  post({ type: 'started', rank: data.rank });
  await released;
  const outcome = await runRank(handle, job, data.args);
  try {
    post({
      type: 'done',
      rank: data.rank,
      value: outcome.value,
      computeMs: outcome.computeMs,
      stats: outcome.stats,
      sentTo: outcome.sentTo,
    });
  } catch (err) {
    throw new Error(
      `rank ${data.rank} returned a value that cannot be sent back to the launcher: ${(err as Error).message}`,
    );
  }
} catch (err) {
  post({ type: 'failed', rank: data.rank, error: describeError(data.rank, err) });
} finally {
  port.unref();
}
