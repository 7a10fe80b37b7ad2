/**
 * Sequential references for the buffer collectives: what every rank's receive buffer holds after
 * the call, computed from every rank's inputs without a single message. Plain arrays of numbers
 * in and out; `init` is each receive buffer before the call (elements a call does not write keep
 * their value). The oracles the buffer-collective tests compare Comm (every algorithm) against.
 */

export type Fold = (a: number, b: number) => number;

/** Exclusive prefix sums: the default displacements. */
export function prefix(counts: readonly number[]): number[] {
  let at = 0;
  return counts.map((c) => {
    const d = at;
    at += c;
    return d;
  });
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

function put(into: number[], at: number, block: readonly number[]): number[] {
  const out = [...into];
  block.forEach((v, i) => {
    out[at + i] = v;
  });
  return out;
}

export const reference = {
  /** Rank i's buffer gets `send[displs[i] .. + counts[i])` at its front. */
  scatterv(
    send: readonly number[],
    counts: readonly number[],
    displs: readonly number[],
    init: number[][],
  ): number[][] {
    return init.map((buf, i) => put(buf, 0, send.slice(displs[i]!, displs[i]! + counts[i]!)));
  },

  /** The root's buffer gets rank i's block at `displs[i]`. */
  gatherv(sends: readonly number[][], displs: readonly number[], init: number[]): number[] {
    return sends.reduce((buf, s, i) => put(buf, displs[i]!, s), init);
  },

  /** Every rank's buffer gets rank i's block at `displs[i]`. */
  allgatherv(sends: readonly number[][], displs: readonly number[], init: number[][]): number[][] {
    return init.map((buf) => reference.gatherv(sends, displs, buf));
  },

  /** Rank j's buffer gets, at `rdispls[j][i]`, what rank i sends it: `sendcounts[i][j]` elements at `sdispls[i][j]`. */
  alltoallv(
    sends: readonly number[][],
    sendcounts: readonly number[][],
    sdispls: readonly number[][],
    rdispls: readonly number[][],
    init: number[][],
  ): number[][] {
    return init.map((buf, j) =>
      sends.reduce(
        (acc, s, i) =>
          put(acc, rdispls[j]![i]!, s.slice(sdispls[i]![j]!, sdispls[i]![j]! + sendcounts[i]![j]!)),
        buf,
      ),
    );
  },

  /** Element-wise fold in rank order of the first `sum(counts)` elements, rank i getting block i at its front. */
  reduceScatter(
    sends: readonly number[][],
    counts: readonly number[],
    fold: Fold,
    init: number[][],
  ): number[][] {
    const total = sum(counts);
    const reduced = Array.from({ length: total }, (_, e) =>
      sends.map((s) => s[e]!).reduce((x, y) => fold(x, y)),
    );
    const d = prefix(counts);
    return init.map((buf, i) => put(buf, 0, reduced.slice(d[i]!, d[i]! + counts[i]!)));
  },

  /** Element-wise prefix fold in rank order; exclusive leaves rank 0's buffer as it was. */
  scan(sends: readonly number[][], fold: Fold, exclusive: boolean, init: number[][]): number[][] {
    return init.map((buf, i) => {
      const upto = exclusive ? i : i + 1;
      if (upto === 0) return buf;
      const part = sends.slice(0, upto);
      return put(
        buf,
        0,
        part[0]!.map((_, e) => part.map((s) => s[e]!).reduce((x, y) => fold(x, y))),
      );
    });
  },
};

/** Uneven counts with zeros among them (3, 2, 1, 0, 3, 2, ...), shifted by `seed`. */
export function unevenCounts(size: number, seed = 0): number[] {
  return Array.from({ length: size }, (_, i) => (i * 7 + 3 + seed) % 4);
}

/** Displacements that place the blocks in reverse rank order with a one-element gap after each. */
export function gappedDispls(counts: readonly number[]): number[] {
  const out = new Array<number>(counts.length);
  let at = 0;
  for (let i = counts.length - 1; i >= 0; i--) {
    out[i] = at;
    at += counts[i]! + 1;
  }
  return out;
}

/** Length of a buffer that holds every block at `displs`. */
export function extent(counts: readonly number[], displs: readonly number[]): number {
  return Math.max(0, ...counts.map((c, i) => displs[i]! + c));
}

/** Digit concatenation (12 op 3 = 123): associative, not commutative, so any order mistake shows. */
export const concatDigits: Fold = (a, b) => a * 10 ** Math.max(1, Math.ceil(Math.log10(b + 1))) + b;
