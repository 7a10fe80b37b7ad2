import { inspect } from 'node:util';

/**
 * The error hierarchy of tsmpi-cloud. Error classes mirror MPI's: each MPIError carries one of the
 * exported ERR_* constants as `errorClass`.
 */

export const ERR_ARG = 12;
export const ERR_RANK = 6;
export const ERR_ROOT = 7;
export const ERR_TAG = 4;
export const ERR_COUNT = 2;
export const ERR_TRUNCATE = 15;
export const ERR_OP = 9;
export const ERR_TYPE = 3;
export const ERR_COMM = 5;
export const ERR_TIMEOUT = 1001;
export const ERR_ABORTED = 1002;
export const ERR_OTHER = 16;

const CLASS_NAMES: Record<number, string> = {
  [ERR_ARG]: 'ERR_ARG',
  [ERR_RANK]: 'ERR_RANK',
  [ERR_ROOT]: 'ERR_ROOT',
  [ERR_TAG]: 'ERR_TAG',
  [ERR_COUNT]: 'ERR_COUNT',
  [ERR_TRUNCATE]: 'ERR_TRUNCATE',
  [ERR_OP]: 'ERR_OP',
  [ERR_TYPE]: 'ERR_TYPE',
  [ERR_COMM]: 'ERR_COMM',
  [ERR_TIMEOUT]: 'ERR_TIMEOUT',
  [ERR_ABORTED]: 'ERR_ABORTED',
  [ERR_OTHER]: 'ERR_OTHER',
};

/** The name of an error class constant, e.g. `errorClassName(ERR_RANK) === 'ERR_RANK'`. */
export function errorClassName(errorClass: number): string {
  return CLASS_NAMES[errorClass] ?? `ERR_${errorClass}`;
}

/**
 * An MPI error. `errorClass` is one of the ERR_* constants.
 *
 * @example
 * try { await comm.send(1, 99) } catch (e) { if (e instanceof MPIError && e.errorClass === ERR_RANK) ... }
 */
export class MPIError extends Error {
  readonly errorClass: number;
  /** Set for `ERR_ABORTED`: the code given to `abort(code)`. */
  readonly errorcode: number | undefined;
  /** Set for `ERR_ABORTED`: the rank that called `abort`. */
  readonly abortRank: number | undefined;

  constructor(
    errorClass: number,
    message: string,
    options?: { cause?: unknown; errorcode?: number; abortRank?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MPIError';
    this.errorClass = errorClass;
    this.errorcode = options?.errorcode;
    this.abortRank = options?.abortRank;
  }

  /** `Error_string` of mpi4py: the class name. */
  get errorClassName(): string {
    return errorClassName(this.errorClass);
  }
}

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

/**
 * `run()` rejects with this when a rank fails. `rank` is the first failing rank; `cause` carries its
 * error (message and stack), re-created as an `MPIError` when the rank failed with one.
 */
export class JobFailedError extends Error {
  readonly rank: number;
  /** For `abort(code)`: the code. */
  readonly errorcode: number | undefined;
  /** Partial results and statistics gathered before the failure, when any. */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    rank: number,
    cause: Error,
    options?: { errorcode?: number; details?: Record<string, unknown> },
  ) {
    super(`rank ${rank} failed: ${cause.message}`, { cause });
    this.name = 'JobFailedError';
    this.rank = rank;
    this.errorcode = options?.errorcode;
    this.details = options?.details;
  }
}

/** Bad usage of the CLI or of `run()` options: exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
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

/** Re-creates an Error from its description, as an MPIError when it was one. */
export function reviveError(info: RankErrorInfo): Error {
  const err =
    info.errorClass !== undefined
      ? new MPIError(
          info.errorClass,
          info.message,
          info.errorcode === undefined ? undefined : { errorcode: info.errorcode },
        )
      : new Error(info.message);
  if (info.name !== undefined && info.errorClass === undefined) err.name = info.name;
  if (info.stack !== undefined) err.stack = info.stack;
  return err;
}
