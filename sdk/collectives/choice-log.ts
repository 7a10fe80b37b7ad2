import type { AlgorithmSpec, CollectiveName } from './algorithms.js';
import type { Prediction } from './predict.js';

/** How an algorithm was picked: by the model (`latency`/`cost`), set by the user, or fixed tuning. */
export type SelectedBy = 'balanced' | 'latency' | 'cost' | 'override' | 'fixed' | 'naive';

/** One kind of collective call on one rank: which algorithm ran, what the model predicted, how often. */
export interface CollectiveRecord {
  collective: CollectiveName;
  /** Ranks in the communicator. */
  size: number;
  /** The payload size class the choice was made for (bytes, a power of two; 64 when unknown). */
  bytes: number;
  /** Human label, e.g. `8-nomial`, `reduce(flat)+bcast(flat)`. */
  algorithm: string;
  spec: AlgorithmSpec;
  selectedBy: SelectedBy;
  calls: number;
  /** Time this rank spent in these calls, ms (from the call to its completion here). */
  elapsedMs: number;
  /** The model's prediction for one call, when the model was asked. */
  predicted: {
    timeMs: number;
    hops: number;
    messages: number;
    requests: number;
    usd: number;
  } | null;
}

/** The same record over all ranks: `calls` and the choice are rank 0's, `measuredMs` the slowest rank's mean. */
export interface CollectiveSummary extends Omit<CollectiveRecord, 'elapsedMs'> {
  /** Mean time per call on the slowest rank, ms. */
  measuredMs: number;
}

/** Every collective choice one rank made, merged by (collective, size, size class, algorithm). */
export class ChoiceLog {
  readonly #records = new Map<string, CollectiveRecord>();
  /** The algorithm label of the latest call (the tracer names a collective's slice with it). */
  last: string | undefined;

  /** Counts a call; returns a function to call with its elapsed time once it completes. */
  /**
   * The record of calls of this kind (made on first use): whoever makes a call counts it there
   * (`calls`, `elapsedMs`) and sets `last`.
   */
  entry(
    collective: CollectiveName,
    size: number,
    bytes: number,
    label: string,
    spec: AlgorithmSpec,
    selectedBy: SelectedBy,
    prediction: Prediction | undefined,
  ): CollectiveRecord {
    const key = `${collective}|${size}|${bytes}|${label}|${selectedBy}`;
    let r = this.#records.get(key);
    if (r === undefined) {
      r = {
        collective,
        size,
        bytes,
        algorithm: label,
        spec,
        selectedBy,
        calls: 0,
        elapsedMs: 0,
        predicted:
          prediction === undefined
            ? null
            : {
                timeMs: round(prediction.timeMs),
                hops: prediction.hops,
                messages: prediction.messages,
                requests: round(prediction.requests),
                usd: prediction.usd,
              },
      };
      this.#records.set(key, r);
    }
    return r;
  }

  list(): CollectiveRecord[] {
    return [...this.#records.values()].map((r) => ({ ...r, elapsedMs: round(r.elapsedMs) }));
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

const logs = new WeakMap<object, ChoiceLog>();

/** The log of the rank that owns `endpoint` (one per rank, shared by all its communicators). */
export function choiceLog(endpoint: object): ChoiceLog {
  let log = logs.get(endpoint);
  if (log === undefined) {
    log = new ChoiceLog();
    logs.set(endpoint, log);
  }
  return log;
}

/**
 * Merges every rank's records: one entry per (collective, size, size class, algorithm), with the
 * most calls any rank made and the slowest rank's mean time. `consistent` is false if two ranks
 * picked different algorithms for the same (collective, size, size class) — which the selection
 * rules exclude, since every rank sees the same inputs.
 */
export function summarizeCollectives(perRank: readonly (readonly CollectiveRecord[] | undefined)[]): {
  collectives: CollectiveSummary[];
  consistent: boolean;
} {
  const labels = new Map<string, string>();
  const out = new Map<string, CollectiveSummary>();
  let consistent = true;
  for (const records of perRank) {
    for (const r of records ?? []) {
      const choice = `${r.collective}|${r.size}|${r.bytes}|${r.selectedBy}`;
      const seen = labels.get(choice);
      if (seen === undefined) labels.set(choice, r.algorithm);
      else if (seen !== r.algorithm) consistent = false;
      const mean = r.calls > 0 ? round(r.elapsedMs / r.calls) : 0;
      const key = `${choice}|${r.algorithm}`;
      const s = out.get(key);
      if (s === undefined) {
        const { elapsedMs: _, ...rest } = r;
        out.set(key, { ...rest, measuredMs: mean });
      } else {
        s.calls = Math.max(s.calls, r.calls);
        s.measuredMs = Math.max(s.measuredMs, mean);
      }
    }
  }
  return { collectives: [...out.values()], consistent };
}
