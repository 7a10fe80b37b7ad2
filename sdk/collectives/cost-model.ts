import {
  ALGORITHMS,
  type AlgorithmSpec,
  type CollectiveName,
  clampRadix,
  describeAlgorithm,
  normalizeAlgorithm,
} from './algorithms.js';
import { children, parent } from './knomial-tree.js';
import { foldedToOld, recursivePlan } from './recursive-plan.js';
import {
  type Cdf,
  cdfOf,
  convolve,
  type Density,
  densityOf,
  GRID,
  logNormalDensity,
  maxWithShifted,
  meanOf,
  powCdf,
  shiftDensity,
  zero,
} from './time-grid.js';
import { logNormalParams, type TransportProfile } from './transport-profile.js';

/**
 * The cost model of collectives over a transport: for one call (collective, ranks, payload) it
 * predicts each algorithm's expected time, hops on the critical path, messages, API requests and
 * USD, and picks the algorithm that minimizes time (`latency`) or money (`cost`).
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
 * table is calibrated on the simulated SQS transport, `simulate.ts`).
 *
 * Hops are exact: the causal depth of every rank is followed through the algorithm's pattern (tree
 * edges, group exchanges, Bruck offsets, the fold of ranks outside a recursive plan).
 */
export type Optimize = 'latency' | 'cost';

export interface CallShape {
  collective: CollectiveName;
  size: number;
  /** Payload bytes per rank (bcast: the whole payload; scatter/alltoall: one part). */
  bytes: number;
  /** A non-commutative reduce to a root other than 0 takes one more hop. Default true. */
  commute?: boolean;
  root?: number;
  /** The op is element-wise on an array operand, so reduce-scatter-allgather applies. */
  segmentable?: boolean;
}

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

export interface Choice {
  readonly chosen: Prediction;
  /** Every candidate, best first. */
  readonly ranked: readonly Prediction[];
}

/** Payload assumed where not every rank knows the real one (lowercase bcast, gather, ...). */
export const NOMINAL_BYTES = 64;

/** Payloads from this size on also try the bandwidth-minded algorithms (scatter + allgather, ...). */
export const BANDWIDTH_BYTES = 64 * 1024;

// ------------------------------------------------------------------------------------------
// Receive batching, calibrated on the simulated SQS transport (10 messages per receive).

const BURSTS: readonly [m: number, receives: number, deletes: number][] = [
  [1, 1, 1],
  [2, 2, 2],
  [3, 2.5, 2.45],
  [5, 3.2, 3.05],
  [7, 3.35, 3],
  [10, 3.6, 3.45],
  [14, 4.3, 3.9],
  [20, 4.8, 4.5],
  [30, 5.9, 5.1],
  [63, 13, 8.5],
  [127, 22.5, 15],
  [255, 35, 27.4],
];

function burstCalls(m: number, column: 1 | 2, perReceive: number): number {
  if (m <= 0) return 0;
  if (perReceive <= 1) return m;
  // Scaled for another batch size: m messages behave like m·10/perReceive at 10 per call.
  const x = (m * 10) / perReceive;
  if (x <= 1) return 1;
  const last = BURSTS[BURSTS.length - 1]!;
  if (x >= last[0]) return last[column] + (x - last[0]) * 0.098;
  for (let i = 1; i < BURSTS.length; i++) {
    const hi = BURSTS[i]!;
    if (x <= hi[0]) {
      const lo = BURSTS[i - 1]!;
      const f = (Math.log(x) - Math.log(lo[0])) / (Math.log(hi[0]) - Math.log(lo[0]));
      return Math.min(m, lo[column] + f * (hi[column] - lo[column]));
    }
  }
  return m;
}

/** Receive calls a rank spends on a burst of `m` messages arriving together. */
export function receiveCalls(m: number, profile: TransportProfile): number {
  return burstCalls(m, 1, profile.messagesPerReceive);
}

/** Delete calls a rank spends on a burst of `m` messages (deletes are batched too). */
export function deleteCalls(m: number, profile: TransportProfile): number {
  return burstCalls(m, 2, profile.messagesPerReceive);
}

// ------------------------------------------------------------------------------------------
// Communication patterns: what each algorithm does, as data.

/** Whom each rank hears from in a round, for the causal depth (hops). */
type Peers =
  /** The other members of its group: ranks equal but for the digit of this stride. */
  | { kind: 'group'; radix: number; stride: number }
  /** Ranks at these offsets (mod n when `wrap`, else only those in range). */
  | { kind: 'offsets'; offsets: number[]; wrap: boolean }
  | { kind: 'all' };

interface Round {
  /** Most messages one rank waits for in this round (and sends, in order). */
  fan: number;
  /** Bytes per message. */
  bytes: number;
  /** Receive bursts: [messages in the burst, ranks that get such a burst]. */
  bursts: [number, number][];
  messages: number;
  peers: Peers;
}

type Phase =
  | {
      kind: 'tree';
      k: number;
      /** Toward the root (reduce, gather) or away from it (bcast, scatter). */
      up: boolean;
      /** Bytes on the edge into a subtree of this many ranks. */
      bytes: (subtree: number) => number;
    }
  | {
      kind: 'rounds';
      rounds: Round[];
      rem: number;
      bytes: number;
      /** Ranks that wait in every round (default all): the slowest of them ends the call. */
      ranks?: number;
    }
  /** One rank sends n-1 messages one after another, each waiting for the previous call. */
  | { kind: 'sequential-sends'; count: number; bytes: number }
  /** A chain of hops, one after another (linear scan). */
  | { kind: 'chain'; hops: number; bytes: number };

function symmetricRound(n: number, fan: number, bytes: number, peers: Peers): Round {
  return { fan, bytes, bursts: fan > 0 ? [[fan, n]] : [], messages: n * fan, peers };
}

function strides(radices: readonly number[]): number[] {
  const out: number[] = [];
  let s = 1;
  for (const r of radices) {
    out.push(s);
    s *= r;
  }
  return out;
}

function recursiveRounds(n: number, radix: number, bytes: number): Round[] {
  const { m, radices } = recursivePlan(n, radix);
  const st = strides(radices);
  return radices.map((r, i) => symmetricRound(m, r - 1, bytes, { kind: 'group', radix: r, stride: st[i]! }));
}

function offsets(fan: number, step: number): number[] {
  return Array.from({ length: fan }, (_, j) => (j + 1) * step);
}

function patternOf(shape: Required<CallShape>, spec: AlgorithmSpec): Phase[] {
  const n = shape.size;
  const B = shape.bytes;
  const k = spec.radix ?? 2;
  const k2 = spec.radix2 ?? k;
  const packed = (count: number) => count * (B + 4) + 4;
  const tree = (kk: number, up: boolean, bytes: (s: number) => number): Phase => ({
    kind: 'tree',
    k: kk,
    up,
    bytes,
  });
  const plan = () => recursivePlan(n, k);
  switch (shape.collective) {
    case 'bcast':
      if (spec.name === 'linear') return [{ kind: 'sequential-sends', count: n - 1, bytes: B }];
      if (spec.name === 'scatter-allgather') {
        const chunk = Math.ceil(B / n);
        return [
          tree(k, false, (s) => s * (chunk + 4) + 4),
          { kind: 'rounds', rounds: bruckAllgatherRounds(n, k2, chunk), rem: 0, bytes: chunk },
        ];
      }
      return [tree(k, false, () => B)];
    case 'reduce': {
      const extra: Phase[] = shape.commute || shape.root === 0 ? [] : [{ kind: 'chain', hops: 1, bytes: B }];
      if (spec.name === 'linear') return [tree(n, true, () => B)];
      return [tree(k, true, () => B), ...extra];
    }
    case 'allreduce':
      if (spec.name === 'linear')
        return [tree(n, true, () => B), { kind: 'sequential-sends', count: n - 1, bytes: B }];
      if (spec.name === 'reduce-bcast') return [tree(k, true, () => B), tree(k2, false, () => B)];
      if (spec.name === 'reduce-scatter-allgather' && shape.segmentable) {
        const { radices, rem } = plan();
        const st = strides(radices);
        const rs: Round[] = [];
        let hold = B;
        radices.forEach((r, i) => {
          rs.push(symmetricRound(n - rem, r - 1, hold / r, { kind: 'group', radix: r, stride: st[i]! }));
          hold /= r;
        });
        const ag: Round[] = [];
        for (let i = radices.length - 1; i >= 0; i--) {
          const r = radices[i]!;
          ag.push(symmetricRound(n - rem, r - 1, hold, { kind: 'group', radix: r, stride: st[i]! }));
          hold *= r;
        }
        return [{ kind: 'rounds', rounds: [...rs, ...ag], rem, bytes: B }];
      }
      return [{ kind: 'rounds', rounds: recursiveRounds(n, k, B), rem: plan().rem, bytes: B }];
    case 'gather':
      return [tree(spec.name === 'linear' ? n : k, true, (s) => packed(s))];
    case 'scatter':
      if (spec.name === 'linear') return [{ kind: 'sequential-sends', count: n - 1, bytes: B }];
      return [tree(k, false, (s) => packed(s))];
    case 'allgather':
      if (spec.name === 'linear')
        return Array.from(
          { length: n },
          () => ({ kind: 'sequential-sends', count: n - 1, bytes: B }) as Phase,
        );
      if (spec.name === 'bruck')
        return [{ kind: 'rounds', rounds: bruckAllgatherRounds(n, k, B), rem: 0, bytes: B }];
      return [tree(k, true, (s) => packed(s)), tree(k2, false, () => packed(n))];
    case 'alltoall':
      if (spec.name === 'linear')
        return Array.from(
          { length: n },
          () => ({ kind: 'sequential-sends', count: n - 1, bytes: B }) as Phase,
        );
      if (spec.name === 'bruck')
        return [{ kind: 'rounds', rounds: bruckAlltoallRounds(n, k, B), rem: 0, bytes: B }];
      return [{ kind: 'rounds', rounds: [symmetricRound(n, n - 1, B, { kind: 'all' })], rem: 0, bytes: B }];
    case 'barrier':
      if (spec.name === 'linear')
        return [tree(n, true, () => 8), { kind: 'sequential-sends', count: n - 1, bytes: 8 }];
      if (spec.name === 'tree') return [tree(k, true, () => 8), tree(k2, false, () => 0)];
      return [{ kind: 'rounds', rounds: disseminationRounds(n, k), rem: 0, bytes: 0 }];
    case 'scan':
    case 'exscan':
      if (spec.name === 'linear') return [{ kind: 'chain', hops: n - 1, bytes: B }];
      {
        // Only ranks at or above the last round's distance hear from someone in every round.
        const rounds = scanRounds(n, k, B);
        const last = clampRadix(k, n) ** (rounds.length - 1);
        return [{ kind: 'rounds', rounds, rem: 0, bytes: B, ranks: Math.max(1, n - last) }];
      }
  }
}

function bruckAllgatherRounds(n: number, radix: number, part: number): Round[] {
  const k = clampRadix(radix, n);
  const out: Round[] = [];
  for (let d = 1; d < n; d = Math.min(n, d * k)) {
    let fan = 0;
    for (let j = 1; j < k && j * d < n; j++) fan++;
    out.push(
      symmetricRound(n, fan, d * (part + 4) + 4, { kind: 'offsets', offsets: offsets(fan, d), wrap: true }),
    );
  }
  return out;
}

function bruckAlltoallRounds(n: number, radix: number, part: number): Round[] {
  const k = clampRadix(radix, n);
  const out: Round[] = [];
  for (let d = 1; d < n; d *= k) {
    let fan = 0;
    let moved = 0;
    for (let j = 1; j < k && j * d < n; j++) {
      fan++;
      for (let i = j * d; i < n; i++) if (Math.floor(i / d) % k === j) moved++;
    }
    out.push(
      symmetricRound(n, fan, fan > 0 ? (moved / fan) * (part + 4) + 4 : 0, {
        kind: 'offsets',
        offsets: offsets(fan, -d),
        wrap: true,
      }),
    );
  }
  return out;
}

function disseminationRounds(n: number, radix: number): Round[] {
  const k = clampRadix(radix, n);
  const out: Round[] = [];
  for (let d = 1; d < n; d *= k) {
    let fan = 0;
    for (let j = 1; j < k && j * d < n; j++) fan++;
    out.push(symmetricRound(n, fan, 0, { kind: 'offsets', offsets: offsets(fan, -d), wrap: true }));
  }
  return out;
}

function scanRounds(n: number, radix: number, bytes: number): Round[] {
  const k = clampRadix(radix, n);
  const out: Round[] = [];
  for (let d = 1; d < n; d *= k) {
    // Rank r hears from min(k-1, floor(r/d)) lower ranks.
    const counts = new Map<number, number>();
    let messages = 0;
    for (let r = 0; r < n; r++) {
      const f = Math.min(k - 1, Math.floor(r / d));
      messages += f;
      if (f > 0) counts.set(f, (counts.get(f) ?? 0) + 1);
    }
    const fan = Math.min(k - 1, Math.floor((n - 1) / d));
    out.push({
      fan,
      bytes,
      bursts: [...counts],
      messages,
      peers: { kind: 'offsets', offsets: offsets(fan, -d), wrap: false },
    });
  }
  return out;
}

// ------------------------------------------------------------------------------------------
// Counting: hops, messages, requests.

const treeNodeCache = new Map<string, Map<number, number>>();

/** [number of children, nodes with that many] for the k-nomial tree of n ranks. */
function childCounts(n: number, k: number): Map<number, number> {
  const key = `${n}:${k}`;
  let out = treeNodeCache.get(key);
  if (out) return out;
  out = new Map();
  for (let vr = 0; vr < n; vr++) {
    const c = children(vr, k, n).length;
    if (c > 0) out.set(c, (out.get(c) ?? 0) + 1);
  }
  treeNodeCache.set(key, out);
  return out;
}

/** Causal depth of every rank after a phase, given the depths before it (model root: rank 0). */
function depthsAfter(ph: Phase, n: number, d: Int32Array): Int32Array {
  const out = Int32Array.from(d);
  switch (ph.kind) {
    case 'tree': {
      const k = clampRadix(ph.k, n);
      if (ph.up) for (let vr = n - 1; vr > 0; vr--) bump(out, parent(vr, k), out[vr]! + 1);
      else for (let vr = 1; vr < n; vr++) bump(out, vr, out[parent(vr, k)]! + 1);
      return out;
    }
    case 'sequential-sends':
      for (let r = 1; r < n; r++) bump(out, r, d[0]! + 1);
      return out;
    case 'chain':
      bump(out, 0, Math.max(...d) + ph.hops);
      return out;
    case 'rounds': {
      const m = n - ph.rem;
      // New ranks: the first 2·rem old ranks fold pairwise into the odd one.
      let cur: Int32Array = new Int32Array(m);
      for (let nr = 0; nr < m; nr++) {
        const old = foldedToOld(nr, ph.rem);
        cur[nr] = nr < ph.rem ? Math.max(d[old]!, d[old - 1]! + 1) : d[old]!;
      }
      for (const r of ph.rounds) cur = roundDepths(r, cur);
      for (let nr = 0; nr < m; nr++) {
        const old = foldedToOld(nr, ph.rem);
        out[old] = Math.max(out[old]!, cur[nr]!);
        if (nr < ph.rem) bump(out, old - 1, cur[nr]! + 1);
      }
      return out;
    }
  }
}

function bump(d: Int32Array, i: number, v: number): void {
  if (v > d[i]!) d[i] = v;
}

function roundDepths(r: Round, d: Int32Array): Int32Array {
  const m = d.length;
  const out = Int32Array.from(d);
  if (r.messages === 0) return out;
  const p = r.peers;
  if (p.kind === 'all') {
    let top = -1;
    let second = -1;
    for (const v of d) {
      if (v > top) [top, second] = [v, top];
      else if (v > second) second = v;
    }
    for (let x = 0; x < m; x++) bump(out, x, (d[x] === top ? second : top) + 1);
  } else if (p.kind === 'offsets') {
    for (let x = 0; x < m; x++) {
      for (const o of p.offsets) {
        let y = x + o;
        if (p.wrap) y = ((y % m) + m) % m;
        else if (y < 0 || y >= m) continue;
        bump(out, x, d[y]! + 1);
      }
    }
  } else {
    for (let x = 0; x < m; x++) {
      const digit = Math.floor(x / p.stride) % p.radix;
      const base = x - digit * p.stride;
      for (let j = 0; j < p.radix; j++) if (j !== digit) bump(out, x, d[base + j * p.stride]! + 1);
    }
  }
  return out;
}

interface Counts {
  hops: number;
  messages: number;
  /** [bytes, count] of messages. */
  sizes: [number, number][];
  receives: number;
  deletes: number;
  /** Most messages one rank sends at once. */
  maxFan: number;
}

function countPattern(phases: Phase[], n: number, p: TransportProfile): Counts {
  const c: Counts = { hops: 0, messages: 0, sizes: [], receives: 0, deletes: 0, maxFan: 1 };
  let depths: Int32Array = new Int32Array(n);
  for (const ph of phases) depths = depthsAfter(ph, n, depths);
  for (const v of depths) if (v > c.hops) c.hops = v;
  const burst = (m: number, ranks: number) => {
    c.receives += ranks * receiveCalls(m, p);
    c.deletes += ranks * deleteCalls(m, p);
  };
  for (const ph of phases) {
    switch (ph.kind) {
      case 'tree': {
        const k = clampRadix(ph.k, n);
        c.messages += n - 1;
        // Edge bytes by subtree size: count children per subtree size.
        const bySize = new Map<number, number>();
        for (let vr = 1; vr < n; vr++) {
          const s = subtreeSize(vr, k, n);
          const b = ph.bytes(s);
          bySize.set(b, (bySize.get(b) ?? 0) + 1);
        }
        for (const [b, cnt] of bySize) c.sizes.push([b, cnt]);
        const counts = childCounts(n, k);
        if (ph.up) for (const [m, nodes] of counts) burst(m, nodes);
        else burst(1, n - 1);
        c.maxFan = Math.max(c.maxFan, ...counts.keys());
        break;
      }
      case 'rounds':
        if (ph.rem > 0) {
          c.messages += 2 * ph.rem;
          c.sizes.push([ph.bytes, 2 * ph.rem]);
          burst(1, 2 * ph.rem);
        }
        for (const r of ph.rounds) {
          if (r.messages === 0) continue;
          c.messages += r.messages;
          c.sizes.push([r.bytes, r.messages]);
          for (const [m, ranks] of r.bursts) burst(m, ranks);
          c.maxFan = Math.max(c.maxFan, r.fan);
        }
        break;
      case 'sequential-sends':
        c.messages += ph.count;
        c.sizes.push([ph.bytes, ph.count]);
        burst(1, ph.count);
        break;
      case 'chain':
        c.messages += ph.hops;
        c.sizes.push([ph.bytes, ph.hops]);
        burst(1, ph.hops);
        break;
    }
  }
  return c;
}

function subtreeSize(vr: number, k: number, n: number): number {
  let p = 1;
  while (vr % (p * k) === 0) p *= k;
  return Math.min(p, n - vr);
}

// ------------------------------------------------------------------------------------------
// Time.

class TimeModel {
  readonly dt: number;
  readonly #p: TransportProfile;
  readonly #call: Density;
  readonly #offload: Density;
  readonly #hops = new Map<number, Density>();

  constructor(p: TransportProfile, dt: number) {
    this.#p = p;
    this.dt = dt;
    const { mu, sigma } = logNormalParams(p.callLatency);
    this.#call = logNormalDensity(mu, sigma, dt);
    const o = logNormalParams(p.offload.latency);
    this.#offload = logNormalDensity(o.mu, o.sigma, dt);
  }

  cpuSend(bytes: number): number {
    return this.#p.cpuMsPerCall + (bytes / 1_048_576) * this.#p.cpuMsPerMiB;
  }

  /** Fixed (non-random) part of one hop carrying `bytes`. */
  fixed(bytes: number): number {
    const p = this.#p;
    const mib = bytes / 1_048_576;
    return this.cpuSend(bytes) + p.serviceMs + mib * p.cpuMsPerMiB + ((2 * mib) / p.mibPerSecond) * 1000;
  }

  /** One hop carrying `bytes`: send call, receive call, object store put + get if offloaded. */
  hop(bytes: number): Density {
    let h = this.#hops.get(bytes);
    if (h) return h;
    h = convolve(this.#call, this.#call);
    if (bytes > this.#p.maxMessageBytes) h = convolve(h, convolve(this.#offload, this.#offload));
    h = shiftDensity(h, this.fixed(bytes), this.dt);
    this.#hops.set(bytes, h);
    return h;
  }

  /**
   * Least time to take `m` messages off a queue: receive calls return at most 10 and a rank runs at
   * most `maxPollers` of them at once, starting with one and adding one per full receive.
   */
  drainMs(m: number): number {
    const p = this.#p;
    const per = p.messagesPerReceive;
    // Below a full house of pollers the arrivals' spread, not the queue, sets the pace.
    if (m <= per * p.maxPollers) return 0;
    const cycle = this.meanCall() + p.cpuMsPerCall + p.serviceMs;
    return cycle * (1 + Math.log2(p.maxPollers) + (m / (per * p.maxPollers) - 1));
  }

  /** Raises T to at least `ms` (a rank cannot finish before it has drained its queue). */
  #notBefore(f: Cdf, ms: number): void {
    const cells = Math.min(GRID, Math.floor(ms / this.dt));
    for (let i = 0; i < cells; i++) f[i] = 0;
  }

  meanCall(): number {
    const { mu, sigma } = logNormalParams(this.#p.callLatency);
    return Math.exp(mu + (sigma * sigma) / 2);
  }

  /** The k-nomial tree's completion time (from its root's start to its last rank). */
  tree(n: number, radix: number, up: boolean, bytes: (s: number) => number): Cdf {
    const k = clampRadix(radix, n);
    const memo = new Map<string, Cdf>();
    // "Subtree done" densities convolved with the hop into them, by child shape.
    const edge = new Map<string, Cdf>();
    const keyOf = (vr: number) => {
      const s = subtreeSize(vr, k, n);
      let span = 1;
      while (vr % (span * k) === 0) span *= k;
      return `${span}:${s}`;
    };
    const done = (vr: number): Cdf => {
      const key = vr === 0 ? 'root' : keyOf(vr);
      const hit = memo.get(key);
      if (hit) return hit;
      const kids = children(vr, k, n);
      const f = new Float64Array(GRID).fill(1);
      // Sends go largest subtree first; a node's j-th send waits for j calls of its CPU.
      for (let j = 0; j < kids.length; j++) {
        const c = kids[kids.length - 1 - j]!;
        const ck = keyOf(c);
        let e = edge.get(ck);
        if (!e) {
          const h = this.hop(bytes(subtreeSize(c, k, n)));
          e = cdfOf(isLeaf(c, k, n) ? h : convolve(densityOf(done(c)), h));
          edge.set(ck, e);
        }
        const cells = up ? 0 : Math.round((j * this.cpuSend(bytes(subtreeSize(c, k, n)))) / this.dt);
        maxWithShifted(f, e, cells);
      }
      if (up) this.#notBefore(f, this.drainMs(kids.length));
      memo.set(key, f);
      return f;
    };
    return done(0);
  }

  /** Rounds of exchanges: every rank waits for `fan` partners a round; the slowest of `ranks` ends it. */
  rounds(rounds: Round[], rem: number, bytes: number, ranks: number): Cdf {
    let f: Cdf = rem > 0 ? cdfOf(this.hop(bytes)) : cdfOf(zero());
    for (const r of rounds) {
      if (r.fan === 0) continue;
      const x = cdfOf(convolve(densityOf(f), this.hop(r.bytes)));
      const cpu = this.cpuSend(r.bytes);
      for (let j = 0; j < r.fan; j++) maxWithShifted(f, x, Math.round((j * cpu) / this.dt));
      this.#notBefore(f, this.drainMs(r.fan));
    }
    f = powCdf(f, ranks ** RANKS_EXPONENT);
    if (rem > 0) f = cdfOf(convolve(densityOf(f), this.hop(bytes)));
    return f;
  }
}

function isLeaf(vr: number, k: number, n: number): boolean {
  return children(vr, k, n).length === 0;
}

const Z999 = 3.090232306167813;

/**
 * The last of p ranks ends a round-based algorithm; their times are correlated (they share
 * partners), so the maximum is taken over p^0.85 independent copies rather than p (fitted to the
 * simulation at 8 to 10,000 ranks).
 */
const RANKS_EXPONENT = 0.85;

function phaseTime(tm: TimeModel, ph: Phase, n: number): { cdf?: Cdf; ms?: number } {
  switch (ph.kind) {
    case 'tree':
      return { cdf: tm.tree(n, ph.k, ph.up, ph.bytes) };
    case 'rounds':
      return { cdf: tm.rounds(ph.rounds, ph.rem, ph.bytes, ph.ranks ?? n) };
    case 'sequential-sends':
      // Each send waits for the previous call; the last message then takes its receive.
      return { ms: ph.count * (tm.meanCall() + tm.fixed(ph.bytes)) + tm.meanCall() };
    case 'chain':
      return { ms: ph.hops * (2 * tm.meanCall() + tm.fixed(ph.bytes)) };
  }
}

// ------------------------------------------------------------------------------------------
// Predictions and choices.

/**
 * Predictions by profile content, not identity: ranks that share a thread (tests, benchmarks) each
 * build an equal profile and should share the work. A profile is fingerprinted once.
 */
const fingerprints = new WeakMap<TransportProfile, string>();
const cache = new Map<string, Map<string, Prediction>>();
const choices = new Map<string, Choice>();

function fingerprint(p: TransportProfile): string {
  let f = fingerprints.get(p);
  if (f === undefined) {
    f = JSON.stringify(p);
    fingerprints.set(p, f);
  }
  return f;
}

function profileCache(p: TransportProfile): Map<string, Prediction> {
  const f = fingerprint(p);
  let m = cache.get(f);
  if (m === undefined) {
    m = new Map();
    cache.set(f, m);
  }
  return m;
}

function shapeKey(s: Required<CallShape>): string {
  return `${s.collective}|${s.size}|${s.bytes}|${s.commute}|${s.root === 0}|${s.segmentable}`;
}

function fullShape(shape: CallShape): Required<CallShape> {
  return {
    commute: true,
    root: 0,
    segmentable: false,
    ...shape,
    bytes: Math.max(0, Math.round(shape.bytes)),
  };
}

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
  const perProfile = profileCache(profile);
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
  const phases = patternOf(s, spec);
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

function better(a: Prediction, b: Prediction, optimize: Optimize): number {
  const [pa, pb, sa, sb] =
    optimize === 'latency' ? [a.timeMs, b.timeMs, a.usd, b.usd] : [a.usd, b.usd, a.timeMs, b.timeMs];
  if (Math.abs(pa - pb) > TIE * Math.max(pa, pb)) return pa - pb;
  if (Math.abs(sa - sb) > TIE * Math.max(sa, sb)) return sa - sb;
  if (a.hops !== b.hops) return a.hops - b.hops;
  return a.label < b.label ? -1 : a.label > b.label ? 1 : 0;
}

/**
 * Picks the algorithm for a call: the fastest (`latency`) or the cheapest (`cost`); near-ties
 * (2%) go to the other criterion, then to fewer hops, then by name — so every rank, given the
 * same shape, picks the same algorithm.
 *
 * @example
 * choose(SQS_PROFILE, { collective: 'allreduce', size: 64, bytes: 8 }, 'latency').chosen.label;
 */
export function choose(profile: TransportProfile, shape: CallShape, optimize: Optimize): Choice {
  const key = `${fingerprint(profile)}#${shapeKey(fullShape(shape))}#${optimize}`;
  const hit = choices.get(key);
  if (hit) return hit;
  const ranked = candidates(shape)
    .map((c) => predict(profile, shape, c))
    .sort((a, b) => better(a, b, optimize));
  const out: Choice = { chosen: ranked[0]!, ranked };
  choices.set(key, out);
  return out;
}

/** Payload bytes rounded up to a power of two: the size class selections are cached by. */
export function sizeClass(bytes: number): number {
  if (bytes <= NOMINAL_BYTES) return NOMINAL_BYTES;
  return 2 ** Math.ceil(Math.log2(bytes));
}
