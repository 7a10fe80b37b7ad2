import { describe, expect, it } from 'vitest';
import { allSent } from '../../../sdk/collectives/collective-context.js';
import { SUM } from '../../../sdk/index.js';
import { openRank } from '../../../sdk/runtime/run-rank.js';
import { createLoopbackTransports } from '../../../sdk/transport/loopback/loopback-transport.js';
import { SENT, type Transport } from '../../../sdk/transport/transport.js';

describe('allSent', () => {
  it('has nothing to wait for when every send was handed off at once', () => {
    expect(allSent([])).toBeUndefined();
    expect(allSent([SENT, SENT, SENT])).toBeUndefined();
  });

  it('waits for a send still in flight, and fails as Promise.all would', async () => {
    let finish!: () => void;
    const inFlight = new Promise<void>((r) => {
      finish = r;
    });
    let done = false;
    const waiting = allSent([SENT, inFlight])!.then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false);
    finish();
    await waiting;
    expect(done).toBe(true);
    await expect(allSent([SENT, Promise.reject(new Error('queue gone'))])).rejects.toThrow('queue gone');
  });
});

describe('a collective whose send fails', () => {
  it('fails with it: a scan does not return on the rank whose message never left', async () => {
    const [t0, t1] = createLoopbackTransports(2);
    const failing: Transport = {
      kind: 'loopback',
      rank: 0,
      size: 2,
      send: () => Promise.reject(new Error('queue gone')),
      start: (onFrames) => t0!.start(onFrames),
      poll: () => t0!.poll?.() ?? false,
      close: () => t0!.close(),
    };
    const ranks = [openRank(failing), openRank(t1!)];
    try {
      // Rank 0 of 2 only sends in a scan: its partial to rank 1.
      await expect(ranks[0]!.comm.scan(1, SUM)).rejects.toThrow('queue gone');
    } finally {
      await Promise.all(ranks.map((r) => r.endpoint.close()));
    }
  });
});
