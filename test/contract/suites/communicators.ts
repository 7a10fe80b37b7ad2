import { describe, expect, it } from 'vitest';
import { ANY_SOURCE, ANY_TAG, ERR_ARG, Status, SUM, UNDEFINED } from '../../../sdk/index.js';
import type { ContractWorld } from '../contract-world.js';

export function communicatorsContract(world: ContractWorld): void {
  describe('communicators', () => {
    it('split orders new ranks by key (negative keys too), ties by old rank; UNDEFINED gets null', async () => {
      const got = await world.run(7, async (c) => {
        const color = c.rank === 6 ? UNDEFINED : c.rank % 2;
        const key = c.rank === 3 ? -10 : c.rank < 4 ? 0 : -1;
        const sub = await c.split(color, key);
        if (sub === null) return null;
        const members = await sub.allgather(c.rank);
        return { rank: sub.rank, size: sub.size, members };
      });
      expect(got[6]).toBeNull();
      // color 0: ranks 0,2,4 with keys 0,0,-1 -> order 4,0,2
      expect(got[0]).toEqual({ rank: 1, size: 3, members: [4, 0, 2] });
      expect(got[4]).toEqual({ rank: 0, size: 3, members: [4, 0, 2] });
      // color 1: ranks 1,3,5 with keys 0,-10,-1 -> order 3,5,1
      expect(got[1]).toEqual({ rank: 2, size: 3, members: [3, 5, 1] });
      expect(got[3]).toEqual({ rank: 0, size: 3, members: [3, 5, 1] });
    });

    it('point-to-point on a split communicator uses its own ranks, sources and message space', async () => {
      const got = await world.run(4, async (c) => {
        const sub = (await c.split(c.rank % 2, -c.rank))!; // reversed order inside each half
        // Same tag on world and sub: each receive must take its own communicator's message.
        if (sub.rank === 0) {
          await sub.send(`sub from world ${c.rank}`, 1, 5);
        }
        await c.send(`world from ${c.rank}`, (c.rank + 1) % 4, 5);
        const st = new Status();
        const fromSub = sub.rank === 1 ? await sub.recv(ANY_SOURCE, 5, st) : null;
        const fromWorld = await c.recv(ANY_SOURCE, 5);
        return [fromSub, st.source, fromWorld];
      });
      // halves: {0,2} -> sub ranks 2->0, 0->1 ; {1,3} -> 3->0, 1->1
      expect(got[0]).toEqual(['sub from world 2', 0, 'world from 3']);
      expect(got[1]).toEqual(['sub from world 3', 0, 'world from 0']);
      expect(got[2]![0]).toBeNull();
    });

    it("a user's recv(ANY_SOURCE, ANY_TAG) never takes a collective's message", async () => {
      const got = await world.run(3, async (c) => {
        const r = c.irecv(ANY_SOURCE, ANY_TAG);
        const sum = await c.allreduce(c.rank, SUM);
        await c.bcast('b', 0);
        expect(r.test()[0]).toBe(false);
        await c.send(`p2p ${c.rank}`, c.rank, 0);
        return [sum, await r.wait()];
      });
      expect(got).toEqual([
        [3, 'p2p 0'],
        [3, 'p2p 1'],
        [3, 'p2p 2'],
      ]);
    });

    it('dup gives a communicator whose traffic never mixes with the original', async () => {
      const got = await world.run(2, async (c) => {
        const d = await c.dup();
        if (c.rank === 0) {
          await d.send('dup', 1, 1);
          await c.send('world', 1, 1);
          return null;
        }
        return [await c.recv(0, 1), await d.recv(0, 1)];
      });
      expect(got[1]).toEqual(['world', 'dup']);
    });

    it('split rejects a color that is neither >= 0 nor UNDEFINED', async () => {
      await world.run(2, async (c) => {
        await expect(c.split(-5)).rejects.toMatchObject({ errorClass: ERR_ARG });
        await expect(c.split(0.5)).rejects.toMatchObject({ errorClass: ERR_ARG });
      });
    });
  });
}
