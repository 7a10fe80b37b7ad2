import { describe, expect, it } from 'vitest';
import { UNDEFINED } from '../../../sdk/comm/constants.js';
import { Request } from '../../../sdk/comm/request.js';
import { Status } from '../../../sdk/comm/status.js';

// A Request driven by hand: `_complete` and `_error` are what the endpoint calls when a receive
// or send finishes or fails; a progress function is what polls the transport.

describe('a request once it finished', () => {
  it('keeps its first outcome: a later completion or failure (an abort after the fact) changes nothing', async () => {
    const done = new Request<string>();
    done._complete({ value: 'first', source: 1, tag: 2, count: 3 });
    done._complete({ value: 'second', source: 4, tag: 5, count: 6 });
    done._error(new Error('aborted later'));
    const status = new Status();
    expect(await done.wait(status)).toBe('first');
    expect([status.source, status.tag, status.count]).toEqual([1, 2, 3]);
    expect(done.test()).toEqual([true, 'first']);

    const failed = new Request<string>();
    failed._error(new Error('failed first'));
    failed._complete({ value: 'too late' });
    await expect(failed.wait()).rejects.toThrow('failed first');
  });

  it('is inactive once a failure was reported by wait, as after a value', async () => {
    const r = new Request<number>();
    r._error(new Error('boom'));
    expect(r.active).toBe(true); // nothing reported yet
    await expect(r.wait()).rejects.toThrow('boom');
    expect(r.active).toBe(false);
    expect(await Request.waitany([r])).toEqual([UNDEFINED, undefined]);
  });

  it('test() makes progress itself, so a loop of test() calls completes without awaiting', () => {
    let polls = 0;
    const r = new Request<string>(() => {
      polls++;
      if (polls === 3) r._complete({ value: 'in' });
    });
    // At most five tests, so a request that never progresses fails here instead of hanging.
    const seen = Array.from({ length: 5 }, () => r.test());
    expect(seen).toEqual([
      [false, undefined],
      [false, undefined],
      [true, 'in'],
      [true, 'in'], // testing it again gives its value again, without polling
      [true, 'in'],
    ]);
    expect(polls).toBe(3);
    expect(r.active).toBe(false);
  });
});

describe("mpi4py's spellings of the request calls (the tutorial's req.Wait())", () => {
  it('Wait and Test report as wait and test do, with mpi4py results (true, a flag)', async () => {
    const r = new Request<string>();
    expect(r.Test()).toBe(false);
    expect(r.active).toBe(true);
    r._complete({ value: 'v', source: 1, tag: 2, count: 3 });
    const status = new Status();
    expect(await r.Wait(status)).toBe(true);
    expect([status.source, status.tag, status.count, r.active]).toEqual([1, 2, 3, false]);
    expect(r.Test()).toBe(true);
    const failed = new Request<string>();
    failed._error(new Error('boom'));
    await expect(failed.Wait()).rejects.toThrow('boom');
  });

  it('Waitall, Waitany, Waitsome, Testall, Testany, Testsome give what mpi4py gives', async () => {
    const done = (v: number) => {
      const r = new Request<number>();
      r._complete({ value: v });
      return r;
    };
    const pending = new Request<number>();
    expect(Request.Testall([done(1), pending])).toBe(false);
    expect(Request.Testany([pending])).toEqual([UNDEFINED, false]);
    expect(Request.Testany([pending, done(2)])).toEqual([1, true]);
    expect(Request.Testsome([done(3), pending, done(4)])).toEqual([0, 2]);
    expect(await Request.Waitany([pending, done(5)])).toBe(1);
    expect(await Request.Waitsome([done(6), pending])).toEqual([0]);
    pending._complete({ value: 7 });
    expect(await Request.Waitall([pending, done(8)])).toBe(true);
    expect(Request.Testall([done(9)])).toBe(true);
    expect(await Request.Waitany([pending])).toBe(UNDEFINED); // reported already: none is active
  });
});

describe('the statics given something other than an array of requests', () => {
  it('throw (or reject) a TypeError naming the call, the bad element and its index', async () => {
    const ok = Request.completed({ value: 1 });
    await expect(Request.waitall([ok, Promise.resolve(2)] as never)).rejects.toThrow(
      /^Request\.waitall: expected an array of Requests .*got .*at index 1 \(a Promise: pass the request/,
    );
    await expect(Request.waitany('abc' as never)).rejects.toThrow(
      /^Request\.waitany: expected an array of Requests/,
    );
    await expect(Request.waitsome([null] as never)).rejects.toThrow(
      /^Request\.waitsome: .*got .*null.* at index 0/,
    );
    expect(() => Request.testany([null] as never)).toThrow(TypeError);
    expect(() => Request.testall([ok, {}] as never)).toThrow(/^Request\.testall: .*at index 1/);
    expect(() => Request.testsome(undefined as never)).toThrow(/^Request\.testsome: expected an array/);
    expect(Request.testall([ok])).toEqual([true, [1]]);
  });
});
