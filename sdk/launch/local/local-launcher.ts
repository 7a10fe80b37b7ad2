import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { UsageError } from '../../base/errors.js';
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
/**
 * How often the ranks are asked what they wait in, to catch collectives that do not match where
 * no message flows to reveal it (see `SupervisorOptions.mismatchWatchMs`): an answer costs a
 * thread a message and a look at its pending calls.
 */
const MISMATCH_WATCH_MS = 2000;

/** A worker thread and the ranks it runs: `first` .. `first + count - 1`. */
interface RankThread {
  worker: Worker;
  first: number;
  count: number;
  exited: Promise<void>;
  hasExited: boolean;
  /** `done[j]`: rank first + j posted `done`: its job returned and it receives nothing more. */
  done: boolean[];
  /** The thread's own streams: its rank's output, or (several ranks) output from outside any rank. */
  stdout: LineSplitter;
  stderr: LineSplitter;
  /** Output the ranks of a thread of several sent as messages, by rank. */
  routed: Map<number, { stdout: LineSplitter; stderr: LineSplitter }>;
  /** While the job stops: terminates the worker if it has not answered `flush` by then. */
  stopTimer?: NodeJS.Timeout;
}

/**
 * How long a stopping job waits for a worker to hand over what its ranks printed (see `flush`)
 * before terminating it anyway: a worker whose rank runs a loop that never yields cannot answer.
 */
const STOP_GRACE_MS = 300;

/** Stops a worker once what its ranks printed is in (`flushed`), or after STOP_GRACE_MS. */
function stopThread(t: RankThread): void {
  if (t.hasExited || t.stopTimer !== undefined) return;
  t.stopTimer = setTimeout(() => void t.worker.terminate(), STOP_GRACE_MS);
  t.worker.postMessage({ type: 'flush' } satisfies LauncherMessage);
}

/**
 * Tells the ranks still running which ranks returned and what each sent them, in one message per
 * thread per event-loop turn. One message per (finished, running) pair was n² postMessages, each
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
    for (const t of this.#threads) {
      if (t.hasExited || t.done.every((d) => d)) continue;
      const sent = batch.map((f) => Array.from({ length: t.count }, (_, j) => f.sentTo[t.first + j] ?? 0));
      const m: LauncherMessage = { type: 'peers-done', ranks, sent };
      t.worker.postMessage(m);
    }
  }
}

/**
 * Runs every rank in a worker thread of this process: one rank per thread, or several when
 * `ranksPerThread` says so for a job's size (each still has its own endpoint, communicator and
 * job module instance; see `rank-worker.ts`). The first rank to fail (throw, abort, exit, crash)
 * fails the job: every other worker is stopped (what its ranks printed is handed over first, see
 * `stopThread`), then terminated. Messages go over whatever transport
 * `transportFor` describes: shared memory for the local backend, SQS for the sqs backend. This
 * class only turns worker messages and exits into {@link JobSupervisor} updates.
 */
export class ThreadLauncher {
  readonly #transportFor: (n: number) => TransportSpec;
  readonly #ranksPerThread: (n: number) => number;

  constructor(transportFor: (n: number) => TransportSpec, ranksPerThread: (n: number) => number = () => 1) {
    this.#transportFor = transportFor;
    this.#ranksPerThread = ranksPerThread;
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
    const per = threadShare(req.ranks, this.#ranksPerThread(req.ranks));
    const threads: RankThread[] = [];
    let tTeardown: number | undefined;
    // Spawned in rank order, at most BOOT_WINDOW booting at a time: threads[w] runs ranks w*per...
    let nextRank = 0;
    let booting = 0;
    const post = (m: LauncherMessage) => {
      for (const t of threads) if (!t.hasExited) t.worker.postMessage(m);
    };
    const sup = new JobSupervisor({
      request: req,
      timeoutGraceMs: REPORT_GRACE_MS,
      mismatchWatchMs: MISMATCH_WATCH_MS,
      // Shared memory: a send completes once its frame is in the destination's ring.
      deliveredOnSend: transport.kind === 'memory',
      ranksRunBeforeStarted: true,
      ranksPerThread: per,
      hooks: {
        // Ranks start together, so no rank's clock runs while others still boot.
        allStarted: () => post({ type: 'go' }),
        askPending: (withStats) =>
          post({ type: 'report', ...(withStats === false ? { stats: false as const } : {}) }),
        stop: () => {
          tTeardown = performance.now();
          for (const t of threads) stopThread(t);
          // Ranks not yet spawned never will be: nothing of theirs to wait for.
          const firstUnspawned = nextRank;
          nextRank = req.ranks;
          for (let rank = firstUnspawned; rank < req.ranks; rank++) sup.update(rank, { type: 'exited' });
        },
        teardown: async () => {
          tTeardown ??= performance.now();
          await Promise.all(threads.map((t) => t.exited));
          for (const t of threads) {
            t.stdout.flush();
            t.stderr.flush();
            for (const r of t.routed.values()) {
              r.stdout.flush();
              r.stderr.flush();
            }
          }
        },
      },
    });
    watch?.((rank, err) => sup.fail({ info: describeThrown(rank, err) }));
    const finished = new FinishedRanks(threads);
    const spawnMore = () => {
      while (nextRank < req.ranks && booting < BOOT_WINDOW) {
        booting++;
        const first = nextRank;
        const count = Math.min(per, req.ranks - first);
        nextRank += count;
        threads.push(
          this.#spawn(req, first, count, transport, sup, finished, () => {
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

  /** Starts the worker of ranks `first` .. `first + count - 1` and wires its messages, output and exit to `sup`. */
  #spawn(
    req: LaunchRequest,
    first: number,
    count: number,
    transport: TransportSpec,
    sup: JobSupervisor,
    finished: FinishedRanks,
    /** Called once, when all its ranks have booted (`started`) or it exited before that. */
    booted: () => void,
  ): RankThread {
    let bootOver = false;
    let startedRanks = 0;
    const bootEnded = () => {
      if (bootOver) return;
      bootOver = true;
      booted();
    };
    const workerData: RankWorkerData = {
      rank: first,
      ...(count === 1 ? {} : { count }),
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
    const lines = (rank: number, stream: 'stdout' | 'stderr') =>
      new LineSplitter((line) => sup.update(rank, { type: 'output', stream, line }));
    const thread: RankThread = {
      worker,
      first,
      count,
      exited: Promise.resolve(),
      hasExited: false,
      done: new Array<boolean>(count).fill(false),
      stdout: lines(first, 'stdout'),
      stderr: lines(first, 'stderr'),
      routed: new Map(),
    };
    const routed = (rank: number) => {
      let r = thread.routed.get(rank);
      if (r === undefined) {
        r = { stdout: lines(rank, 'stdout'), stderr: lines(rank, 'stderr') };
        thread.routed.set(rank, r);
      }
      return r;
    };
    worker.stdout.on('data', (chunk: Buffer) => thread.stdout.push(chunk));
    worker.stderr.on('data', (chunk: Buffer) => thread.stderr.push(chunk));
    let exitedRank: { rank: number; code: number } | undefined;
    worker.on('message', (m: RankMessage) => {
      switch (m.type) {
        case 'started':
          sup.update(m.rank, { type: 'started' });
          if (++startedRanks === count) bootEnded();
          return;
        case 'done': {
          // The others learn what this rank sent them: a receive only it could serve then fails
          // once all of that has arrived, instead of hanging.
          thread.done[m.rank - first] = true;
          const r = thread.routed.get(m.rank);
          r?.stdout.flush();
          r?.stderr.flush();
          finished.push({ rank: m.rank, sentTo: m.sentTo });
          return sup.update(m.rank, { type: 'done', value: m.value, computeMs: m.computeMs, stats: m.stats });
        }
        case 'failed':
          return sup.update(m.rank, {
            type: 'failed',
            error: m.error,
            ...(m.stats === undefined ? {} : { stats: m.stats }),
          });
        case 'abort':
          return sup.update(m.rank, {
            type: 'abort',
            errorcode: m.errorcode,
            stack: m.stack,
            ...(m.stats === undefined ? {} : { stats: m.stats }),
          });
        case 'report':
          return sup.update(m.rank, {
            type: 'pending',
            pending: m.pending,
            ...(m.stats === undefined ? {} : { stats: m.stats }),
          });
        case 'output':
          return routed(m.rank)[m.stream].push(Buffer.from(m.text));
        case 'exit':
          exitedRank = { rank: m.rank, code: m.code };
          return;
        case 'flushed':
          clearTimeout(thread.stopTimer);
          void worker.terminate();
          return;
      }
    });
    worker.on('error', (err) => sup.fail({ info: describeThrown(exitedRank?.rank ?? first, err) }));
    const exitError = (rank: number, code: number) => ({
      // The exit code is the rank's errorcode, as abort(code)'s is.
      message: `rank ${rank} exited with code ${code} before finishing its job (process.exit() in a job ends its rank)`,
      errorcode: code,
    });
    thread.exited = new Promise<void>((resolve) =>
      worker.once('exit', (code) => {
        thread.hasExited = true;
        clearTimeout(thread.stopTimer);
        bootEnded();
        for (const r of thread.routed.values()) {
          r.stdout.flush();
          r.stderr.flush();
        }
        // The rank that called process.exit first, then the ranks its thread took with it.
        if (exitedRank !== undefined)
          sup.update(exitedRank.rank, { type: 'exited', error: exitError(exitedRank.rank, exitedRank.code) });
        for (let rank = first; rank < first + count; rank++) {
          if (rank === exitedRank?.rank) continue;
          sup.update(rank, {
            type: 'exited',
            error:
              exitedRank === undefined
                ? exitError(rank, code)
                : {
                    message: `rank ${rank} ended with rank ${exitedRank.rank}, which called process.exit(${exitedRank.code}) in the thread they shared`,
                    errorcode: exitedRank.code,
                  },
          });
        }
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

/**
 * Ranks per worker thread of a local job of `n` ranks: one while there are no more ranks than
 * cores, then as many as keep to one thread per core (64 ranks on 2 cores: 2 threads of 32).
 * A worker thread costs ~40 ms of CPU and ~8 MiB to start whatever it runs, and with more
 * threads than cores every message between ranks is a thread switch: 64 ranks in 64 threads
 * spent most of `run hello` booting threads, and an allreduce took 30 ms against 4 ms in 2.
 * `TSMPI_LOCAL_RANKS_PER_THREAD` (a positive integer) sets it for every job, e.g. 1 for a thread
 * per rank whatever the size.
 */
export function localRanksPerThread(n: number, cores = availableParallelism()): number {
  const forced = process.env.TSMPI_LOCAL_RANKS_PER_THREAD;
  if (forced !== undefined && forced !== '') {
    const k = Number(forced);
    if (!Number.isInteger(k) || k < 1) {
      throw new UsageError(
        `Expected TSMPI_LOCAL_RANKS_PER_THREAD to be a positive integer, got \`${forced}\`: unset it for the default (a thread per core once ranks outnumber cores)`,
      );
    }
    return k;
  }
  const threads = Math.max(1, cores);
  return n <= threads ? 1 : Math.ceil(n / threads);
}

/** Ranks per thread as launched: `requested`, floored, within [1, ranks]. */
function threadShare(ranks: number, requested: number): number {
  return Math.max(1, Math.min(ranks, Math.floor(requested)));
}

/** The local backend: ranks run in worker threads, messages go through shared memory. */
export class LocalLauncher implements Launcher {
  readonly backend = 'local' as const;
  readonly #threads: ThreadLauncher;

  constructor(options: { spinMicros?: number; ranksPerThread?: number } = {}) {
    const perThread = (n: number) => threadShare(n, options.ranksPerThread ?? localRanksPerThread(n));
    this.#threads = new ThreadLauncher(
      (n) => ({
        kind: 'memory',
        // Packed: each worker's copy of the fabric is one buffer, not n (n² in all). The ranks
        // per thread let collectives run in two levels, inside threads, then between them.
        fabric: createMemoryFabric(n, {
          packed: true,
          ranksPerThread: perThread(n),
          ...(options.spinMicros === undefined ? {} : { spinMicros: options.spinMicros }),
        }),
      }),
      perThread,
    );
  }

  launch(req: LaunchRequest): Promise<LaunchResult> {
    return this.#threads.launch(req);
  }
}
