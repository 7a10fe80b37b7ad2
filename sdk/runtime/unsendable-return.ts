import { encode } from '../codec/codec.js';

/**
 * The error for a rank whose return value could not be posted to the launcher (structured clone
 * refuses functions, symbols, WeakMaps...): says where in the value the problem is, as the codec
 * does for a value a rank sends (`a function (f) at \`value.f\``), where postMessage's own message
 * only shows the offending value.
 */
export function unsendableReturn(rank: number, value: unknown, err: unknown): Error {
  let why = err instanceof Error ? err.message : String(err);
  try {
    encode(value);
  } catch (e) {
    if (e instanceof Error) why = e.message;
  }
  return new Error(`rank ${rank} returned a value that cannot be sent back to the launcher: ${why}`);
}
