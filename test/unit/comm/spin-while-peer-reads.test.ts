import { describe, expect, it } from 'vitest';
import { frameOf, type ScriptedTransport, scriptedRankPerTest } from '../../helpers/scripted-transport.js';

// A blocking receive busy-polls for its window, then (see `Endpoint.#whilePeerReads`) on while
// the rank it last sent to is still reading a large message from it: the answer cannot come
// before that, and parking would add a wake-up to it. Rank 1 over a scripted transport with a
// 1 µs spin cap, so the window alone always misses; `reading` scripts the peer's progress.

const open = scriptedRankPerTest();

/** Poll steps that deliver frame 0 (tag 5) on the first poll once `ready()`, and only then. */
function deliverWhen(t: ScriptedTransport, ready: () => boolean): { delivered: boolean } {
  const state = { delivered: false };
  const frame = frameOf(0, 5, 'answer');
  const step = () => {
    if (state.delivered || !ready()) return false;
    state.delivered = true;
    t.onFrames!([frame]);
    return true;
  };
  for (let i = 0; i < 100_000; i++) t.steps.push(step);
  return state;
}

describe('a blocking receive while its peer reads what this rank sent', () => {
  it('polls on past its window while the reading moves, and one step more once it is done', async () => {
    const { comm, t } = open(1);
    t.reading.push(0, 4096, 8192, undefined);
    // The answer comes only after the peer has read everything (the last readingSent call).
    const state = deliverWhen(t, () => t.reading.length === 0);
    const got = comm.recv(0, 5);
    expect(state.delivered).toBe(true); // taken by the spin, within the call
    expect(await got).toBe('answer');
  });

  it('parks once the reading stops moving (the reader is not running), and still gets the answer', async () => {
    const { comm, t } = open(1);
    t.reading.push(4096, 4096, 9999, 9999);
    const state = deliverWhen(t, () => t.reading.length === 0);
    const got = comm.recv(0, 5);
    expect(state.delivered).toBe(false);
    expect(t.reading).toEqual([9999, 9999]); // asked twice: before the step and after it
    t.onFrames!([frameOf(0, 5, 'later')]);
    expect(await got).toBe('later');
  });

  it('does not poll past its window when nothing of its is unread', async () => {
    const { comm, t } = open(1);
    t.reading.push(undefined, 77);
    const got = comm.recv(0, 5);
    expect(t.reading).toEqual([77]); // asked once, and no step taken
    t.onFrames!([frameOf(0, 5, 'later')]);
    expect(await got).toBe('later');
  });
});
