import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LineSplitter } from '../../base/line-splitter.js';
import type { RankErrorInfo } from '../../base/rank-error-info.js';
import { createMemoryFabric } from '../../transport/memory/memory-transport.js';
import { JobSupervisor } from '../job-supervisor.js';
import type { Launcher, LaunchRequest, LaunchResult } from '../launcher.js';
import { rankBundleUrl } from '../rank-bundle.js';
import type { LauncherMessage, RankMessage, RankWorkerData, TransportSpec } from './worker-protocol.js';

// From the rank bundle when built: each worker then reads a few files instead of ~90 modules.
const WORKER_URL = new URL(
  rankBundleUrl('launch/local/rank-worker.js') ?? new URL('./rank-worker.js', import.meta.url).href,
);
/**
 * Node flags the ranks get. Left to Node (undefined), a worker inherits the process's flags and
 * Node drops the process-wide ones (V8 flags, `--v8-pool-size`) itself. Only when a flag that
 * concerns the main script alone is present (`--input-type` breaks workers, `-e`) is a filtered
 * list passed, and then Node refuses the process-wide ones: see {@link newRankWorker}.
 */
const MAIN_SCRIPT_ONLY = (a: string) => a.startsWith('--input-type') || a === '-e' || a === '--eval';
let workerExecArgv: string[] | undefined = process.execArgv.some(MAIN_SCRIPT_ONLY)
  ? process.execArgv.filter((a) => !MAIN_SCRIPT_ONLY(a))
  : undefined;

/**
 * `new Worker` with {@link workerExecArgv}. An explicit execArgv that names a process-wide flag
 * (`node --stack-trace-limit=50 -e ...`) makes Node throw ERR_WORKER_INVALID_EXEC_ARGV, naming
 * the flags; those apply to the whole process anyway, so they are dropped and the list kept.
 */
function newRankWorker(options: ConstructorParameters<typeof Worker>[1] & object): Worker {
  for (;;) {
    try {
      return new Worker(WORKER_URL, {
        ...options,
        ...(workerExecArgv === undefined ? {} : { execArgv: workerExecArgv }),
      });
    } catch (err) {
      const m = /invalid execArgv flags: (.*)$/.exec(err instanceof Error ? err.message : '');
      const refused = new Set(m?.[1]?.split(', ') ?? []);
      const kept = workerExecArgv?.filter((a) => !refused.has(a));
      if (
        (err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV' ||
        kept === undefined ||
        kept.length === workerExecArgv?.length
      )
        throw err;
      workerExecArgv = kept;
    }
  }
}
/**
 * How many workers boot at once. Started all together, n isolates compete for the cores and for
 * V8's few platform threads (GC and compile helpers, 4 by default, shared by every isolate): the
 * kernel gives those threads 4/n of the CPU while every isolate waits on them, and 1,024 ranks did
 * not get past start-up in minutes. Booted workers wait idle for `go`, so only this many compete.
 */
const BOOT_WINDOW = Math.max(2, 2 * availableParallelism());
/** How long a timed-out job's ranks get to say what they are blocked in. */
const REPORT_GRACE_MS = 1000;

interface RankThread {
  worker: Worker;
  exited: Promise<void>;
  hasExited: boolean;
  /** It posted `done`: its job returned and it receives nothing more. */
  done: boolean;
  stdout: LineSplitter;
  stderr: LineSplitter;
}

/**
 * Tells the ranks still running which ranks returned and what each sent them, in one message per
 * rank per event-loop turn. One message per (finished, running) pair was n² postMessages, each
 * waking a thread: 1M at 1,024 ranks, where `run hello` then took many minutes.
 */
class FinishedRanks {
  readonly #threads: readonly RankThread[];
  #batch: { rank: number; sentTo: readonly number[] }[] = [];

  constructor(threads: readonly RankThread[]) {
    this.#threads = threads;
  }

  push(f: { rank: number; sentTo: readonly number[] }): void {
    if (this.#batch.push(f) === 1) setImmediate(() => this.#flush());
  }

  #flush(): void {
    const batch = this.#batch;
    this.#batch = [];
    const ranks = batch.map((f) => f.rank);
    for (const [i, t] of this.#threads.entries()) {
      if (t.done || t.hasExited) continue;
      const m: LauncherMessage = { type: 'peers-done', ranks, sent: batch.map((f) => f.sentTo[i] ?? 0) };
      t.worker.postMessage(m);
    }
  }
}

/**
 * Runs every rank as a worker thread of this process. The first rank to fail (throw, abort, exit,
 * crash) fails the job: every other worker is terminated at once. Messages go over whatever
 * transport `transportFor` describes: shared memory for the local backend, SQS for the sqs backend.
 * This class only turns worker messages and exits into {@link JobSupervisor} updates.
 */
export class ThreadLauncher {
  readonly #transportFor: (n: number) => TransportSpec;

  constructor(transportFor: (n: number) => TransportSpec) {
    this.#transportFor = transportFor;
  }

  /**
   * `watch`, when given, receives a function that fails the job with an error of the backend's own
   * (one not raised by a rank, e.g. a node's receiver), charged to the rank it names.
   */
  async launch(
    req: LaunchRequest,
    watch?: (fail: (rank: number, err: Error) => void) => void,
  ): Promise<LaunchResult> {
    const t0 = performance.now();
    const transport = this.#transportFor(req.ranks);
    const threads: RankThread[] = [];
    let tTeardown: number | undefined;
    // Spawned in rank order, at most BOOT_WINDOW booting at a time: threads[rank] is rank's.
    let nextRank = 0;
    let booting = 0;
    const post = (m: LauncherMessage) => {
      for (const t of threads) if (!t.hasExited) t.worker.postMessage(m);
    };
    const sup = new JobSupervisor({
      request: req,
      timeoutGraceMs: REPORT_GRACE_MS,
      ranksRunBeforeStarted: true,
      hooks: {
        // Ranks start together, so no rank's clock runs while others still boot.
        allStarted: () => post({ type: 'go' }),
        askPending: () => post({ type: 'report' }),
        stop: () => {
          tTeardown = performance.now();
          for (const t of threads) if (!t.hasExited) void t.worker.terminate();
          // Ranks not yet spawned never will be: nothing of theirs to wait for.
          const firstUnspawned = threads.length;
          nextRank = req.ranks;
          for (let rank = firstUnspawned; rank < req.ranks; rank++) sup.update(rank, { type: 'exited' });
        },
        teardown: async () => {
          tTeardown ??= performance.now();
          await Promise.all(threads.map((t) => t.exited));
          for (const t of threads) {
            t.stdout.flush();
            t.stderr.flush();
          }
        },
      },
    });
    watch?.((rank, err) => sup.fail({ info: describeThrown(rank, err) }));
    const finished = new FinishedRanks(threads);
    const spawnMore = () => {
      while (nextRank < req.ranks && booting < BOOT_WINDOW) {
        booting++;
        const rank = nextRank++;
        threads.push(
          this.#spawn(req, rank, transport, sup, finished, () => {
            booting--;
            spawnMore();
          }),
        );
      }
    };
    spawnMore();
    sup.start();
    const run = await sup.outcome;
    const teardownMs = performance.now() - (tTeardown ?? performance.now());
    return {
      results: run.results,
      timings: {
        startupMs: (run.allStartedAt ?? 0) - t0,
        computeMs: run.computeMs,
        teardownMs,
        totalMs: performance.now() - t0,
      },
      stats: run.stats,
    };
  }

  /** Starts the worker of one rank and wires its messages, output and exit to `sup`. */
  #spawn(
    req: LaunchRequest,
    rank: number,
    transport: TransportSpec,
    sup: JobSupervisor,
    finished: FinishedRanks,
    /** Called once, when the rank has booted (`started`) or exited before that. */
    booted: () => void,
  ): RankThread {
    let bootOver = false;
    const bootEnded = () => {
      if (bootOver) return;
      bootOver = true;
      booted();
    };
    const workerData: RankWorkerData = {
      rank,
      size: req.ranks,
      jobUrl: req.job.url,
      jobName: req.job.name,
      args: req.args,
      transport,
      ...(req.optimize === undefined ? {} : { optimize: req.optimize }),
      ...(req.record === undefined ? {} : { record: req.record }),
    };
    const worker = newRankWorker({
      workerData,
      stdout: true,
      stderr: true,
      ...(req.env === undefined ? {} : { env: { ...process.env, ...req.env } }),
    });
    const thread: RankThread = {
      worker,
      exited: Promise.resolve(),
      hasExited: false,
      done: false,
      stdout: new LineSplitter((line) => sup.update(rank, { type: 'output', stream: 'stdout', line })),
      stderr: new LineSplitter((line) => sup.update(rank, { type: 'output', stream: 'stderr', line })),
    };
    worker.stdout.on('data', (chunk: Buffer) => thread.stdout.push(chunk));
    worker.stderr.on('data', (chunk: Buffer) => thread.stderr.push(chunk));
    worker.on('message', (m: RankMessage) => {
      switch (m.type) {
        case 'started':
          sup.update(rank, { type: 'started' });
          return bootEnded();
        case 'done':
          // The others learn what this rank sent them: a receive only it could serve then fails
          // once all of that has arrived, instead of hanging.
          thread.done = true;
          finished.push({ rank, sentTo: m.sentTo });
          return sup.update(rank, { type: 'done', value: m.value, computeMs: m.computeMs, stats: m.stats });
        case 'failed':
          return sup.update(rank, { type: 'failed', error: m.error });
        case 'abort':
          return sup.update(rank, { type: 'abort', errorcode: m.errorcode });
        case 'report':
          return sup.update(rank, { type: 'pending', pending: m.pending });
      }
    });
    worker.on('error', (err) => sup.fail({ info: describeThrown(rank, err) }));
    thread.exited = new Promise<void>((resolve) =>
      worker.once('exit', (code) => {
        thread.hasExited = true;
        bootEnded();
        sup.update(rank, {
          type: 'exited',
          // The exit code is the rank's errorcode, as abort(code)'s is.
          error: {
            message: `rank ${rank} exited with code ${code} before finishing its job (process.exit() in a job ends its rank)`,
            errorcode: code,
          },
        });
        resolve();
      }),
    );
    return thread;
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
      // Packed: each worker's copy of the fabric is one buffer, not n (n² in all).
      fabric: createMemoryFabric(n, {
        packed: true,
        ...(options.spinMicros === undefined ? {} : { spinMicros: options.spinMicros }),
      }),
    }));
  }

  launch(req: LaunchRequest): Promise<LaunchResult> {
    return this.#threads.launch(req);
  }
}
