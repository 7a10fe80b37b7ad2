import { inspect } from 'node:util';
import { MPIError } from './errors.js';

/** What a failed rank reported: its error flattened so it survives crossing threads or queues. */
export interface RankErrorInfo {
  rank: number;
  message: string;
  name?: string;
  stack?: string;
  errorClass?: number;
  errorcode?: number;
  /** For ERR_ABORTED: the rank that called abort (the job's failing rank, whoever noticed first). */
  abortRank?: number;
}

/** Turns anything thrown into a transportable description. Non-Error values are described by type and value. */
export function describeError(rank: number, err: unknown): RankErrorInfo {
  if (err instanceof Error) {
    const info: RankErrorInfo = { rank, message: err.message, name: err.name };
    if (err.stack !== undefined) info.stack = err.stack;
    if (err instanceof MPIError) {
      info.errorClass = err.errorClass;
      if (err.errorcode !== undefined) info.errorcode = err.errorcode;
      if (err.abortRank !== undefined) info.abortRank = err.abortRank;
    }
    return info;
  }
  let shown: string;
  try {
    shown = inspect(err, { depth: 3, breakLength: Number.POSITIVE_INFINITY });
  } catch {
    shown = Object.prototype.toString.call(err);
  }
  return {
    rank,
    name: 'NonErrorThrown',
    message: `rank ${rank} threw a non-Error value (${err === null ? 'null' : typeof err}): ${shown}`,
  };
}

/** JavaScript's own error classes, re-created as themselves (`instanceof TypeError` holds). */
const BUILT_IN_ERRORS = new Map<string, ErrorConstructor>([
  ['TypeError', TypeError],
  ['RangeError', RangeError],
  ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError],
  ['EvalError', EvalError],
  ['URIError', URIError],
]);

/**
 * Re-creates an Error from its description: as an MPIError when it was one, as a TypeError,
 * RangeError, ... when it was one of those, else as an Error with the original's name.
 */
export function reviveError(info: RankErrorInfo): Error {
  const err =
    info.errorClass !== undefined
      ? new MPIError(
          info.errorClass,
          info.message,
          info.errorcode === undefined ? undefined : { errorcode: info.errorcode },
        )
      : new (BUILT_IN_ERRORS.get(info.name ?? '') ?? Error)(info.message);
  if (info.name !== undefined && info.errorClass === undefined) err.name = info.name;
  if (info.stack !== undefined) err.stack = info.stack;
  return err;
}
