import type { RankMessage } from './worker-protocol.js';

/** What `routeRankOutput` gives a thread that runs several ranks. */
export interface RankOutputRouter {
  /** Runs `fn` as `rank`: what it and everything it starts print, and its `process.exit`, are the rank's. */
  run<T>(rank: number, fn: () => T): T;
}

type Write = typeof process.stdout.write;

/** The query that makes each rank's import of its job a module instance of its own (see rank-worker). */
export const RANK_QUERY = 'tsmpi-rank';
const RANK_IN_URL = new RegExp(`[?&]${RANK_QUERY}=(\\d+)`);
/** Frames looked at for the job's code: console.log's own frames come first. */
const STACK_FRAMES = 64;
const callSites = (_err: Error, sites: NodeJS.CallSite[]): NodeJS.CallSite[] => sites;

/**
 * The rank whose job code is on the stack (sync or awaiting: V8's async frames count), found by
 * the per-rank query in its module URL; undefined when no job frame is there.
 */
function rankOnStack(): number | undefined {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  // Raw call sites: they carry each frame's URL before source maps rename it.
  Error.prepareStackTrace = callSites;
  Error.stackTraceLimit = STACK_FRAMES;
  let sites: NodeJS.CallSite[] | undefined;
  try {
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder);
    // Read now: V8 formats a captured stack when it is first read, with the hook then in place.
    sites = holder.stack;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  return Array.isArray(sites) ? rankOfSites(sites) : undefined;
}

/** The rank of the first frame of job code (its module URL names the rank), if any. */
function rankOfSites(sites: readonly NodeJS.CallSite[]): number | undefined {
  for (const site of sites) {
    const file = site.getFileName();
    if (file === undefined || file === null) continue;
    const m = RANK_IN_URL.exec(file);
    if (m !== null) return Number(m[1]);
  }
  return undefined;
}

/**
 * The rank whose job code raised `err` (its first job frame, async frames included), for an error
 * nothing handled, which reaches the thread with no rank on the stack. Found while the error's
 * stack is formatted, on its first read, by wrapping Node's own formatter (which source-maps the
 * frames, so the stack reads as it would have); undefined when the stack was read before, when
 * this Node has no formatter to wrap (it is a function from Node 20.x on), or when no job frame
 * is on it.
 */
export function rankOfError(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined;
  const format = Error.prepareStackTrace;
  if (typeof format !== 'function') return undefined;
  let rank: number | undefined;
  Error.prepareStackTrace = (e, sites) => {
    rank = rankOfSites(sites);
    return format(e, sites);
  };
  try {
    void err.stack;
  } finally {
    Error.prepareStackTrace = format;
  }
  return rank;
}

/**
 * Routes what the ranks of this thread print to the launcher as `output` messages naming the rank
 * (the thread's stdout and stderr are one stream for all of them), and makes `process.exit(code)`
 * end the rank that called it: the launcher hears `exit` for that rank, then the thread ends, as a
 * thread of its own would.
 *
 * The rank is the one whose job module is on the stack when it writes (each rank imports its own
 * instance, whose URL names it; see `RANK_QUERY`), so output from its timers, promises and
 * callbacks is its own too; else the rank that `run` is running synchronously. Output from
 * neither (a package's own timer, say) goes to the thread's streams unlabelled. A stack is
 * captured per write only: an AsyncLocalStorage would cost every promise of every rank a hook
 * on Node 20 (~10% of a collective call when 32 ranks share a thread).
 *
 * @example
 * const router = routeRankOutput((m) => parentPort.postMessage(m));
 * await Promise.all([3, 4].map((rank) => router.run(rank, () => runRankJob(rank))));
 */
export function routeRankOutput(post: (m: RankMessage) => void): RankOutputRouter {
  /** The rank whose `run` is executing synchronously right now, if any. */
  let running: number | undefined;
  const current = () => rankOnStack() ?? running;
  const wrap = (stream: NodeJS.WriteStream, name: 'stdout' | 'stderr') => {
    const original = stream.write.bind(stream) as Write;
    const write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      const rank = current();
      if (rank === undefined) return (original as (...a: unknown[]) => boolean)(chunk, encoding, callback);
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      post({ type: 'output', rank, stream: name, text });
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    };
    stream.write = write as Write;
  };
  wrap(process.stdout, 'stdout');
  wrap(process.stderr, 'stderr');
  const exit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    const rank = current();
    const n = Number(code === undefined || code === null ? (process.exitCode ?? 0) : code);
    if (rank !== undefined) post({ type: 'exit', rank, code: Number.isInteger(n) ? n : 1 });
    return exit(code as number | undefined);
  }) as typeof process.exit;
  return {
    run: (rank, fn) => {
      const outer = running;
      running = rank;
      try {
        return fn();
      } finally {
        running = outer;
      }
    },
  };
}
