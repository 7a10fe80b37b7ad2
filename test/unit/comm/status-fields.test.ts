import { describe, expect, it } from 'vitest';
import { encode } from '../../../sdk/codec/codec.js';
import { ANY_SOURCE, ANY_TAG, PROC_NULL, Status, SUCCESS } from '../../../sdk/index.js';
import { runWorld } from '../../helpers/in-process-world.js';
import { frameOf, scriptedRankPerTest } from '../../helpers/scripted-transport.js';

// The Status a Comm fills from a message: its source (in the communicator's ranks), its own tag
// (whatever the receive asked for), its payload's byte count and SUCCESS, for every way of receiving or
// probing one. On a split communicator whose ranks are the world's reversed, so a world rank in
// place of a communicator rank shows.

/** A status filled with values no message has, so a field left unfilled shows. */
function stale(): Status {
  const s = new Status();
  s.source = 99;
  s.tag = 99;
  s.count = 99;
  s.error = 99;
  return s;
}

const fields = (s: Status) => [s.source, s.tag, s.count, s.error];

describe('the Status of a receive or probe', () => {
  it('has the message’s source in communicator ranks, its own tag under ANY_TAG, and its exact byte count', async () => {
    const got = await runWorld(4, async (c) => {
      const sub = (await c.split(0, -c.rank))!; // sub rank = 3 - world rank
      if (sub.rank === 3) {
        // Sub rank 1 takes a message by source from each of sub ranks 0 and 3 on one tag.
        await sub.send('from 3', 1, 9);
        return null;
      }
      if (sub.rank === 0) {
        await sub.send('from 0', 1, 9);
        for (const tag of [11, 12, 13, 14, 15]) await sub.send(`tag ${tag}`, 1, tag);
        await sub.Send(new Float64Array([1, 2, 3]), 1, 16);
        await sub.Send(new Float64Array([4, 5, 6]), 1, 17);
        await sub.send('last', 1, 18);
        return sub.recv(1, 20);
      }
      if (sub.rank === 2) return null;
      const bySource = [await sub.recv(0, 9), await sub.recv(3, 9)];
      const seen: Record<string, unknown> = { bySource };
      // probe fills the status it was given and returns it; iprobe then sees the same message.
      const given = stale();
      const probed = await sub.probe(ANY_SOURCE, ANY_TAG, given);
      seen.probe = [probed === given, ...fields(given)];
      const peeked = stale();
      seen.iprobe = [sub.iprobe(ANY_SOURCE, ANY_TAG, peeked), ...fields(peeked)];
      const st = stale();
      seen.recv = [await sub.recv(ANY_SOURCE, ANY_TAG, st), ...fields(st)];
      const st2 = stale();
      seen.irecv = [await sub.irecv(ANY_SOURCE, ANY_TAG).wait(st2), ...fields(st2)];
      const st3 = stale();
      seen.irecvByTag = [await sub.irecv(ANY_SOURCE, 14).wait(st3), ...fields(st3)];
      const st4 = stale();
      seen.recvByTag = [await sub.recv(0, 13, st4), ...fields(st4)];
      const st5 = stale();
      seen.sendrecv = [await sub.sendrecv('x', PROC_NULL, 0, ANY_SOURCE, ANY_TAG, st5), ...fields(st5)];
      const buf = new Float64Array(4);
      const st6 = stale();
      await sub.Recv(buf, ANY_SOURCE, ANY_TAG, st6);
      seen.Recv = fields(st6);
      const st7 = stale();
      await sub.Irecv(buf, ANY_SOURCE, ANY_TAG).wait(st7);
      seen.Irecv = fields(st7);
      const st8 = stale();
      await sub.recv(ANY_SOURCE, ANY_TAG, st8);
      seen.last = fields(st8);
      await sub.send('done', 0, 20);
      return seen;
    });
    const bytes = (v: unknown) => encode(v).length;
    const typed = new Float64Array(3).byteLength; // a TypedArray's own bytes, not its encoding's
    expect(got[2]).toEqual({
      bySource: ['from 0', 'from 3'],
      probe: [true, 0, 11, bytes('tag 11'), SUCCESS],
      iprobe: [true, 0, 11, bytes('tag 11'), SUCCESS],
      recv: ['tag 11', 0, 11, bytes('tag 11'), SUCCESS],
      irecv: ['tag 12', 0, 12, bytes('tag 12'), SUCCESS],
      irecvByTag: ['tag 14', 0, 14, bytes('tag 14'), SUCCESS],
      recvByTag: ['tag 13', 0, 13, bytes('tag 13'), SUCCESS],
      sendrecv: ['tag 15', 0, 15, bytes('tag 15'), SUCCESS],
      Recv: [0, 16, typed, SUCCESS],
      Irecv: [0, 17, typed, SUCCESS],
      last: [0, 18, bytes('last'), SUCCESS],
    });
    expect(got[3]).toBe('done');
  });

  it('is (PROC_NULL, ANY_TAG, 0) for every receive and probe from PROC_NULL, which iprobe finds at once', async () => {
    const [got] = await runWorld(1, async (c) => {
      const sts = Array.from({ length: 6 }, stale);
      const buf = new Float64Array([7]);
      await c.Recv(buf, PROC_NULL, 5, sts[2]);
      await c.Irecv(buf, PROC_NULL, 5).wait(sts[3]);
      const values = [
        await c.recv(PROC_NULL, 5, sts[0]),
        await c.irecv(PROC_NULL, 5).wait(sts[1]),
        (await c.probe(PROC_NULL, 5, sts[4])) === sts[4],
        c.iprobe(PROC_NULL, 5, sts[5]),
      ];
      return { values, buf: Array.from(buf), statuses: sts.map(fields) };
    });
    expect(got).toEqual({
      values: [null, null, true, true],
      buf: [7],
      statuses: Array(6).fill([PROC_NULL, ANY_TAG, 0, SUCCESS]),
    });
  });
});

const openScripted = scriptedRankPerTest();

describe('iprobe', () => {
  it('polls the transport itself: a loop of iprobe calls sees a message that arrives meanwhile, without awaiting', () => {
    const { comm, t } = openScripted(0);
    t.steps.push(
      () => false, // nothing yet
      () => {
        t.onFrames!([frameOf(0, 5, 'x')]);
        return true;
      },
    );
    const st = new Status();
    // At most three calls, so an iprobe that never polls fails here instead of spinning.
    const seen = Array.from({ length: 3 }, () => comm.iprobe(0, 5, st));
    expect(seen).toEqual([false, true, true]);
    expect(fields(st)).toEqual([0, 5, encode('x').length, SUCCESS]);
  });
});
