import { describe, expect, it } from 'vitest';
import { ANY_SOURCE, ERR_OTHER, MPIError, SUM } from '../../../sdk/index.js';
import { openRank } from '../../../sdk/runtime/run-rank.js';
import { createMemoryFabric } from '../../../sdk/transport/memory/memory-fabric.js';
import { MemoryTransport } from '../../../sdk/transport/memory/memory-transport.js';
import { loopbackRanksPerTest, runWorld } from '../../helpers/in-process-world.js';

const world = loopbackRanksPerTest();

describe('a receive only returned ranks could serve', () => {
  it('completes while the returned rank still has messages in flight, fails once all arrived', async () => {
    const [r0, r1] = world(2);
    // Rank 1 learns first that rank 0 returned having sent it 2 messages, none of which arrived.
    r1!.endpoint.peerFinished(0, 2);
    const first = r1!.comm.recv(0, 5);
    await r0!.comm.send('a', 1, 5);
    await r0!.comm.send('b', 1, 5);
    expect(await first).toBe('a');
    expect(await r1!.comm.recv(0, 5)).toBe('b');
    const third = r1!.comm.recv(0, 5);
    await expect(third).rejects.toThrow(MPIError);
    await expect(third).rejects.toThrow(
      'rank 1 waits in recv(source=0, tag=5) for a message from rank 0, but rank 0 has returned ' +
        '(it sent rank 1 2 messages, all received): the job would hang.',
    );
  });

  it('receives posted before the messages: all served but the one too many, which fails when the last arrives', async () => {
    const [r0, r1] = world(2);
    const n = 2000;
    const posted = Array.from({ length: n + 1 }, () => r1!.comm.irecv(0, 5));
    r1!.endpoint.peerFinished(0, n);
    for (let i = 0; i < n; i++) await r0!.comm.send(i, 1, 5);
    const values = await Promise.all(posted.slice(0, n).map((r) => r.wait()));
    expect(values).toEqual(Array.from({ length: n }, (_, i) => i));
    await expect(posted[n]!.wait()).rejects.toThrow(/it sent rank 1 2000 messages, all received/);
  });

  it('fails a receive already waiting when its source returns with nothing more for it', async () => {
    const [, r1] = world(2);
    const waiting = r1!.comm.recv(0, 9);
    r1!.endpoint.peerFinished(0, 0);
    await expect(waiting).rejects.toThrow(
      /rank 1 waits in recv\(source=0, tag=9\).*it sent rank 1 no messages/,
    );
  });

  it('ANY_SOURCE: waits while any possible sender runs; a blocking receive fails when none does', async () => {
    const [, r1, r2] = world(3);
    r2!.endpoint.peerFinished(0, 0);
    const blocking = r2!.comm.recv(ANY_SOURCE, 1);
    // A non-blocking receive is left alone: its rank may still send to itself.
    const nonBlocking = r2!.comm.irecv(ANY_SOURCE, 2);
    await r1!.comm.send('x', 2, 1);
    expect(await blocking).toBe('x');
    r2!.endpoint.peerFinished(1, 1);
    await expect(r2!.comm.recv(ANY_SOURCE, 1)).rejects.toThrow(
      /every rank that could send it a message has returned \(ranks 0, 1; they sent rank 2 1 message, all received\)/,
    );
    expect(nonBlocking.test()[0]).toBe(false);
  });

  it('ANY_SOURCE on a split communicator: fails once its other members returned, though a non-member still runs', async () => {
    const [r0, r1, r2] = world(3);
    const subs = await Promise.all([r0, r1, r2].map((r) => r!.comm.split(r!.comm.rank === 2 ? 1 : 0)));
    r1!.endpoint.peerFinished(0, r0!.endpoint.channel.sentCounts()[1]!);
    // Rank 2 never returns, but it cannot send on rank 1's communicator.
    await expect(subs[1]!.recv(ANY_SOURCE, 1)).rejects.toThrow(
      /waits in recv\(source=ANY_SOURCE, tag=1\) on communicator .* but rank 0 has returned/,
    );
  });

  it('names the collective a rank waits in', async () => {
    const [, r1] = world(2);
    const barrier = r1!.comm.barrier();
    r1!.endpoint.peerFinished(0, 0);
    await expect(barrier).rejects.toThrow(
      "rank 1 waits in barrier() (collective #1 on COMM_WORLD) for rank 0's part of it, but rank 0 has returned " +
        'before doing it (it sent rank 1 no messages): the job would hang. Every rank of a communicator must ' +
        'call the same collectives in the same order: check that rank 0 makes this call too, with the same root, ' +
        'and, if it is non-blocking, waits for its request before returning.',
    );
  });
});

describe('collective mismatch', () => {
  it('a rank that gets a frame of another collective says which calls do not match', async () => {
    const run = runWorld(2, async (c) => {
      await c.barrier();
      // Both sides wait for the other's frame: rank 0 in bcast, rank 1 in allreduce.
      return c.rank === 0 ? c.bcast('v', 1) : c.allreduce(1, SUM);
    });
    await expect(run).rejects.toThrow(
      /collective mismatch on COMM_WORLD: rank [01] called (bcast|allreduce) \(collective #2\) while rank [01] called (bcast|allreduce) \(#2\)/,
    );
  });

  it('a frame of another collective that arrived before the call fails that call at once', async () => {
    const run = runWorld(2, async (c) => {
      if (c.rank === 0) {
        await c.bcast('v', 0); // eager: its frame reaches rank 1 before rank 1 calls anything
        await c.send('go', 1, 7);
        return 'sent';
      }
      await c.recv(0, 7); // sent after the bcast frame, so that frame is here now, unexpected
      return c.reduce(1, SUM, 0);
    });
    await expect(run).rejects.toThrow(
      /collective mismatch on COMM_WORLD: rank 0 called bcast \(collective #1\) while rank 1 called reduce \(#1\)/,
    );
  });

  it('a frame of another collective that arrived second, before the call, fails that call too', async () => {
    // Rank 2 gets rank 0's reduce frame, then rank 1's gather frame, both for call #1, then calls
    // reduce: the first frame agrees with it, the second does not.
    const run = runWorld(3, async (c) => {
      if (c.rank === 0) {
        await c.reduce(1, SUM, 2); // eager: straight to the root
        await c.send('reduced', 2, 7);
        return 'sent';
      }
      if (c.rank === 1) {
        await c.recv(2, 9); // rank 2 has rank 0's frame by now
        await c.gather(1, 2);
        await c.send('gathered', 2, 8);
        return 'sent';
      }
      await c.recv(0, 7);
      await c.send('go', 1, 9);
      await c.recv(1, 8);
      return c.reduce(1, SUM, 2);
    });
    await expect(run).rejects.toThrow(
      /collective mismatch on COMM_WORLD: rank 1 called gather \(collective #1\) while rank 2 called reduce \(#1\)/,
    );
  });
  it('a frame of another collective from a peer thousands of calls ahead fails that call when it comes', async () => {
    // Rank 0 makes 3,000 eager bcasts, then a reduce as call #3,001, before rank 1 calls anything:
    // rank 1 holds frames of 3,001 calls it has not made (more than the window of slots that
    // remembers them without a Map), makes the 3,000 bcasts, then an allreduce as call #3,001.
    const calls = 3000;
    const run = runWorld(2, async (c) => {
      if (c.rank === 0) {
        for (let i = 0; i < calls; i++) await c.bcast(i, 0);
        await c.reduce(1, SUM, 1); // eager: straight to the root
        await c.send('go', 1, 7);
        return 'sent';
      }
      await c.recv(0, 7);
      for (let i = 0; i < calls; i++) expect(await c.bcast(null, 0)).toBe(i);
      return c.allreduce(1, SUM);
    });
    await expect(run).rejects.toThrow(
      /collective mismatch on COMM_WORLD: rank 0 called reduce \(collective #3001\) while rank 1 called allreduce \(#3001\)/,
    );
  });
});

describe('a send to a rank that returned (its memory transport closed)', () => {
  it('fails with an MPIError naming both ranks and the tag, not the transport error', async () => {
    const fabric = createMemoryFabric(2);
    const [r0, r1] = [0, 1].map((rank) => openRank(new MemoryTransport(fabric, rank)));
    try {
      await r0!.endpoint.close();
      const late = r1!.comm.send('late', 0, 7);
      await expect(late).rejects.toBeInstanceOf(MPIError);
      await expect(late).rejects.toMatchObject({ errorClass: ERR_OTHER });
      await expect(late).rejects.toThrow(
        'rank 1 sent rank 0 a message (tag 7) after rank 0 returned from its job: nothing will receive it.',
      );
      // Its stack is the send's: it names this file, where the job's call was.
      await expect(late).rejects.toMatchObject({ stack: expect.stringContaining('finished-peers.test') });
      // In a collective the call is named by its number and communicator instead of a tag.
      await expect(r1!.comm.bcast('x', 1)).rejects.toThrow(
        /rank 1 sent rank 0 a message \(collective #1 on COMM_WORLD\) after rank 0 returned/,
      );
    } finally {
      await Promise.all([r0!, r1!].map((h) => h.endpoint.close()));
    }
  });
});
