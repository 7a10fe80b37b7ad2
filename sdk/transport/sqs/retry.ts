import { type AwsErrorKind, classifyAwsError, isRetryable } from './aws-error-kind.js';
import { SqsTransportError } from './errors.js';

/** How often and how patiently a call that failed with throttling, a 5xx or a reset is retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included (>= 1). */
  maxAttempts: number;
  /** Delay before the 2nd attempt, doubled for every further one (before jitter). */
  baseDelayMs: number;
  /** Upper bound of one delay. */
  maxDelayMs: number;
}

/** 8 attempts spread over about 10 s: enough for SQS throttling to clear, short enough to fail a job. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 8,
  baseDelayMs: 50,
  maxDelayMs: 5_000,
});

/** Fills a partial policy with the defaults and checks it. */
export function resolveRetryPolicy(partial: Partial<RetryPolicy> | undefined, where: string): RetryPolicy {
  const p = { ...DEFAULT_RETRY_POLICY, ...partial };
  for (const [key, min] of [
    ['maxAttempts', 1],
    ['baseDelayMs', 0],
    ['maxDelayMs', 0],
  ] as const) {
    const v = p[key];
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      v < min ||
      (key === 'maxAttempts' && !Number.isInteger(v))
    ) {
      throw new TypeError(
        `Expected \`${where}.retry.${key}\` to be ${key === 'maxAttempts' ? 'an integer' : 'a number'} >= ${min}, got \`${String(v)}\` (${typeof v})`,
      );
    }
  }
  return p;
}

/**
 * The delay before attempt `attempt + 1` (so `attempt` >= 1 failed already): exponential, capped,
 * with "equal jitter" (half fixed, half random) so that ranks throttled together spread out
 * without any of them retrying at once.
 */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return cap / 2 + random() * (cap / 2);
}

/** An AbortError, as `fetch` and the AWS SDK throw. */
export function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}

/** Resolves after `ms`, or rejects with an AbortError as soon as `signal` aborts; never leaves a timer behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError());
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Settles like `promise`, or rejects with an AbortError as soon as `signal` aborts, whether or
 * not the work behind `promise` honours the signal itself (a wrapped or mocked client may not).
 */
export function abortable<T>(work: Promise<T> | T, signal: AbortSignal | undefined): Promise<T> {
  const promise = Promise.resolve(work);
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abortError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

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
 * Runs `run` until it succeeds, retrying retryable failures with backoff. A failure that is not
 * retryable is rethrown as it is (callers explain it); running out of attempts throws
 * `SqsTransportError('RETRIES_EXHAUSTED')` with the last failure as `cause`.
 */
export async function withRetries<T>(
  run: (attempt: number) => Promise<T>,
  opts: WithRetriesOptions,
): Promise<T> {
  const retryIf = opts.retryIf ?? ((kind: AwsErrorKind) => isRetryable(kind));
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(attempt);
    } catch (err) {
      const kind = classifyAwsError(err);
      if (opts.signal?.aborted || kind === 'aborted' || !retryIf(kind, err)) throw err;
      if (attempt >= opts.policy.maxAttempts) throw retriesExhausted(opts.what, attempt, err);
      opts.onRetry?.(err, attempt);
      await sleep(backoffMs(attempt, opts.policy, opts.random), opts.signal);
    }
  }
}

export function retriesExhausted(what: string, attempts: number, err: unknown): SqsTransportError {
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new SqsTransportError(
    'RETRIES_EXHAUSTED',
    `${what} still failed after ${attempts} attempts (last error ${detail}); the service is throttling or unavailable, retry the job later or lower the number of ranks`,
    { cause: err },
  );
}
