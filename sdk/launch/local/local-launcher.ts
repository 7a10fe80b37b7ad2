import { Worker } from 'node:worker_threads';
import {
  ERR_ABORTED,
  ERR_TIMEOUT,
  JobFailedError,
  MPIError,
  type RankErrorInfo,
  reviveError,
} from '../../comm/errors.js';
import type { RankStats } from '../../runtime/run-rank.js';
import { createMemoryFabric } from '../../transport/memory/memory-transport.js';
import { aggregateStats, type Launcher, type LaunchRequest, type LaunchResult } from '../launcher.js';
import { LineSplitter } from '../line-splitter.js';
import type { LauncherMessage, RankMessage, RankWorkerData, TransportSpec } from './worker-protocol.js';

const WORKER_URL = new URL('./rank-worker.js', import.meta.url);
/** Node flags ranks inherit, less those that only make sense for the main script (`--input-type` breaks workers). */
const WORKER_EXEC_ARGV = process.execArgv.filter(
  (a) => !a.startsWith('--input-type') && a !== '-e' && a !== '--eval',
);
/** How long a timed-out job's ranks get to say what they are blocked in. */
const REPORT_GRACE_MS = 1000;

interface RankState {
  worker: Worker;
  started: boolean;
  done: boolean;
  value?: unknown;
  computeMs: number;
  stats?: RankStats;
  exited: boolean;
  stdout: LineSplitter;
  stderr: LineSplitter;
}

/**
 * Runs every rank as a worker thread of this process. The first rank to fail (throw, abort, exit,
 * crash) fails the job: every other worker is terminated at once. Messages go over whatever
 * transport `transportFor` describes: shared memory for the local backend, SQS for the sqs backend.
 */
export class ThreadLauncher {
  readonly #transportFor: (n: number) => TransportSpec;

  constructor(transportFor: (n: number) => TransportSpec) {
    this.#transportFor = transportFor;
  }

  launch(req: LaunchRequest): Promise<LaunchResult> {
    const t0 = performance.now();
    const n = req.ranks;
    const transport = this.#transportFor(n);
    const ranks: RankState[] = [];
    let startedCount = 0;
    let doneCount = 0;
    let allStartedAt = 0;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;

    return new Promise<LaunchResult>((resolve, reject) => {
      const exits: Promise<void>[] = [];

      const finish = async (failure?: { info: RankErrorInfo; errorcode?: number; cause?: Error }) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        req.signal?.removeEventListener('abort', onSignal);
        const tTeardown = performance.now();
        if (failure) for (const r of ranks) if (!r.exited) void r.worker.terminate();
        await Promise.all(exits);
        for (const r of ranks) {
          r.stdout.flush();
          r.stderr.flush();
        }
        const teardownMs = performance.now() - tTeardown;
        if (failure) {
          const cause = failure.cause ?? reviveError(failure.info);
          const opts: { errorcode?: number } = {};
          const code = failure.errorcode ?? failure.info.errorcode;
          if (code !== undefined) opts.errorcode = code;
          reject(new JobFailedError(failure.info.rank, cause, opts));
          return;
        }
        const computeMs = Math.max(0, ...ranks.map((r) => r.computeMs));
        resolve({
          results: ranks.map((r) => r.value),
          timings: {
            startupMs: allStartedAt - t0,
            computeMs,
            teardownMs,
            totalMs: performance.now() - t0,
          },
          stats: aggregateStats(ranks.map((r) => r.stats!)),
        });
      };

      const fail = (info: RankErrorInfo, extra: { errorcode?: number; cause?: Error } = {}) => {
        void finish({ info, ...extra });
      };

      const onSignal = () =>
        fail({ rank: 0, message: 'the job was interrupted (signal received); all ranks were stopped' });
      req.signal?.addEventListener('abort', onSignal, { once: true });

      for (let rank = 0; rank < n; rank++) {
        const workerData: RankWorkerData = {
          rank,
          size: n,
          jobUrl: req.job.url,
          jobName: req.job.name,
          args: req.args,
          transport,
          ...(req.optimize === undefined ? {} : { optimize: req.optimize }),
        };
        const worker = new Worker(WORKER_URL, {
          workerData,
          stdout: true,
          stderr: true,
          execArgv: WORKER_EXEC_ARGV,
        });
        const state: RankState = {
          worker,
          started: false,
          done: false,
          computeMs: 0,
          exited: false,
          stdout: new LineSplitter((line) => req.onOutput(rank, 'stdout', line)),
          stderr: new LineSplitter((line) => req.onOutput(rank, 'stderr', line)),
        };
        ranks.push(state);
        worker.stdout.on('data', (chunk: Buffer) => state.stdout.push(chunk));
        worker.stderr.on('data', (chunk: Buffer) => state.stderr.push(chunk));
        worker.on('message', (m: RankMessage) => {
          switch (m.type) {
            case 'started':
              state.started = true;
              startedCount++;
              if (startedCount === n) {
                allStartedAt = performance.now();
                for (const r of ranks) r.worker.postMessage({ type: 'go' } satisfies LauncherMessage);
              }
              req.onProgress?.({ phase: 'started', started: startedCount, finished: doneCount, ranks: n });
              break;
            case 'done':
              state.done = true;
              state.value = m.value;
              state.computeMs = m.computeMs;
              state.stats = m.stats;
              doneCount++;
              req.onProgress?.({ phase: 'finished', started: startedCount, finished: doneCount, ranks: n });
              break;
            case 'failed':
              // A rank that only noticed another rank's abort: the job failed on the aborting rank.
              fail(
                m.error.abortRank === undefined
                  ? m.error
                  : {
                      ...m.error,
                      rank: m.error.abortRank,
                      message: `rank ${m.error.abortRank} called abort(${m.error.errorcode})`,
                    },
              );
              break;
            case 'abort':
              fail(
                {
                  rank: m.rank,
                  message: `rank ${m.rank} called abort(${m.errorcode})`,
                  errorcode: m.errorcode,
                  errorClass: ERR_ABORTED,
                },
                { errorcode: m.errorcode },
              );
              break;
            case 'report':
              pendingReports.set(m.rank, m.pending);
              break;
          }
        });
        worker.on('error', (err) => fail({ ...describeThrown(rank, err) }));
        exits.push(
          new Promise<void>((res) =>
            worker.once('exit', (code) => {
              state.exited = true;
              if (!state.done && !settled) {
                fail({
                  rank,
                  message: `rank ${rank} exited with code ${code} before finishing its job (process.exit() in a job ends its rank)`,
                });
              }
              if (state.done && ranks.every((r) => r.done)) void finish();
              res();
            }),
          ),
        );
      }

      const pendingReports = new Map<number, { call: string; forMs: number }[]>();
      if (req.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          for (const r of ranks)
            if (!r.exited) r.worker.postMessage({ type: 'report' } satisfies LauncherMessage);
          setTimeout(() => {
            const lines = ranks.map((r, i) => {
              if (r.done) return `rank ${i}: finished`;
              const p = pendingReports.get(i);
              if (p === undefined) return `rank ${i}: busy computing (not in an MPI call), did not answer`;
              if (p.length === 0) return `rank ${i}: running, not blocked in an MPI call`;
              return `rank ${i}: waiting in ${p.map((x) => `${x.call} for ${(x.forMs / 1000).toFixed(1)} s`).join(', ')}`;
            });
            const firstBlocked = ranks.findIndex((r) => !r.done);
            const msg = `the job timed out after ${(req.timeoutMs! / 1000).toFixed(1)} s:\n  ${lines.join('\n  ')}`;
            fail(
              { rank: Math.max(0, firstBlocked), message: msg, errorClass: ERR_TIMEOUT },
              { cause: new MPIError(ERR_TIMEOUT, msg) },
            );
          }, REPORT_GRACE_MS).unref();
        }, req.timeoutMs);
      }
    });
  }
}

function describeThrown(rank: number, err: unknown): RankErrorInfo {
  if (err instanceof Error) {
    const info: RankErrorInfo = { rank, message: err.message, name: err.name };
    if (err.stack) info.stack = err.stack;
    return info;
  }
  return { rank, message: `rank ${rank} threw a non-Error value: ${String(err)}`, name: 'NonErrorThrown' };
}

/** The local backend: ranks are worker threads, messages go through shared memory. */
export class LocalLauncher implements Launcher {
  readonly backend = 'local' as const;
  readonly #threads: ThreadLauncher;

  constructor(options: { spinMicros?: number } = {}) {
    this.#threads = new ThreadLauncher((n) => ({
      kind: 'memory',
      fabric: createMemoryFabric(
        n,
        options.spinMicros === undefined ? {} : { spinMicros: options.spinMicros },
      ),
    }));
  }

  launch(req: LaunchRequest): Promise<LaunchResult> {
    return this.#threads.launch(req);
  }
}
