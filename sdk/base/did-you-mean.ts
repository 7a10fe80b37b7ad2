/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two short strings. */
function distance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `word`, if it is close enough to be a likely typo (a third of its
 * length, at least 1, or a prefix of it); `undefined` otherwise.
 *
 * @example
 * didYouMean('--rank', ['--ranks', '--json']) // '--ranks'
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  if (w.replace(/^-+/, '') === '') return undefined;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  let bestEdits = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const cl = c.toLowerCase();
    const edits = distance(w, cl);
    // A prefix counts as one edit away; among those, the closest wins (`pi-nonblock`: not `pi`).
    const dist = cl.startsWith(w) || w.startsWith(cl) ? Math.min(1, edits) : edits;
    if (dist < bestDistance || (dist === bestDistance && edits < bestEdits)) {
      best = c;
      bestDistance = dist;
      bestEdits = edits;
    }
  }
  const limit = Math.max(1, Math.floor(word.replace(/^-+/, '').length / 3));
  return bestDistance <= limit ? best : undefined;
}
