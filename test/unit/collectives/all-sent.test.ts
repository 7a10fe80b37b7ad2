import { describe, expect, it } from 'vitest';
import { allSent } from '../../../sdk/collectives/collective-context.js';
import { SENT } from '../../../sdk/transport/transport.js';

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
