/**
 * The error hierarchy of tsmpi-cloud: every error the package throws on purpose is a
 * {@link TsmpiError} with a string `code`, so callers branch on `code` (or the class), never on the
 * message. Wrapped failures keep the original as `cause`.
 *
 * MPI errors mirror MPI's error classes: each {@link MPIError} carries one of the exported `ERR_*`
 * constants as `errorClass`, and its `code` is that constant's name (`'ERR_RANK'`).
 */

/**
 * The base of every tsmpi-cloud error. Subclasses set a fixed or per-instance `code`.
 *
 * @example
 * try { await run('pi', { ranks: 2 }) } catch (e) { if (e instanceof TsmpiError) console.error(e.code, e.message) }
 */
export class TsmpiError extends Error {
  /** Stable, machine-readable: `'QUEUE_GONE'`, `'ERR_RANK'`, `'USAGE'`, ... */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TsmpiError';
    this.code = code;
  }
}

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
 * An MPI error. `errorClass` is one of the ERR_* constants; `code` is its name.
 *
 * @example
 * try { await comm.send(1, 99) } catch (e) { if (e instanceof MPIError && e.errorClass === ERR_RANK) ... }
 */
export class MPIError extends TsmpiError {
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
    super(errorClassName(errorClass), message, options);
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

/**
 * `run()` rejects with this when a rank fails. `rank` is the first failing rank; `cause` carries its
 * error (message and stack), re-created as an `MPIError` when the rank failed with one.
 */
export class JobFailedError extends TsmpiError {
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
    super('JOB_FAILED', `rank ${rank} failed: ${cause.message}`, { cause });
    this.name = 'JobFailedError';
    this.rank = rank;
    this.errorcode = options?.errorcode;
    this.details = options?.details;
  }
}

/** Bad usage of the CLI or of `run()` options: exit status 2. */
export class UsageError extends TsmpiError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'USAGE', message, options);
    this.name = 'UsageError';
  }
}

/** An options object with a key its function does not know (a typo) or of the wrong shape. */
export class OptionsError extends UsageError {
  constructor(message: string) {
    super(message, { code: 'BAD_OPTIONS' });
    this.name = 'OptionsError';
  }
}
