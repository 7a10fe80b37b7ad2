import { describe, expect, it } from 'vitest';
import { Recorder } from '../../sdk/base/trace-recorder.js';

describe('Recorder frames (kept in columns, reported as events)', () => {
  it('reports every frame in order with its fields, past the first growth and over several contexts', () => {
    const rec = new Recorder(3);
    const n = 2500;
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) rec.frameSent(i % 7, i, i % 3 === 0 ? 'w' : 'w.1', i - 5, i * 10);
      else rec.frameReceived(i % 5, i, 'w.1.2', 2 ** 40 + i, 8);
    }
    const { frames } = rec.report();
    expect(frames).toHaveLength(n);
    for (const [i, f] of frames.entries()) {
      expect(f).toEqual(
        i % 2 === 0
          ? { k: 0, t: f.t, p: i % 7, q: i, c: i % 3 === 0 ? 'w' : 'w.1', tag: i - 5, b: i * 10 }
          : { k: 1, t: f.t, p: i % 5, q: i, c: 'w.1.2', tag: 2 ** 40 + i, b: 8 },
      );
      if (i > 0) expect(f.t).toBeGreaterThanOrEqual(frames[i - 1]!.t);
    }
    // Only sent frames count as bytes sent.
    expect(rec.bytesSent).toBe(
      Array.from({ length: n / 2 }, (_, j) => 2 * j * 10).reduce((a, b) => a + b, 0),
    );
  });
});
