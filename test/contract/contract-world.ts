import type { CollectiveTuning, Comm } from '../../sdk/index.js';

/** The world sizes of the contract (STYLE.md): 1, powers of two, and odd sizes that fold. */
export const WORLD_SIZES = [1, 2, 3, 4, 7, 8] as const;

export interface WorldRunOptions {
  /** Applied on every rank before `fn` runs (on top of the transport's default tuning). */
  tuning?: Partial<CollectiveTuning>;
  /** Seed of whatever the transport randomizes (fault injection), so a failure replays. */
  seed?: number;
}

/**
 * One transport as the contract suite sees it: a way to run a function on every rank of a fresh
 * job, and how much of the size × root matrix the transport can afford.
 *
 * Every rank runs in the calling thread (whatever carries the frames: microtasks, shared-memory
 * rings, SQS queues), so `fn` may close over test state, and `expect` inside `fn` fails the test.
 */
export interface ContractWorld {
  /** The transport's name in test titles, e.g. `memory`, `faulty(loopback)`. */
  readonly name: string;
  /** World sizes that size-sweeping tests run at: WORLD_SIZES unless the transport says why not. */
  readonly sizes: readonly number[];
  /** Roots that root-sweeping tests use at `size`: every root unless the transport says why not. */
  roots(size: number): readonly number[];
  /**
   * Whether the large matrices run here: every collective algorithm against the oracle, every
   * tree shape, the full property-test budget. They test code above the transport at a volume
   * of traffic a transport with millisecond hops (SQS) cannot carry within the suite's time.
   */
  readonly exhaustive: boolean;
  /**
   * Runs `fn` on `size` ranks of a new job, each with its world communicator, and returns every
   * rank's result. A rank that throws makes it reject with that error. Every endpoint (and
   * whatever the job created: queues) is closed or deleted before it settles.
   */
  run<T>(size: number, fn: (comm: Comm) => Promise<T> | T, options?: WorldRunOptions): Promise<T[]>;
}

/** Every (size, root) pair that `world` sweeps. */
export function sizesAndRoots(world: ContractWorld): [number, number][] {
  return world.sizes.flatMap((size) => world.roots(size).map((root): [number, number] => [size, root]));
}

/** Every root of a `size`-rank world. */
export function everyRoot(size: number): number[] {
  return Array.from({ length: size }, (_, r) => r);
}

/**
 * Runs `fn` once per root of `size` (in root order) on one `size`-rank job, and returns for
 * each root every rank's result: `[root, results by rank]`. One job per size rather than per
 * (size, root) keeps slow transports affordable, and checks that consecutive collectives with
 * different roots do not disturb each other.
 */
export async function eachRoot<T>(
  world: ContractWorld,
  size: number,
  fn: (comm: Comm, root: number) => Promise<T>,
  options?: WorldRunOptions,
): Promise<[number, T[]][]> {
  const roots = world.roots(size);
  const byRank = await world.run(
    size,
    async (c) => {
      const out: T[] = [];
      for (const root of roots) out.push(await fn(c, root));
      return out;
    },
    options,
  );
  return roots.map((root, i) => [root, byRank.map((perRoot) => perRoot[i] as T)]);
}
