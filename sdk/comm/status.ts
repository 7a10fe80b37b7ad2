import { ANY_SOURCE, ANY_TAG, SUCCESS } from './constants.js';

/**
 * What a receive or probe found: the message's source (a rank of the communicator), tag, payload
 * size in bytes, and error class. Fields are writable, as in mpi4py. A receive that fails on the
 * message it matched (`ERR_TRUNCATE`: the buffer is too small; `ERR_TYPE`: not that kind of
 * TypedArray) consumes it and still fills the status, with `error` set to that class.
 *
 * @example
 * const st = new Status(); await comm.recv(ANY_SOURCE, ANY_TAG, st); console.log(st.source, st.tag);
 */
export class Status {
  source: number = ANY_SOURCE;
  tag: number = ANY_TAG;
  /** The message's size in bytes: a TypedArray's `byteLength`, any other value's encoded size. */
  count = 0;
  error: number = SUCCESS;

  Get_source(): number {
    return this.source;
  }
  Get_tag(): number {
    return this.tag;
  }
  Get_error(): number {
    return this.error;
  }
  /** Byte count of the message (mpi4py's `Get_count()` with the default byte datatype). */
  Get_count(): number {
    return this.count;
  }
  /** Element count of a TypedArray message, given its element size in bytes (`BYTES_PER_ELEMENT`). */
  Get_elements(bytesPerElement = 1): number {
    return Math.floor(this.count / bytesPerElement);
  }
}

/** Copies fields into a caller's status object, if one was given. */
export function fillStatus(
  status: Status | undefined | null,
  source: number,
  tag: number,
  count: number,
  error = SUCCESS,
): void {
  if (status == null) return;
  status.source = source;
  status.tag = tag;
  status.count = count;
  status.error = error;
}
