import type { TransportProfile } from './transport-profile.js';

/**
 * A memo table of the cost model. Every value is a pure function of its key (profiles enter keys
 * by content, see `fingerprint`), so an entry is never stale: tables are shared by every rank of a
 * thread, never invalidated, and grow with the distinct call shapes a process asks about.
 */
export class ModelCache<V> {
  /** What the table holds, for whoever inspects `MODEL_CACHES`. */
  readonly name: string;
  readonly #entries = new Map<string, V>();

  constructor(name: string) {
    this.name = name;
    MODEL_CACHES.push(this);
  }

  /** The value of `key`, computed by `compute` the first time. */
  get(key: string, compute: () => V): V {
    let v = this.#entries.get(key);
    if (v === undefined) {
      v = compute();
      this.#entries.set(key, v);
    }
    return v;
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** Every memo table of the cost model (k-nomial child counts, predictions, choices). */
export const MODEL_CACHES: ModelCache<unknown>[] = [];

/**
 * Profiles key the caches by content, not identity: ranks that share a thread (tests, benchmarks)
 * each build an equal profile and should share the work. A profile is fingerprinted once.
 */
const fingerprints = new WeakMap<TransportProfile, string>();

/** `p`'s content as a cache key. */
export function fingerprint(p: TransportProfile): string {
  let f = fingerprints.get(p);
  if (f === undefined) {
    f = JSON.stringify(p);
    fingerprints.set(p, f);
  }
  return f;
}
