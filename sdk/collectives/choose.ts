import { ALGORITHMS, type AlgorithmSpec } from './algorithms.js';
import { BANDWIDTH_BYTES, type CallShape, fullShape, shapeKey } from './call-shape.js';
import { fingerprint, ModelCache } from './model-cache.js';
import { type Prediction, predict } from './predict.js';
import type { TransportProfile } from './transport-profile.js';

/**
 * What the model minimizes: the call's time (`latency`), its money (`cost`), or its time unless
 * a call at most `BALANCED_SLACK` slower costs at most `BALANCED_SAVING` of the fastest's money
 * (`balanced`, the default over SQS).
 */
export type Optimize = 'latency' | 'cost' | 'balanced';

/** The objectives, for checks and help. */
export const OPTIMIZE_VALUES: readonly Optimize[] = ['balanced', 'latency', 'cost'];

/**
 * `balanced` trades at most 25% more time for at least 2× less money. The fastest allreduce
 * between n ranks (or node leaders) over SQS is often a one-hop exchange, a message per pair;
 * reducing to one rank and sending the result back takes a hop more for n/2 times fewer
 * messages: at 64 ranks, 8 per node, 23% more time for 3× fewer requests.
 */
export const BALANCED_SLACK = 0.25;
/** See `BALANCED_SLACK`: a `balanced` pick other than the fastest costs at most this share of it. */
export const BALANCED_SAVING = 0.5;

/** The model's pick for one call. */
export interface Choice {
  readonly chosen: Prediction;
  /** Every candidate, best first. */
  readonly ranked: readonly Prediction[];
}

const choiceCache = new ModelCache<Choice>('choices by profile, shape and criterion');

/** Radices worth trying for `n` ranks: 2, 3, 4, 8, 16, ... and flat. */
export function candidateRadices(n: number): number[] {
  const out = new Set<number>();
  for (const k of [2, 3, 4]) if (k <= n) out.add(k);
  for (let k = 8; k < n; k *= 2) out.add(k);
  out.add(Math.max(2, n));
  return [...out].sort((a, b) => a - b);
}

/** Every algorithm the model considers for a call (the naive `linear` ones are oracles, not candidates). */
export function candidates(shape: CallShape): AlgorithmSpec[] {
  const n = shape.size;
  const ks = candidateRadices(n);
  const ks2 = ks.filter((k) => k === 2 || k === 4 || k === 8 || k >= n);
  // Cutting a payload into p pieces only pays when it is large.
  const large = shape.bytes >= BANDWIDTH_BYTES;
  const out: AlgorithmSpec[] = [];
  for (const name of ALGORITHMS[shape.collective]) {
    switch (name) {
      case 'linear':
        break;
      case 'direct':
        out.push({ name });
        break;
      case 'bruck':
        // Bruck's alltoall at radix >= p is the direct exchange.
        for (const k of ks) if (shape.collective !== 'alltoall' || k < n) out.push({ name, radix: k });
        break;
      case 'reduce-scatter-allgather':
        if (shape.segmentable && large) for (const k of ks) out.push({ name, radix: k });
        break;
      case 'scatter-allgather':
        if (large) for (const k of ks2) for (const k2 of ks2) out.push({ name, radix: k, radix2: k2 });
        break;
      case 'reduce-bcast':
      case 'gather-bcast':
      case 'tree':
        for (const k of ks2) for (const k2 of ks2) out.push({ name, radix: k, radix2: k2 });
        break;
      default:
        for (const k of ks) out.push({ name, radix: k });
    }
  }
  return out;
}

/** Relative difference under which two predictions count as equal (then the other criterion decides). */
const TIE = 0.02;

/** Orders two predictions as `choose` does: negative when `a` is the better under `optimize`. */
export function better(a: Prediction, b: Prediction, optimize: 'latency' | 'cost'): number {
  const [pa, pb, sa, sb] =
    optimize === 'latency' ? [a.timeMs, b.timeMs, a.usd, b.usd] : [a.usd, b.usd, a.timeMs, b.timeMs];
  if (Math.abs(pa - pb) > TIE * Math.max(pa, pb)) return pa - pb;
  if (Math.abs(sa - sb) > TIE * Math.max(sa, sb)) return sa - sb;
  if (a.hops !== b.hops) return a.hops - b.hops;
  return a.label < b.label ? -1 : a.label > b.label ? 1 : 0;
}

/**
 * `predictions` best first under `optimize`. `latency` and `cost` order by `better`; `balanced`
 * puts first, by `cost`, those at most `BALANCED_SLACK` slower than the fastest and at most
 * `BALANCED_SAVING` of its USD, then the rest by `latency` (the fastest first when none is).
 * Deterministic: every rank given the same predictions orders them alike.
 */
export function rank(predictions: readonly Prediction[], optimize: Optimize): Prediction[] {
  if (optimize !== 'balanced') return [...predictions].sort((a, b) => better(a, b, optimize));
  const byTime = [...predictions].sort((a, b) => better(a, b, 'latency'));
  const fastest = byTime[0];
  if (fastest === undefined) return byTime;
  const worth = (p: Prediction) =>
    p.timeMs <= fastest.timeMs * (1 + BALANCED_SLACK) && p.usd <= fastest.usd * BALANCED_SAVING;
  const traded = byTime.filter(worth).sort((a, b) => better(a, b, 'cost'));
  return [...traded, ...byTime.filter((p) => !worth(p))];
}

/**
 * Picks the algorithm for a call: the fastest (`latency`), the cheapest (`cost`), or the fastest
 * unless one at most 25% slower costs at most half as much, then the cheapest such (`balanced`); near-ties (2%) go to the other
 * criterion, then to fewer hops, then by name — so every rank, given the same shape, picks the
 * same algorithm.
 *
 * @example
 * choose(SQS_PROFILE, { collective: 'allreduce', size: 64, bytes: 8 }, 'latency').chosen.label;
 */
export function choose(profile: TransportProfile, shape: CallShape, optimize: Optimize): Choice {
  const key = `${fingerprint(profile)}#${shapeKey(fullShape(shape))}#${optimize}`;
  return choiceCache.get(key, () => {
    const ranked = rank(
      candidates(shape).map((c) => predict(profile, shape, c)),
      optimize,
    );
    return { chosen: ranked[0]!, ranked };
  });
}
