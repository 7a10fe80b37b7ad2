import { describe, expect, it } from 'vitest';
import { Request } from '../../../sdk/comm/request.js';

describe('the request of a blocking call', () => {
  it('waits on the call itself: wait() is the promise it was made from', async () => {
    const p = Promise.resolve(42);
    const r = Request.forBlockingCall(p);
    expect(r.wait()).toBe(p);
    await expect(r).resolves.toBe(42);
  });

  it('refuses to be tested, rather than report it pending for ever', () => {
    const r = Request.forBlockingCall(Promise.resolve(1));
    expect(() => r.test()).toThrow(/only waited on/);
  });

  it('a request made lazily still reports a failure that came before anyone waited', async () => {
    const r = Request.fromPromise(Promise.reject(new Error('boom')));
    await Promise.resolve();
    await Promise.resolve();
    expect(() => r.test()).toThrow('boom');
    await expect(r.wait()).rejects.toThrow('boom');
  });
});
