import { describe, expect, it } from 'vitest';
import {
  ANY_SOURCE,
  ANY_TAG,
  ERR_RANK,
  ERR_TAG,
  ERR_TRUNCATE,
  ERR_TYPE,
  MPIError,
  PROC_NULL,
  Request,
  Status,
  TAG_UB,
  UNDEFINED,
} from '../../../sdk/index.js';
import type { ContractWorld } from '../contract-world.js';

async function rejection(p: Promise<unknown>): Promise<MPIError> {
  try {
    await p;
  } catch (e) {
    return e as MPIError;
  }
  throw new Error('expected a rejection');
}

export function pointToPointContract(world: ContractWorld): void {
  describe('point to point', () => {
    it('recv returns a copy of what was sent, with source, tag and byte count in the status', async () => {
      const got = await world.run(2, async (c) => {
        const obj = { key: 'value', n: [1, 2, 3] };
        if (c.rank === 0) {
          await c.send(obj, 1, 11);
          return obj;
        }
        const st = new Status();
        const v = await c.recv(0, 11, st);
        return { v, source: st.source, tag: st.tag, count: st.count };
      });
      const r1 = got[1] as { v: unknown; source: number; tag: number; count: number };
      expect(r1.v).toEqual({ key: 'value', n: [1, 2, 3] });
      expect(r1.v).not.toBe(got[0]);
      expect([r1.source, r1.tag]).toEqual([0, 11]);
      expect(r1.count).toBeGreaterThan(0);
    });

    it("a TypedArray message's status counts its bytes, so Get_elements counts its elements", async () => {
      const got = await world.run(2, async (c) => {
        if (c.rank === 0) {
          await c.Send(new Int32Array([1, 2, 3]), 1, 1);
          await c.Send(new Uint8Array(1), 1, 2);
          await c.send(new Float64Array(5), 1, 3);
          return [];
        }
        const counts: number[][] = [];
        const into = new Int32Array(8);
        const st = new Status();
        await c.Recv(into, 0, 1, st);
        counts.push([st.Get_count(), st.Get_elements(Int32Array.BYTES_PER_ELEMENT)]);
        await c.Recv(new Uint8Array(8), 0, 2, st);
        counts.push([st.Get_count(), st.Get_elements()]);
        await c.probe(0, 3, st);
        counts.push([st.count]);
        await c.recv(0, 3, st);
        counts.push([st.Get_count(), st.Get_elements(8)]);
        return counts;
      });
      expect(got[1]).toEqual([[12, 3], [1, 1], [40], [40, 5]]);
    });

    it('messages between one pair never overtake each other, for every size', async () => {
      // Messages per (source, destination) pair: fewer where each is an HTTP call (SQS).
      const n = world.exhaustive ? 50 : 8;
      for (const size of world.sizes) {
        const got = await world.run(size, async (c) => {
          const sends = [];
          for (let i = 0; i < n; i++) for (let d = 0; d < size; d++) sends.push(c.isend([c.rank, i], d, 3));
          const seen: number[][] = Array.from({ length: size }, () => []);
          for (let k = 0; k < n * size; k++) {
            const [src, i] = (await c.recv(ANY_SOURCE, 3)) as [number, number];
            seen[src]!.push(i);
          }
          await Request.waitall(sends);
          return seen;
        });
        for (const seen of got)
          for (const s of seen) expect(s).toEqual(Array.from({ length: n }, (_, i) => i));
      }
    });

    it('tags select messages, ANY_TAG takes the oldest, and unmatched ones wait', async () => {
      const got = await world.run(2, async (c) => {
        if (c.rank === 0) {
          await c.send('a', 1, 1);
          await c.send('b', 1, 2);
          await c.send('c', 1, 1);
          return null;
        }
        const st = new Status();
        const two = await c.recv(0, 2);
        const any = await c.recv(ANY_SOURCE, ANY_TAG, st);
        const one = await c.recv(0, 1);
        return [two, any, st.tag, one];
      });
      expect(got[1]).toEqual(['b', 'a', 1, 'c']);
    });

    it('irecv posted before the send completes; isend/irecv requests report through test and wait', async () => {
      const got = await world.run(2, async (c) => {
        if (c.rank === 1) {
          const r = c.irecv(0, 5);
          expect(r.test()).toEqual([false, undefined]);
          expect(r.active).toBe(true);
          // Only now may rank 0 send: a message already here completes the request at its first test.
          await c.send('posted', 0, 6);
          const st = new Status();
          const v = await r.wait(st);
          expect(r.active).toBe(false);
          // waiting again gives the value again
          expect(await r.wait()).toBe(v);
          return [v, st.source, st.tag];
        }
        await c.recv(1, 6);
        const s = c.isend(42, 1, 5);
        await s;
        expect(s.test()).toEqual([true, undefined]);
        return null;
      });
      expect(got[1]).toEqual([42, 0, 5]);
    });

    it('sendrecv exchanges between two ranks without deadlock', async () => {
      for (const size of world.sizes) {
        const got = await world.run(size, (c) =>
          c.sendrecv(c.rank, (c.rank + 1) % size, 0, (c.rank - 1 + size) % size, 0),
        );
        expect(got).toEqual(Array.from({ length: size }, (_, r) => (r - 1 + size) % size));
      }
    });

    it('probe waits for a message without taking it; iprobe looks only at what has arrived', async () => {
      const got = await world.run(2, async (c) => {
        if (c.rank === 0) {
          await c.recv(1, 99); // wait until rank 1 checked iprobe on an empty queue
          await c.send(new Float64Array(4), 1, 7);
          return null;
        }
        const st0 = new Status();
        st0.tag = 1234;
        const before = c.iprobe(0, 7, st0);
        await c.send('go', 0, 99);
        const st = await c.probe(ANY_SOURCE, ANY_TAG);
        const again = new Status();
        const now = c.iprobe(0, 7, again);
        const v = (await c.recv(st.source, st.tag)) as Float64Array;
        return [before, st0.tag, st.source, st.tag, st.count >= 32, now, again.tag, v.length];
      });
      expect(got[1]).toEqual([false, 1234, 0, 7, true, true, 7, 4]);
    });

    it('PROC_NULL sends are no-ops and receives complete at once with null', async () => {
      await world.run(2, async (c) => {
        await c.send('x', PROC_NULL);
        const st = new Status();
        expect(await c.recv(PROC_NULL, 5, st)).toBeNull();
        expect([st.source, st.tag, st.count]).toEqual([PROC_NULL, ANY_TAG, 0]);
        expect(c.irecv(PROC_NULL).test()[0]).toBe(true);
        // The buffer forms are void, as for any other source, and leave the buffer alone.
        const buf = new Float64Array([7]);
        expect(await c.Recv(buf, PROC_NULL)).toBeUndefined();
        expect(await c.Irecv(buf, PROC_NULL).wait()).toBeUndefined();
        expect(c.Irecv(buf, PROC_NULL).test()).toEqual([true, undefined]);
        expect(buf[0]).toBe(7);
      });
    });

    it('TAG_UB is a valid tag', async () => {
      const got = await world.run(2, async (c) =>
        c.rank === 0 ? c.send('top', 1, TAG_UB) : c.recv(0, TAG_UB),
      );
      expect(got[1]).toBe('top');
    });

    it('a message larger than any frame, ring or queue message limit arrives whole, in order with small ones', async () => {
      // 1.5 MB: over SQS's 1 MiB message limit (offloaded to S3) and over the memory ring
      // (written in chunks); the small messages around it must not overtake it.
      const len = 196_613;
      const got = await world.run(2, async (c) => {
        if (c.rank === 0) {
          await c.send('before', 1, 4);
          await c.Send(
            Float64Array.from({ length: len }, (_, i) => i * 0.25),
            1,
            4,
          );
          await c.send({ text: 'x'.repeat(len), n: len }, 1, 4);
          await c.send('after', 1, 4);
          return null;
        }
        const first = await c.recv(0, 4);
        const buf = new Float64Array(len);
        await c.Recv(buf, 0, 4);
        let wrong = 0;
        for (let i = 0; i < len; i++) if (buf[i] !== i * 0.25) wrong++;
        const obj = (await c.recv(0, 4)) as { text: string; n: number };
        const last = await c.recv(0, 4);
        return [first, wrong, obj.n, obj.text.length, /^x+$/.test(obj.text), last];
      });
      expect(got[1]).toEqual(['before', 0, len, len, true, 'after']);
    });

    it('large buffer receives posted before their messages get them whole, in posting order, at any offset; mismatches still fail', async () => {
      // Posted first, so a transport that can place a message in its receive's buffer as it
      // comes (shared-memory rings) does: order, offsets, a buffer's tail and errors must hold.
      const n = 5000;
      const got = await world.run(2, async (c) => {
        const values = (k: number) => Float64Array.from({ length: n }, (_, i) => i + k / 8);
        if (c.rank === 0) {
          await c.recv(1, 9); // rank 1 has posted its receives
          for (const k of [1, 2, 3]) await c.Send(values(k), 1, 7);
          await c.Send(new Uint8Array(n).fill(5), 1, 8);
          await c.Send(values(4), 1, 8); // into an Int32Array: ERR_TYPE
          await c.Send(values(5), 1, 8); // into a shorter buffer: ERR_TRUNCATE
          return null;
        }
        const backing = new ArrayBuffer(8 * (3 * n + 2));
        const bufs = [0, 1, 2].map((j) => new Float64Array(backing, 8 * (j * n + 1), n));
        const reqs = bufs.map((b) => c.Irecv(b, 0, 7));
        const odd = new Uint8Array(n + 8);
        const oddReq = c.Irecv(odd.subarray(3, 3 + n + 2), 0, 8);
        const typeReq = c.Irecv(new Int32Array(2 * n), 0, 8);
        const shortReq = c.Irecv(new Float64Array(n - 1), 0, 8);
        await c.send('posted', 0, 9);
        const st = new Status();
        await reqs[0]!.wait(st);
        await Request.waitall(reqs.slice(1));
        await oddReq.wait();
        const errors = [await rejection(typeReq.wait()), await rejection(shortReq.wait())];
        const wrong = bufs.map((b, j) => b.filter((v, i) => v !== i + (j + 1) / 8).length);
        const whole = new Float64Array(backing);
        return [
          wrong,
          st.count >= 8 * n,
          [whole[0], whole[3 * n + 1]],
          [odd[2], odd[3], odd[n + 2], odd[n + 3], odd[n + 4]],
          errors.map((e) => e.errorClass),
        ];
      });
      expect(got[1]).toEqual([[0, 0, 0], true, [0, 0], [0, 5, 5, 0, 0], [ERR_TYPE, ERR_TRUNCATE]]);
    });

    it('Send/Recv carry TypedArrays into the receive buffer; a larger buffer keeps its tail, a smaller one is ERR_TRUNCATE', async () => {
      const got = await world.run(2, async (c) => {
        if (c.rank === 0) {
          await c.Send(new Float64Array([1, 2, 3]), 1, 0);
          await c.Send(new Float64Array([4, 5, 6]), 1, 1);
          await c.Send(new Int32Array([9]), 1, 2);
          return null;
        }
        const big = new Float64Array([0, 0, 0, 0, 99]);
        const st = new Status();
        await c.Recv(big, 0, 0, st);
        const small = new Float64Array(2);
        const failed = new Status();
        const err = await rejection(c.Recv(small, 0, 1, failed));
        // the message was consumed: the next receive gets the next message
        const wrongType = await rejection(c.Recv(new Float64Array(2), 0, 2));
        return [
          Array.from(big),
          st.count >= 24,
          err.errorClass,
          wrongType.errorClass,
          c.iprobe(0, ANY_TAG),
          // a failed receive still says what it matched, with the error class
          [failed.source, failed.tag, failed.count >= 24, failed.error],
        ];
      });
      expect(got[1]).toEqual([
        [1, 2, 3, 0, 99],
        true,
        ERR_TRUNCATE,
        ERR_TYPE,
        false,
        [0, 1, true, ERR_TRUNCATE],
      ]);
    });
  });

  describe('point-to-point argument errors', () => {
    it('reject with ERR_RANK / ERR_TAG / ERR_TYPE and say what was wrong', async () => {
      await world.run(3, async (c) => {
        const e1 = await rejection(c.send(1, 3));
        expect(e1.errorClass).toBe(ERR_RANK);
        expect(e1.message).toContain('[0, 3)');
        expect(e1.message).toContain('`3`');
        expect((await rejection(c.send(1, ANY_SOURCE))).errorClass).toBe(ERR_RANK);
        expect((await rejection(c.send(1, 0, ANY_TAG))).errorClass).toBe(ERR_TAG);
        expect((await rejection(c.send(1, 0, -5))).errorClass).toBe(ERR_TAG);
        expect((await rejection(c.send(1, 0, TAG_UB + 1))).errorClass).toBe(ERR_TAG);
        expect((await rejection(c.recv(7))).errorClass).toBe(ERR_RANK);
        expect((await rejection(c.recv(0, -9))).errorClass).toBe(ERR_TAG);
        expect(() => c.isend(1, 9)).toThrow(MPIError);
        const fn = await rejection(c.send({ cb: () => 1 }, 0));
        expect(fn.errorClass).toBe(ERR_TYPE);
        expect(fn.message).toContain('cb');
        expect((await rejection(c.send(Symbol('s'), 0))).errorClass).toBe(ERR_TYPE);
        expect((await rejection(c.Send([1, 2] as unknown as Float64Array, 0))).errorClass).toBe(ERR_TYPE);
        expect((await rejection(c.Send(new Float64Array(1), 5))).errorClass).toBe(ERR_RANK);
        expect((await rejection(c.Recv([1, 2] as unknown as Float64Array, 0))).errorClass).toBe(ERR_TYPE);
        expect((await rejection(c.Recv(new Float64Array(1), 0, -3))).errorClass).toBe(ERR_TAG);
      });
    });
  });

  describe('Request statics', () => {
    it('waitany reports a request that finished in the background, then the rest; [UNDEFINED, undefined] when none is active', async () => {
      await world.run(2, async (c) => {
        if (c.rank === 0) {
          await c.send('first', 1, 2);
          await c.recv(1, 9);
          await c.send('second', 1, 1);
          return;
        }
        const reqs = [c.irecv(0, 1), c.irecv(0, 2)];
        const [i, v] = await Request.waitany(reqs);
        expect([i, v]).toEqual([1, 'first']);
        expect(reqs[1]!.active).toBe(false);
        await c.send('go', 0, 9);
        expect(await Request.waitany(reqs)).toEqual([0, 'second']);
        expect(await Request.waitany(reqs)).toEqual([UNDEFINED, undefined]);
        expect(Request.testany(reqs)).toEqual([UNDEFINED, true, undefined]);
        expect(Request.testsome(reqs)).toEqual([]);
        expect(await Request.waitsome(reqs)).toEqual([]);
      });
    });

    it('testall/testany/testsome report nothing until complete, waitsome returns finished indices', async () => {
      await world.run(2, async (c) => {
        if (c.rank === 0) {
          await c.recv(1, 9);
          await c.send('a', 1, 1);
          await c.send('b', 1, 2);
          return;
        }
        const reqs = [c.irecv(0, 1), c.irecv(0, 2)];
        expect(Request.testall(reqs)).toEqual([false, undefined]);
        expect(Request.testany(reqs)).toEqual([UNDEFINED, false, undefined]);
        expect(Request.testsome(reqs)).toEqual([]);
        await c.send('go', 0, 9);
        const done = await Request.waitsome(reqs);
        expect(done.length).toBeGreaterThan(0);
        for (const i of done) expect(reqs[i]!.active).toBe(false);
        const values = await Request.waitall(reqs);
        expect(values).toEqual(['a', 'b']);
        expect(await reqs[0]!.wait()).toBe('a');
      });
    });
  });
}
