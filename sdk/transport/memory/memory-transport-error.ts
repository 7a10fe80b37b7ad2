/** What went wrong in the memory transport. */
import { TsmpiError } from '../../base/errors.js';
export type MemoryTransportErrorCode =
  /** This endpoint was closed: the send can no longer be delivered. */
  | 'CLOSED'
  /** The destination's endpoint was closed: nobody will read its ring again. */
  | 'PEER_CLOSED'
  /** A ring holds a record that breaks its invariants (shared memory overwritten by someone else). */
  | 'CORRUPT'
  /** A method was called in a state that does not allow it (`start()` twice, say). */
  | 'STATE';

/**
 * A failure of the shared-memory transport. Bad arguments throw `TypeError` / `RangeError` at the
 * call instead; this class is for failures of a valid call.
 *
 * @example
 * try {
 *   await transport.send(1, frame);
 * } catch (e) {
 *   if (e instanceof MemoryTransportError && e.code === 'PEER_CLOSED') console.error('rank 1 is gone');
 * }
 */
export class MemoryTransportError extends TsmpiError {
  declare readonly code: MemoryTransportErrorCode;

  constructor(code: MemoryTransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'MemoryTransportError';
  }
}
