/**
 * The calls a rank waits in (what a timeout report lists): tracked in the order they started,
 * each gone once it settles, whatever order they settle in.
 */
import { describe, expect, it } from 'vitest';
import { pendingCallsOf } from '../../../sdk/runtime/pending-calls.js';
import { loopbackRanksPerTest } from '../../helpers/in-process-world.js';

const world = loopbackRanksPerTest();
const calls = (pending: readonly { call: string }[]) => pending.map((p) => p.call);

describe('pending calls of a rank', () => {
  it('lists calls oldest first; ending one, in any order and even twice, leaves the others as they were', () => {
    const [r0] = world(1);
    const ep = r0!.endpoint;
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((call) => ep.trackStart(call));
    expect(calls(ep.pending)).toEqual(['a', 'b', 'c', 'd']);
    ep.trackEnd(b!);
    expect(calls(ep.pending)).toEqual(['a', 'c', 'd']);
    ep.trackEnd(b!);
    expect(calls(ep.pending)).toEqual(['a', 'c', 'd']);
    ep.trackEnd(a!);
    expect(calls(ep.pending)).toEqual(['c', 'd']);
    ep.trackEnd(d!);
    expect(calls(ep.pending)).toEqual(['c']);
    const e = ep.trackStart('e');
    expect(calls(ep.pending)).toEqual(['c', 'e']);
    ep.trackEnd(c!);
    ep.trackEnd(e);
    expect(ep.pending).toEqual([]);
    expect(calls(ep.pending)).toEqual([]);
  });

  it('a rank waiting in receives lists them until each completes, out of order too', async () => {
    const [r0, r1] = world(2);
    const reqs = [1, 2, 3].map((tag) => r1!.comm.irecv(0, tag));
    const collective = r1!.comm.ibarrier();
    expect(calls(pendingCallsOf(r1!.endpoint))).toEqual([
      'recv(source=0, tag=1)',
      'recv(source=0, tag=2)',
      'recv(source=0, tag=3)',
      'barrier()',
    ]);
    expect(pendingCallsOf(r1!.endpoint)[3]!.collective).toMatchObject({ seq: 1, name: 'barrier' });
    await r0!.comm.send('two', 1, 2);
    expect(await reqs[1]!.wait()).toBe('two');
    expect(calls(pendingCallsOf(r1!.endpoint))).toEqual([
      'recv(source=0, tag=1)',
      'recv(source=0, tag=3)',
      'barrier()',
    ]);
    await Promise.all([r0!.comm.send('one', 1, 1), r0!.comm.send('three', 1, 3), r0!.comm.barrier()]);
    await Promise.all([reqs[0]!.wait(), reqs[2]!.wait(), collective.wait()]);
    expect(pendingCallsOf(r1!.endpoint)).toEqual([]);
  });
});
