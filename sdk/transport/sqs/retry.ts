/**
 * The generic retry of `base/retry.ts` with AWS's notion of a transient failure: throttling, 5xx
 * and connection resets are retried; running out of attempts is `SqsTransportError('RETRIES_EXHAUSTED')`.
 * Used by every AWS call of the SQS transport, the launcher and the Lambda rank runtime.
 */
import { type RetryPolicy, retry } from '../../base/retry.js';
import { type AwsErrorKind, classifyAwsError, isRetryable } from './aws-error-kind.js';
import { SqsTransportError } from './errors.js';

export interface WithRetriesOptions {
  policy: RetryPolicy;
  /** Aborts the backoff sleeps (and should abort the calls themselves). */
  signal?: AbortSignal | undefined;
  /** Names the call in the "gave up" error, e.g. `PutObject s3://bucket/key`. */
  what: string;
  /** Which failures to retry; default: throttling, 5xx and connection resets. */
  retryIf?: (kind: AwsErrorKind, err: unknown) => boolean;
  /** Told about every retry (for stats). */
  onRetry?: (err: unknown, attempt: number) => void;
  random?: () => number;
}

/**
 * Runs `run` until it succeeds, retrying retryable AWS failures with backoff. A failure that is
 * not retryable is rethrown as it is (callers explain it); running out of attempts throws
 * `SqsTransportError('RETRIES_EXHAUSTED')` with the last failure as `cause`.
 */
export function withRetries<T>(run: (attempt: number) => Promise<T>, opts: WithRetriesOptions): Promise<T> {
  const retryIf = opts.retryIf ?? ((kind: AwsErrorKind) => isRetryable(kind));
  return retry(run, {
    policy: opts.policy,
    signal: opts.signal,
    shouldRetry: (err) => {
      const kind = classifyAwsError(err);
      return kind !== 'aborted' && retryIf(kind, err);
    },
    exhausted: (attempts, err) => retriesExhausted(opts.what, attempts, err),
    ...(opts.onRetry === undefined ? {} : { onRetry: opts.onRetry }),
    ...(opts.random === undefined ? {} : { random: opts.random }),
  });
}

export function retriesExhausted(what: string, attempts: number, err: unknown): SqsTransportError {
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new SqsTransportError(
    'RETRIES_EXHAUSTED',
    `${what} still failed after ${attempts} attempts (last error ${detail}); the service is throttling or unavailable, retry the job later or lower the number of ranks`,
    { cause: err },
  );
}
