/**
 * `Atomics.waitAsync`, typed. TypeScript declares it only from `lib: ES2024`; Node has had it since
 * 16. Note: on Node 20 a pending `waitAsync` does NOT keep the event loop alive, so whoever waits
 * must hold a ref'ed handle of its own for as long as the wait matters.
 */
export type WaitAsyncResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };

type WaitAsync = (array: Int32Array, index: number, value: number, timeout?: number) => WaitAsyncResult;

const nativeWaitAsync = (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;

/** Parks until `array[index]` is notified, unless it no longer holds `value` (then returns at once). */
export function waitAsync(array: Int32Array, index: number, value: number): WaitAsyncResult {
  if (nativeWaitAsync === undefined) {
    throw new TypeError('Atomics.waitAsync is not available: the memory transport needs Node.js 20 or later');
  }
  return nativeWaitAsync(array, index, value);
}
