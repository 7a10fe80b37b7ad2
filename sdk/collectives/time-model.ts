import { clampRadix } from './algorithms.js';
import type { Phase, Round } from './call-pattern.js';
import { children } from './knomial-tree.js';
import {
  type Cdf,
  cdfOf,
  convolve,
  type Density,
  densityOf,
  GRID,
  logNormalDensity,
  maxWithShifted,
  powCdf,
  shiftDensity,
  zero,
} from './time-grid.js';
import { logNormalParams, type TransportProfile } from './transport-profile.js';
import { isLeaf, subtreeSize } from './tree-shape.js';

/**
 * The last of p ranks ends a round-based algorithm; their times are correlated (they share
 * partners), so the maximum is taken over p^0.85 independent copies rather than p (fitted to the
 * simulation at 8 to 10,000 ranks).
 */
const RANKS_EXPONENT = 0.85;

/**
 * Time distributions of one transport on a grid of step `dt` ms: hops, trees, rounds. Hop
 * densities are memoized by payload size for the life of the model (one prediction).
 */
export class TimeModel {
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

/** One phase's time: a distribution (trees, rounds) or a fixed number of ms (sequential calls). */
export function phaseTime(tm: TimeModel, ph: Phase, n: number): { cdf?: Cdf; ms?: number } {
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
