import { TsmpiError } from '../../base/errors.js';
import type { OutputStream } from './control-report.js';
import { captureOutput } from './output-capture.js';

/** `process.exit()` called by a job: it would end the whole execution environment, unreported. */
export class RankExitError extends TsmpiError {
  constructor(rank: number, code: unknown) {
    super(
      'RANK_EXIT',
      `rank ${rank} called process.exit(${code === undefined ? '' : String(code)}): on Lambda that would end the rank unreported; ` +
        'return from the job function instead (or call comm.abort(code) to fail the job)',
    );
    this.name = 'RankExitError';
  }
}

/** What a job runs inside on Lambda, until `leave`. */
export interface JobSandbox {
  /** Stops capturing output (before the final report, so nothing printed after it is lost). */
  restoreOutput(): void;
  /** Restores the process as it was: output, `process.exit`, the rejection listener. */
  leave(): void;
}

/**
 * Fences a job into its invocation: its output lines go to `onLine` (and, with `passThrough`, to
 * the function's log); `process.exit()` throws a {@link RankExitError} instead of ending the
 * environment; an unhandled rejection goes to `onUnhandled` instead of crashing it.
 */
export function enterJobSandbox(o: {
  rank: number;
  onLine: (stream: OutputStream, line: string) => void;
  passThrough: boolean;
  onUnhandled: (reason: unknown) => void;
}): JobSandbox {
  const capture = captureOutput(o.onLine, { passThrough: o.passThrough });
  const savedExit = process.exit;
  process.exit = ((code?: unknown) => {
    throw new RankExitError(o.rank, code);
  }) as typeof process.exit;
  const onUnhandled = (reason: unknown) => o.onUnhandled(reason);
  process.prependListener('unhandledRejection', onUnhandled);
  return {
    restoreOutput: () => capture.restore(),
    leave: () => {
      capture.restore();
      process.exit = savedExit;
      process.off('unhandledRejection', onUnhandled);
    },
  };
}
