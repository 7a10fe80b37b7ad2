import { describe, expect, it } from 'vitest';
import { AdaptiveSpin } from '../../../../sdk/transport/memory/adaptive-spin.js';

const CAP = 0.1; // ms

/** Misses until the window is at its floor (5 µs). */
function shrunk(): AdaptiveSpin {
  const spin = new AdaptiveSpin(() => CAP);
  for (let i = 0; i < 10; i++) spin.adapt(false);
  expect(spin.window()).toBeCloseTo(0.005);
  return spin;
}

describe('AdaptiveSpin', () => {
  it('starts at the cap, halves on a miss down to the floor, doubles on a catch up to the cap', () => {
    const spin = new AdaptiveSpin(() => CAP);
    expect(spin.window()).toBe(CAP);
    spin.adapt(false);
    expect(spin.window()).toBeCloseTo(CAP / 2);
    for (let i = 0; i < 20; i++) spin.adapt(false);
    expect(spin.window()).toBeCloseTo(0.005);
    spin.adapt(true);
    expect(spin.window()).toBeCloseTo(0.01);
    for (let i = 0; i < 20; i++) spin.adapt(true);
    expect(spin.window()).toBe(CAP);
  });

  it('a cap of 0 turns spinning off, whatever is signalled', () => {
    const spin = new AdaptiveSpin(() => 0);
    spin.adapt(true);
    spin.late(0.001);
    expect(spin.window()).toBe(0);
  });

  it('a frame that came soon after a shrunk window ran out restores the full window', () => {
    // The trap this avoids: every reply comes just after a shrunk window, so nothing widens it.
    const spin = shrunk();
    spin.late(0.03);
    expect(spin.window()).toBe(CAP);
    spin.adapt(true); // the full window caught the next one: it stays
    expect(spin.window()).toBe(CAP);
  });

  it('a frame that came long after the window (beyond two caps) does not restore it', () => {
    const spin = shrunk();
    spin.late(2 * CAP + 0.001);
    expect(spin.window()).toBeCloseTo(0.005);
  });

  it('ignores late signals for exponentially longer (up to 64) while restored windows keep missing', () => {
    // A peer that only answers once we stop spinning (it shares our core) must not make us spin
    // the full window every other message.
    const spin = shrunk();
    const restores: number[] = [];
    for (let signal = 0; signal < 300; signal++) {
      spin.late(0.03);
      if (spin.window() === CAP) restores.push(signal);
      spin.adapt(false); // the restored (or shrunk) window misses again
      for (let i = 0; i < 10; i++) spin.adapt(false);
    }
    // Restores at signals 0, then after skipping 1, 2, 4 ... 64 signals, then every 65th.
    expect(restores).toEqual([0, 2, 5, 10, 19, 36, 69, 134, 199, 264]);
  });

  it('a restored window that catches resets the back-off', () => {
    const spin = shrunk();
    spin.late(0.03);
    spin.adapt(false); // failed restore: the next late signal is ignored
    for (let i = 0; i < 10; i++) spin.adapt(false);
    spin.late(0.03);
    expect(spin.window()).toBeCloseTo(0.005);
    spin.late(0.03);
    expect(spin.window()).toBe(CAP);
    spin.adapt(true); // caught: back-off cleared
    for (let i = 0; i < 10; i++) spin.adapt(false);
    spin.late(0.03);
    expect(spin.window()).toBe(CAP);
  });
});
