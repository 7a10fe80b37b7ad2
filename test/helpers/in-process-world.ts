import type { CollectiveTuning, Comm } from '../../sdk/comm/comm.js';
import { openRank } from '../../sdk/runtime/run-rank.js';
import { FaultyTransport } from '../../sdk/transport/faulty/faulty-transport.js';
import { createLoopbackTransports } from '../../sdk/transport/loopback/loopback-transport.js';
import type { Transport } from '../../sdk/transport/transport.js';

export type TransportKind = 'loopback' | 'faulty';

export const WORLD_SIZES = [1, 2, 3, 4, 7, 8] as const;

export interface WorldOptions {
  transport?: TransportKind;
  tuning?: Partial<CollectiveTuning>;
  /** Custom transports (e.g. SQS): one per rank. */
  transports?: Transport[];
  seed?: number;
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
  let transports: Transport[] = options.transports ?? createLoopbackTransports(size);
  if (options.transport === 'faulty') {
    transports = transports.map((t, i) => new FaultyTransport(t, { seed: (options.seed ?? 7) * 131 + i }));
  }
  const handles = transports.map((t) => openRank(t));
  if (options.tuning) for (const h of handles) h.comm.setTuning(options.tuning);
  try {
    return await Promise.all(handles.map((h) => Promise.resolve().then(() => fn(h.comm))));
  } finally {
    await Promise.all(handles.map((h) => h.endpoint.close()));
  }
}

/** Every (size, root) pair of the contract matrix. */
export function sizesAndRoots(): [number, number][] {
  const out: [number, number][] = [];
  for (const size of WORLD_SIZES) for (let root = 0; root < size; root++) out.push([size, root]);
  return out;
}
