import { describe, expect, it } from 'vitest';
import { MPIError } from '../../../sdk/index.js';
import { loopbackRanksPerTest } from '../../helpers/in-process-world.js';

const world = loopbackRanksPerTest();

/** Unhandled rejections seen while `body` runs (and a turn of the event loop after it). */
async function unhandledDuring(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  try {
    await body();
    // Node reports unhandled rejections after the microtask queue drains.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('unhandledRejection', listener);
  }
  return seen;
}

const matcher = (src: number, tag: number) => ({ ctx: 'c*', src, tag, allowed: undefined, call: 'test' });

describe('Endpoint.receivePayload (collectives: one promise per receive)', () => {
  it('resolves with the payload alone, whether the message came before or after the receive', async () => {
    const [r0, r1] = world(2);
    await r0!.endpoint.send(1, 'c*', 3, new Uint8Array([1, 2, 3]));
    await new Promise((r) => setImmediate(r));
    expect(Array.from(await r1!.endpoint.receivePayload(matcher(0, 3)))).toEqual([1, 2, 3]);
    const later = r1!.endpoint.receivePayload(matcher(0, 4));
    await r0!.endpoint.send(1, 'c*', 4, new Uint8Array([9]));
    expect(Array.from(await later)).toEqual([9]);
  });

  it('a receive that fails while nobody awaits it is not an unhandled rejection, and still rejects', async () => {
    const [, r1] = world(2);
    let pending: Promise<Uint8Array> | undefined;
    let afterDoom: Promise<Uint8Array> | undefined;
    const seen = await unhandledDuring(async () => {
      pending = r1!.endpoint.receivePayload(matcher(0, 7));
      r1!.endpoint.abort(3);
      afterDoom = r1!.endpoint.receivePayload(matcher(0, 8));
    });
    expect(seen).toEqual([]);
    await expect(pending).rejects.toThrow(MPIError);
    await expect(afterDoom).rejects.toThrow('called abort(3)');
  });
});
