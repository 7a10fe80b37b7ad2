import { describe, expect, it } from 'vitest';
import {
  countInside,
  countInsideStreams,
  loadWasmKernel,
  STREAMS_PER_RANK,
  seedState,
  streamState,
} from '../../sdk/jobs/pi-kernel.js';

const P = Math.PI / 4;

/** z-score of an inside-count against the binomial(n, pi/4) it should follow. */
function z(inside: number, n: number): number {
  return (inside - n * P) / Math.sqrt(n * P * (1 - P));
}

describe('the pi kernel', () => {
  it('uses the WebAssembly SIMD kernel on this Node', () => {
    expect(loadWasmKernel()).not.toBeNull();
  });

  it('is deterministic for a seed and stream, and streams differ', () => {
    expect(countInsideStreams(100_003, 7, 0)).toBe(countInsideStreams(100_003, 7, 0));
    expect(countInsideStreams(100_003, 7, 0)).not.toBe(countInsideStreams(100_003, 7, 1));
    expect(countInside(10_000, streamState(7, 3))).toBe(countInside(10_000, streamState(7, 3)));
  });

  it('counts follow the binomial law of pi/4 over many streams (SIMD and scalar kernels)', () => {
    const n = 200_000;
    const zs: number[] = [];
    for (let s = 0; s < 40; s++) {
      zs.push(z(countInsideStreams(n, 11, s), n));
      zs.push(z(countInside(n, streamState(13, s)), n));
    }
    // Every z within 5 sigma, and their mean and spread as for a standard normal.
    for (const v of zs) expect(Math.abs(v)).toBeLessThan(5);
    const mean = zs.reduce((a, b) => a + b, 0) / zs.length;
    const sd = Math.sqrt(zs.reduce((a, b) => a + (b - mean) ** 2, 0) / zs.length);
    expect(Math.abs(mean)).toBeLessThan(0.6);
    expect(sd).toBeGreaterThan(0.6);
    expect(sd).toBeLessThan(1.5);
  });

  it('the SIMD kernel, called in chunks, counts what the scalar kernel counts on each of its streams', () => {
    // 4 lanes of m steps each (m spans several of the kernel's 2^18-step calls, and a partial one),
    // plus a remainder of 3 on the fifth stream of the rank.
    const m = 3 * 2 ** 18 + 5;
    const stream = 2;
    const base = stream * STREAMS_PER_RANK;
    let scalar = countInside(3, streamState(21, base + 4));
    for (let lane = 0; lane < 4; lane++) scalar += countInside(m, streamState(21, base + lane));
    expect(countInsideStreams(4 * m + 3, 21, stream)).toBe(scalar);
  });

  it('never starts from the all-zero state', () => {
    for (let seed = 0; seed < 1000; seed++)
      expect(Array.from(seedState(seed)).some((w) => w !== 0)).toBe(true);
  });
});

describe('stream jumps', () => {
  it('the WebAssembly jump and the JS jump give the same states', async () => {
    const { jump } = await import('../../sdk/jobs/pi-kernel.js');
    for (const index of [1, 2, 5, 33]) {
      const js = seedState(99);
      for (let i = 0; i < index; i++) jump(js);
      expect(Array.from(streamState(99, index))).toEqual(Array.from(js));
    }
  });
});
