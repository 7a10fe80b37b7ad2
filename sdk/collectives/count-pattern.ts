import { clampRadix } from './algorithms.js';
import type { Phase, Round } from './call-pattern.js';
import { parent } from './knomial-tree.js';
import { deleteCalls, receiveCalls } from './receive-calls.js';
import { foldedToOld } from './recursive-plan.js';
import type { TransportProfile } from './transport-profile.js';
import { childCounts, subtreeSize } from './tree-shape.js';

/*
 * Counting: hops, messages, requests. Hops are exact: the causal depth of every rank is followed
 * through the call's pattern (tree edges, group exchanges, Bruck offsets, the fold of ranks
 * outside a recursive plan).
 */

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

/** What one call costs in messages and requests. */
export interface Counts {
  hops: number;
  messages: number;
  /** [bytes, count] of messages. */
  sizes: [number, number][];
  receives: number;
  deletes: number;
  /** Most messages one rank sends at once. */
  maxFan: number;
}

/** Hops, messages and API requests of a call made of `phases` over `n` ranks. */
export function countPattern(phases: Phase[], n: number, p: TransportProfile): Counts {
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
