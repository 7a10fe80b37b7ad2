import { Buffer } from 'node:buffer';

/** Below this size a zero-filled allocation costs no more than an uninitialized one. */
const UNINITIALIZED_FROM = 16 * 1024;

/**
 * A Uint8Array over a fresh ArrayBuffer of exactly `n` bytes. Large ones are left uninitialized
 * (skipping a zero-fill that costs as much as the copy that follows), so the caller MUST write
 * every byte before the array escapes.
 */
export function allocateBytes(n: number): Uint8Array<ArrayBuffer> {
  if (n < UNINITIALIZED_FROM) return new Uint8Array(n);
  const buffer = Buffer.allocUnsafeSlow(n).buffer as ArrayBuffer;
  return new Uint8Array(buffer, 0, n);
}
