import { afterEach } from 'vitest';
import type { CollectiveTuning } from '../../sdk/collectives/collective-tuning.js';
import type { Comm } from '../../sdk/comm/comm.js';
import { openRank, type RankHandle } from '../../sdk/runtime/run-rank.js';
import { FaultyTransport } from '../../sdk/transport/faulty/faulty-transport.js';
import { createLoopbackTransports } from '../../sdk/transport/loopback/loopback-transport.js';
import { createMemoryFabric } from '../../sdk/transport/memory/memory-fabric.js';
import { MemoryTransport } from '../../sdk/transport/memory/memory-transport.js';
import type { Transport } from '../../sdk/transport/transport.js';
import { type ContractWorld, everyRoot, WORLD_SIZES } from '../contract/contract-world.js';

/**
 * `memory`: the default backend's transport, all ranks in this thread, so frames between them skip
 * the rings (`sameThreadDirect`); `memory-rings`: the same through the shared-memory rings, as
 * between worker threads (chunking, waiting for space, frames placed in `Recv` buffers).
 */
export type TransportKind = 'loopback' | 'faulty' | 'memory' | 'memory-rings';

export { WORLD_SIZES };

export interface WorldOptions {
  transport?: TransportKind;
  tuning?: Partial<CollectiveTuning>;
  /** Custom transports (e.g. SQS): one per rank. */
  transports?: Transport[];
  seed?: number;
}

/**
 * Ring size of the memory worlds: the smallest the fabric allows, so that the contract's
 * payloads (up to a few KiB per frame, many frames in flight) also go through the ring's
 * chunking and its wait-for-space path, not only through the fast path of a roomy ring.
 */
const MEMORY_RING_BYTES = 1024;

function transportsOf(size: number, options: WorldOptions): Transport[] {
  if (options.transports !== undefined) return options.transports;
  if (options.transport === 'memory' || options.transport === 'memory-rings') {
    // All endpoints in this thread, each on its own shared-memory ring: the transport's
    // single-thread use (see its tests); with `memory-rings`, the same rings, framing and
    // wake-ups as in workers.
    const fabric = createMemoryFabric(size, { ringBytes: MEMORY_RING_BYTES });
    const sameThreadDirect = options.transport === 'memory';
    return Array.from({ length: size }, (_, rank) => new MemoryTransport(fabric, rank, { sameThreadDirect }));
  }
  const loopback = createLoopbackTransports(size);
  if (options.transport !== 'faulty') return loopback;
  return loopback.map((t, i) => new FaultyTransport(t, { seed: (options.seed ?? 7) * 131 + i }));
}

/**
 * Runs `fn` on `size` ranks inside this thread (one Comm per rank over an in-process transport) and
 * returns every rank's result. A rank that throws makes the whole world reject with that error.
 */
export async function runWorld<T>(
  size: number,
  fn: (comm: Comm) => Promise<T> | T,
  options: WorldOptions = {},
): Promise<T[]> {
  const handles = transportsOf(size, options).map((t) => openRank(t));
  if (options.tuning) for (const h of handles) h.comm.setTuning(options.tuning);
  try {
    return await Promise.all(handles.map((h) => Promise.resolve().then(() => fn(h.comm))));
  } finally {
    await Promise.all(handles.map((h) => h.endpoint.close()));
  }
}

/**
 * For tests that drive ranks' endpoints by hand: `open(n)` opens n ranks over loopback transports
 * in this thread; their endpoints are closed after each test. Call at the top of a test file.
 */
export function loopbackRanksPerTest(): (n: number) => RankHandle[] {
  let handles: RankHandle[] = [];
  afterEach(async () => {
    await Promise.all(handles.map((h) => h.endpoint.close()));
    handles = [];
  });
  return (n) => {
    handles = createLoopbackTransports(n).map((t) => openRank(t));
    return handles;
  };
}

/** Every (size, root) pair of the contract matrix. */
export function sizesAndRoots(): [number, number][] {
  const out: [number, number][] = [];
  for (const size of WORLD_SIZES) for (let root = 0; root < size; root++) out.push([size, root]);
  return out;
}

const NAMES: Record<TransportKind, string> = {
  loopback: 'loopback',
  faulty: 'faulty(loopback)',
  memory: 'memory',
  'memory-rings': 'memory (rings)',
};

/** The contract suite's world over an in-process transport: every size, every root, everything. */
export function inProcessWorld(transport: TransportKind): ContractWorld {
  return {
    name: NAMES[transport],
    sizes: WORLD_SIZES,
    roots: everyRoot,
    exhaustive: true,
    run: (size, fn, options = {}) => runWorld(size, fn, { ...options, transport }),
  };
}
