import { describe, expect, it } from 'vitest';
import { rankProfilePart } from '../../sdk/base/rank-profile.js';
import { Recorder } from '../../sdk/base/trace-recorder.js';
import { mergeProfile, mpiProfile } from '../../sdk/launch/trace/mpi-profile.js';

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

  it('reports calls as recorded: optional fields only when given, settled ends and sizes, open ones closed at the job end', () => {
    const rec = new Recorder(0);
    rec.jobStarted();
    const n = 1500;
    const settled: number[] = [];
    for (let i = 0; i < n; i++) {
      const e = { n: i % 2 === 0 ? 'allreduce' : 'recv', t0: i, ts: i + 0.5, t1: Number.NaN, c: 'w' };
      const idx = rec.call(
        i % 2 === 0 ? { ...e, a: '2-nomial', b: 8 } : { ...e, p: 1, tag: 7, s: 'job.ts:3' },
      );
      expect(idx).toBe(i);
      // Every third call settles; the recv's size comes from its Status; the allreduce keeps its own.
      if (i % 3 === 0) {
        rec.callSettled(idx, i + 2, 64);
        settled.push(i);
      }
    }
    const done = rec.call({ n: 'barrier', t0: 5000, ts: 5001, t1: 5001 });
    rec.jobEnded();
    const { calls, jobEndMs } = rec.report();
    expect(calls).toHaveLength(n + 1);
    expect(calls[done]).toEqual({ n: 'barrier', t0: 5000, ts: 5001, t1: 5001 });
    for (const [i, c] of calls.slice(0, n).entries()) {
      const t1 = settled.includes(i) ? i + 2 : Math.max(jobEndMs, i + 0.5);
      expect(c).toEqual(
        i % 2 === 0
          ? { n: 'allreduce', t0: i, ts: i + 0.5, t1, c: 'w', a: '2-nomial', b: 8 }
          : {
              n: 'recv',
              t0: i,
              ts: i + 0.5,
              t1,
              c: 'w',
              p: 1,
              tag: 7,
              s: 'job.ts:3',
              ...(i % 3 === 0 ? { b: 64 } : {}),
            },
      );
    }
  });
});

describe('Recorder without a timeline (--profile alone)', () => {
  it('keeps no frames but still counts the bytes sent; its profile part sums the calls per kind and site', () => {
    const rec = new Recorder(1, { profile: true, frames: false });
    rec.jobStarted();
    rec.frameSent(0, 1, 'w', 0, 100);
    rec.frameReceived(0, 1, 'w', 0, 50);
    rec.call({ n: 'send', t0: 1, ts: 1.5, t1: 3, p: 0, b: 100, s: 'job.ts:4' });
    rec.call({ n: 'send', t0: 4, ts: 4.5, t1: 5, p: 0, b: 20, s: 'job.ts:4' });
    rec.call({ n: 'irecv', t0: 2, ts: 2.5, t1: 6, p: 0, s: 'job.ts:5' });
    rec.jobEnded();
    expect(rec.bytesSent).toBe(100);
    const trace = rec.report();
    expect(trace.frames).toEqual([]);
    const part = rankProfilePart(trace);
    expect(part.rank).toBe(1);
    // Overlapping calls (1-3, 2-6, 4-5) count once: 1 to 6.
    expect(part.mpiMs).toBe(5);
    expect(part.calls).toEqual([
      { call: 'send', count: 2, timeMs: 3, bytes: 120 },
      { call: 'irecv', count: 1, timeMs: 4, bytes: 0 },
    ]);
    expect(part.sites).toEqual([
      { site: 'job.ts:4', call: 'send', count: 2, timeMs: 3 },
      { site: 'job.ts:5', call: 'irecv', count: 1, timeMs: 4 },
    ]);
    // Merged, as the launcher does with every rank's part: the same as from the events.
    expect(mergeProfile([part])).toEqual(mpiProfile([trace]));
  });
});
