import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../sdk/base/seeded-random.js';
import { SeqMap } from '../../../sdk/comm/seq-map.js';

describe('SeqMap (call numbers to small integers)', () => {
  it('holds keys that share a slot apart, past the most slots too, and frees a slot when taken', () => {
    const m = new SeqMap();
    const far = 65536; // the most slots: keys this far apart always share one
    m.set(5, 1);
    m.set(5 + 256, 2); // the first slots' count: grows
    m.set(5 + far, 3); // overflow
    m.set(5 + 2 * far, 4); // overflow
    expect([m.size, m.get(5), m.get(261), m.get(5 + far), m.get(5 + 2 * far), m.get(6)]).toEqual([
      4,
      1,
      2,
      3,
      4,
      undefined,
    ]);
    expect(m.take(5)).toBe(1);
    // The slot is free now, but 5 + far lives in the overflow: setting it again must update, not add.
    m.set(5 + far, 7);
    expect([m.size, m.get(5 + far)]).toEqual([3, 7]);
    expect([m.take(5 + far), m.take(5 + far), m.take(5 + 2 * far), m.take(261), m.size]).toEqual([
      7,
      undefined,
      4,
      2,
      0,
    ]);
  });

  it('agrees with a Map over 20,000 random operations on keys near a moving front', () => {
    const random = seededRandom(11);
    const m = new SeqMap();
    const model = new Map<number, number>();
    let front = 0;
    for (let i = 0; i < 20_000; i++) {
      front += Math.floor(random() * 3);
      // Mostly near the front, sometimes far ahead of it (a slot another key holds).
      const key = front + Math.floor(random() * (random() < 0.1 ? 200_000 : 40));
      const r = random();
      if (r < 0.45) {
        const value = Math.floor(random() * 2 ** 20);
        m.set(key, value);
        model.set(key, value);
      } else if (r < 0.8) {
        const want = model.get(key);
        model.delete(key);
        expect(m.take(key)).toBe(want);
      } else {
        expect(m.get(key)).toBe(model.get(key));
      }
      expect(m.size).toBe(model.size);
    }
    for (const [key, value] of model) expect(m.take(key)).toBe(value);
    expect(m.size).toBe(0);
  });
});
