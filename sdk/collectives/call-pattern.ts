import { type AlgorithmSpec, clampRadix } from './algorithms.js';
import type { CallShape } from './call-shape.js';
import { recursivePlan } from './recursive-plan.js';

/*
 * Communication patterns: what each algorithm does, as data. A call is a sequence of phases
 * (trees, rounds of exchanges, sequential sends, chains); the counting and the time model read
 * nothing else of the algorithm.
 */

/** Whom each rank hears from in a round, for the causal depth (hops). */
export type Peers =
  /** The other members of its group: ranks equal but for the digit of this stride. */
  | { kind: 'group'; radix: number; stride: number }
  /** Ranks at these offsets (mod n when `wrap`, else only those in range). */
  | { kind: 'offsets'; offsets: number[]; wrap: boolean }
  | { kind: 'all' };

/** One round of exchanges, the same for every rank but for the bursts. */
export interface Round {
  /** Most messages one rank waits for in this round (and sends, in order). */
  fan: number;
  /** Bytes per message. */
  bytes: number;
  /** Receive bursts: [messages in the burst, ranks that get such a burst]. */
  bursts: [number, number][];
  messages: number;
  peers: Peers;
}

/** One phase of a call; phases run one after another. */
export type Phase =
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

/** The phases of `spec` running one call of `shape`. */
export function callPattern(shape: Required<CallShape>, spec: AlgorithmSpec): Phase[] {
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
