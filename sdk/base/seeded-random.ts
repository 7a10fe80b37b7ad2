/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence, so a
 * simulation, a fault schedule or a fuzz case can be replayed. Not for anything secret.
 *
 * @example
 * const random = seededRandom(42);
 * const coin = random() < 0.5; // a float in [0, 1)
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
