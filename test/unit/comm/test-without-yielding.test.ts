import { describe, expect, it } from 'vitest';
import { runWorld } from '../../helpers/in-process-world.js';

// mpi4py's overlap loop, `while not req.Test(): do_work()`, ported as a loop that never yields:
// `test()` must make progress and see the completion itself, not only once the loop has ended.
// At most LIMIT tests, so a request that never completes in the loop fails here instead of hanging.
const LIMIT = 1000;

function testsUntilDone(req: { test(): [boolean, unknown] }): number {
  let tests = 0;
  while (tests < LIMIT && !req.test()[0]) tests++;
  return tests;
}

describe.each(['memory', 'memory-rings'] as const)('test() in a loop that never yields (%s)', (transport) => {
  it('completes an Irecv/irecv whose message arrives while the loop runs, and an Isend handed off at once', async () => {
    let sent: () => void = () => {};
    const signal = new Promise<void>((resolve) => (sent = resolve));
    const out = await runWorld(
      2,
      async (comm) => {
        if (comm.rank === 0) {
          const send = comm.Isend(new Float64Array([42]), 1, 0);
          const sendTests = testsUntilDone(send);
          await comm.send({ v: 'obj' }, 1, 1);
          sent();
          return { sendTests };
        }
        const buf = new Float64Array(1);
        const req = comm.Irecv(buf, 0, 0);
        const obj = comm.irecv(0, 1);
        // Rank 0 sends while this rank waits here; the loops below then never yield.
        await signal;
        return {
          bufTests: testsUntilDone(req),
          value: buf[0],
          objTests: testsUntilDone(obj),
          obj: await obj,
        };
      },
      { transport },
    );
    expect(out[0]).toEqual({ sendTests: 0 });
    expect(out[1]).toMatchObject({ value: 42, obj: { v: 'obj' } });
    expect((out[1] as { bufTests: number }).bufTests).toBeLessThan(LIMIT);
    expect((out[1] as { objTests: number }).objTests).toBeLessThan(LIMIT);
  });

  it('completes a receive whose message had arrived before it was posted, at its first test', async () => {
    const out = await runWorld(
      2,
      async (comm) => {
        if (comm.rank === 0) {
          await comm.send('early', 1, 3);
          await comm.barrier();
          return null;
        }
        await comm.barrier();
        const req = comm.irecv(0, 3);
        return { tests: testsUntilDone(req), value: await req };
      },
      { transport },
    );
    expect(out[1]).toEqual({ tests: 0, value: 'early' });
  });
});
