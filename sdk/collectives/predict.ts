/**
 * The cost model of collectives over a transport: for one call (collective, ranks, payload) it
 * predicts each algorithm's expected time, hops on the critical path, messages, API requests and
 * USD, and (`choose.ts`) picks the algorithm that minimizes time (`latency`) or money (`cost`).
 *
 * Time. A hop is a send call then a receive call: H = L_send + L_recv + cpu + service (+ transfer,
 * + an object-store put and get when the payload exceeds a message), with L log-normal from the
 * profile's (p50, p99). Times are distributions on a grid (`time-grid.ts`), so the model takes the
 * maximum over many paths at the tail where it really is, not at the median:
 * - trees (k-nomial bcast, scatter, reduce, gather): T(node) = max over children j of
 *   (j·cpu + H + T(child)), exact for a tree with independent hops, memoized by subtree shape;
 *   the j·cpu term is the serialization of a node's sends;
 * - rounds (recursive k-ing, Bruck, dissemination, Hillis–Steele, direct exchange): a rank that
 *   waits for f partners in a round ends at max(T, max_j(j·cpu + T' + H)) with the partners' T'
 *   independent copies of its own, and the call ends when the slowest rank does (the max of
 *   p^0.85 copies: ranks that share partners are correlated);
 * - a rank that must take m > 80 messages off its queue needs at least m / (10 per receive × 8
 *   pollers) receive cycles, whatever the arrivals;
 * - phases in sequence (reduce then bcast, scatter then allgather) add (convolve);
 * - on CPUs shared by all ranks (threads of one process), time is max(T, W) + 0.15·min(T, W),
 *   W being the CPU time of all the calls divided by the CPUs.
 *
 * Requests. Every message is one send call (billed per 64 KiB); a rank that expects a burst of m
 * messages at once spends `receiveCalls(m)` receive calls and `deleteCalls(m)` delete calls on it
 * (long polls return at the first message, take up to 10, and multiply under a backlog; the
 * table is calibrated on the simulated SQS transport, `sim/simulate.ts` at the top of the project).
 *
 * Hops are exact: the causal depth of every rank is followed through the algorithm's pattern (tree
 * edges, group exchanges, Bruck offsets, the fold of ranks outside a recursive plan).
 */

import { type AlgorithmSpec, describeAlgorithm, normalizeAlgorithm } from './algorithms.js';
import { callPattern } from './call-pattern.js';
import { type CallShape, fullShape, shapeKey } from './call-shape.js';
import { countPattern } from './count-pattern.js';
import { fingerprint, ModelCache } from './model-cache.js';
import { type Cdf, cdfOf, convolve, densityOf, GRID, meanOf } from './time-grid.js';
import { phaseTime, TimeModel } from './time-model.js';
import { logNormalParams, type TransportProfile } from './transport-profile.js';

/** What the model expects of one algorithm running one call. */
export interface Prediction {
  readonly algorithm: AlgorithmSpec;
  readonly label: string;
  /** Expected time of the call, ms. */
  readonly timeMs: number;
  /** Messages on the longest causal chain. */
  readonly hops: number;
  readonly messages: number;
  /** API requests: sends + receives + deletes + object-store calls. */
  readonly requests: number;
  readonly usd: number;
}

const Z999 = 3.090232306167813;

/** Predictions by profile fingerprint, then by shape and algorithm. */
const predictionCache = new ModelCache<Map<string, Prediction>>(
  'predictions by profile, shape and algorithm',
);

/**
 * Predicts one algorithm for one call.
 *
 * @example
 * predict(SQS_PROFILE, { collective: 'bcast', size: 64, bytes: 8 }, { name: 'knomial', radix: 2 }).hops; // 6
 */
export function predict(profile: TransportProfile, shape: CallShape, algorithm: AlgorithmSpec): Prediction {
  const s = fullShape(shape);
  const spec = normalizeAlgorithm(algorithm, s.size);
  const key = `${shapeKey(s)}|${spec.name}|${spec.radix}|${spec.radix2}`;
  const perProfile = predictionCache.get(fingerprint(profile), () => new Map<string, Prediction>());
  const hit = perProfile.get(key);
  if (hit) return hit;
  const p = profile;
  const n = s.size;
  const label = describeAlgorithm(spec, n);
  if (n <= 1) {
    const none: Prediction = { algorithm: spec, label, timeMs: 0, hops: 0, messages: 0, requests: 0, usd: 0 };
    perProfile.set(key, none);
    return none;
  }
  const phases = callPattern(s, spec);
  const counts = countPattern(phases, n, p);

  // Grid span: every hop at its 99.9th percentile, plus the serialization of the widest fan-out.
  const { mu, sigma } = logNormalParams(p.callLatency);
  const q999 = Math.exp(mu + Z999 * sigma);
  let maxBytes = 0;
  for (const [b] of counts.sizes) maxBytes = Math.max(maxBytes, b);
  const probe = new TimeModel(p, 1);
  let hopMax = 2 * q999 + probe.fixed(maxBytes);
  if (maxBytes > p.maxMessageBytes) {
    const o = logNormalParams(p.offload.latency);
    hopMax += 2 * Math.exp(o.mu + Z999 * o.sigma);
  }
  const span = (counts.hops + 2) * hopMax + counts.maxFan * probe.cpuSend(maxBytes) * 1.2;
  const tm = new TimeModel(p, span / GRID);

  let dist: Cdf | undefined;
  let extra = 0;
  for (const ph of phases) {
    const t = phaseTime(tm, ph, n);
    if (t.ms !== undefined) extra += t.ms;
    else if (t.cdf) dist = dist === undefined ? t.cdf : cdfOf(convolve(densityOf(dist), densityOf(t.cdf)));
  }
  // Grid cells sit at their left edge: each of the 2 latencies of a hop reads dt/2 short.
  let timeMs = extra + (dist ? meanOf(dist, tm.dt) + counts.hops * tm.dt : 0);

  let billedSends = 0;
  let offloads = 0;
  let bytesMoved = 0;
  for (const [b, cnt] of counts.sizes) {
    billedSends += cnt * Math.max(1, Math.ceil(Math.min(b, p.maxMessageBytes) / p.billingChunkBytes));
    if (b > p.maxMessageBytes) offloads += cnt;
    bytesMoved += b * cnt;
  }
  const requests = counts.messages + counts.receives + counts.deletes + 2 * offloads;
  if (p.sharedCpus > 0) {
    const work = (requests * p.cpuMsPerCall + (2 * bytesMoved * p.cpuMsPerMiB) / 1_048_576) / p.sharedCpus;
    timeMs = Math.max(timeMs, work) + 0.15 * Math.min(timeMs, work);
  }
  // Received bytes are billed per 64 KiB too (beyond the first chunk of each receive).
  const billedReceives = counts.receives + Math.max(0, bytesMoved / p.billingChunkBytes - counts.receives);
  const usd =
    (billedSends + billedReceives + counts.deletes) * p.usdPerRequest +
    offloads * (p.offload.usdPerPut + p.offload.usdPerGet) +
    (n * timeMs * p.usdPerRankSecond) / 1000;
  const out: Prediction = {
    algorithm: spec,
    label,
    timeMs,
    hops: counts.hops,
    messages: counts.messages,
    requests,
    usd,
  };
  perProfile.set(key, out);
  return out;
}
