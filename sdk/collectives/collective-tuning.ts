import type { AlgorithmSpec, CollectiveName } from './algorithms.js';
import type { Optimize } from './choose.js';
import { MEMORY_PROFILE, type TransportProfile } from './transport-profile.js';

/** How collectives are run on a communicator. */
export interface CollectiveTuning {
  /** Tree radix when `optimize` is null: 2 = binomial, larger = k-nomial, >= size = flat. */
  radix: number;
  /** Allreduce when `optimize` is null. */
  allreduce: 'recursive-doubling' | 'reduce-bcast';
  /** Use the naive linear algorithms (test oracles). */
  naive: boolean;
  /**
   * Let the cost model pick each call's algorithm for this transport, communicator size and
   * payload: the fastest (`latency`), the cheapest (`cost`), or the fastest unless one at most 25%
   * slower costs at most half as much (`balanced`). `null`: fixed trees of `radix`.
   */
  optimize: Optimize | null;
  /**
   * Per-collective algorithm, overriding both the model and `radix`, e.g.
   * `{ allreduce: { name: 'recursive', radix: 8 } }`. Set it before a call to choose that call's
   * algorithm; `null` removes an override.
   */
  algorithm: Readonly<Partial<Record<CollectiveName, AlgorithmSpec>>>;
  /** The transport's parameters for the cost model (per-call latency, prices, batching). */
  profile: TransportProfile;
}

/** What `setTuning` takes: any tuning field; `algorithm` entries merge into the current ones. */
export type TuningUpdate = Partial<Omit<CollectiveTuning, 'algorithm'>> & {
  algorithm?: Partial<Record<CollectiveName, AlgorithmSpec | null>>;
};

/** The tuning of a communicator nobody tuned: binomial trees, no model, memory profile. */
export const DEFAULT_TUNING: CollectiveTuning = {
  radix: 2,
  allreduce: 'recursive-doubling',
  naive: false,
  optimize: null,
  algorithm: {},
  profile: MEMORY_PROFILE,
};
