/**
 * Types of the Request statics. `npm run typecheck` compiles this file, so a wrong type is a
 * build failure; the runtime part checks that the values are the ones the types promise.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { Request } from '../../../sdk/index.js';
import { runWorld } from '../../helpers/in-process-world.js';

/** What a send request completes with (API.md: a send request's value is `undefined`, typed void). */
// biome-ignore lint/suspicious/noConfusingVoidType: it is the type isend returns, `Request<void>`
type Sent = void;

describe('Request statics over requests of different value types', () => {
  it('waitall([isend, irecv<T>]) type-checks and gives [void, T]', async () => {
    const got = await runWorld(2, async (comm) => {
      const peer = 1 - comm.rank;
      const values = await Request.waitall([comm.isend(comm.rank * 10, peer), comm.irecv<number>(peer)]);
      expectTypeOf(values).toEqualTypeOf<[Sent, number]>();
      const [, received] = values;
      expectTypeOf(received).toEqualTypeOf<number>();
      return received;
    });
    expect(got).toEqual([10, 0]);
  });

  it('an array of one request type still gives an array of its values', async () => {
    const got = await runWorld(2, async (comm) => {
      const reqs: Request<string>[] = [comm.irecv<string>(1 - comm.rank)];
      await comm.send(`from ${comm.rank}`, 1 - comm.rank);
      const values = await Request.waitall(reqs);
      expectTypeOf(values).toEqualTypeOf<string[]>();
      return values;
    });
    expect(got).toEqual([['from 1'], ['from 0']]);
  });

  it('testall, waitany and testany accept mixed requests too', async () => {
    await runWorld(2, async (comm) => {
      const peer = 1 - comm.rank;
      const mixed = [comm.isend('x', peer), comm.irecv<string>(peer)] as const;
      const [index, value] = await Request.waitany([...mixed]);
      expectTypeOf(value).toEqualTypeOf<string | undefined | Sent>();
      expect(index).toBeGreaterThanOrEqual(0);
      const all = await Request.waitall(mixed);
      expectTypeOf(all).toEqualTypeOf<[Sent, string]>();
      const [done, values] = Request.testall(mixed);
      expectTypeOf(values).toEqualTypeOf<[Sent, string] | undefined>();
      expect(done).toBe(true);
      expect(values?.[1]).toBe('x');
      const [, , any] = Request.testany([...mixed]);
      expectTypeOf(any).toEqualTypeOf<string | undefined | Sent>();
    });
  });

  it('waitsome and testsome (and the mpi4py spellings) accept typed requests', async () => {
    const got = await runWorld(2, async (comm) => {
      const peer = 1 - comm.rank;
      const reqs: Request<number>[] = [comm.irecv<number>(peer)];
      await comm.send(comm.rank, peer);
      const some = await Request.waitsome(reqs);
      expectTypeOf(some).toEqualTypeOf<number[]>();
      expect(Request.testsome(reqs)).toEqual([]);
      expect(Request.Testsome(reqs)).toEqual([]);
      expect(await Request.Waitsome(reqs)).toEqual([]);
      return [some, await reqs[0]!.wait()];
    });
    expect(got).toEqual([
      [[0], 1],
      [[0], 0],
    ]);
  });
});
