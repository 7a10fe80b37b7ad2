import { AsyncLocalStorage } from 'node:async_hooks';
import type { RankMessage } from './worker-protocol.js';

/** What `routeRankOutput` gives a thread that runs several ranks. */
export interface RankOutputRouter {
  /** Runs `fn` as `rank`: what it and everything it starts print, and its `process.exit`, are the rank's. */
  run<T>(rank: number, fn: () => T): T;
}

type Write = typeof process.stdout.write;

/**
 * Routes what the ranks of this thread print to the launcher as `output` messages naming the rank
 * (the thread's stdout and stderr are one stream for all of them), and makes `process.exit(code)`
 * end the rank that called it: the launcher hears `exit` for that rank, then the thread ends, as a
 * thread of its own would. Output from outside any rank (none is expected) goes to the thread's
 * streams as before. The rank is found through an AsyncLocalStorage, so output from timers,
 * promises and callbacks a rank started is its own too.
 *
 * @example
 * const router = routeRankOutput((m) => parentPort.postMessage(m));
 * await Promise.all([3, 4].map((rank) => router.run(rank, () => runRankJob(rank))));
 */
export function routeRankOutput(post: (m: RankMessage) => void): RankOutputRouter {
  const current = new AsyncLocalStorage<number>();
  const wrap = (stream: NodeJS.WriteStream, name: 'stdout' | 'stderr') => {
    const original = stream.write.bind(stream) as Write;
    const write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      const rank = current.getStore();
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
    const rank = current.getStore();
    const n = Number(code === undefined || code === null ? (process.exitCode ?? 0) : code);
    if (rank !== undefined) post({ type: 'exit', rank, code: Number.isInteger(n) ? n : 1 });
    return exit(code as number | undefined);
  }) as typeof process.exit;
  return { run: (rank, fn) => current.run(rank, fn) };
}
