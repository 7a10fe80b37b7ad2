/**
 * Retry with exponential backoff, for any call that fails transiently. What counts as transient
 * is the caller's: the AWS classification lives with the AWS code (`transport/sqs/retry.ts`).
 */
import { describeValue } from './describe-value.js';

/** How often and how patiently a call that failed transiently is retried. */
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
        `Expected \`${where}.retry.${key}\` to be ${key === 'maxAttempts' ? 'an integer' : 'a number'} >= ${min}, got ${describeValue(v)}`,
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

export interface RetryOptions {
  policy: RetryPolicy;
  /** Aborts the backoff sleeps (and should abort the calls themselves); an aborted run is not retried. */
  signal?: AbortSignal | undefined;
  /** Whether a failure is transient. A failure that is not is rethrown as it is. */
  shouldRetry: (err: unknown, attempt: number) => boolean;
  /** The error to throw when the attempts run out (keep `err` as its `cause`). */
  exhausted: (attempts: number, err: unknown) => Error;
  /** Told about every retry (for stats). */
  onRetry?: (err: unknown, attempt: number) => void;
  random?: () => number;
}

/**
 * Runs `run` until it succeeds, retrying transient failures with {@link backoffMs} between
 * attempts.
 *
 * @example
 * await retry(() => fetch(url), { policy: DEFAULT_RETRY_POLICY, shouldRetry: isFlaky, exhausted: (n, e) => new Error(`gave up after ${n}`, { cause: e }) });
 */
export async function retry<T>(run: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(attempt);
    } catch (err) {
      if (opts.signal?.aborted || !opts.shouldRetry(err, attempt)) throw err;
      if (attempt >= opts.policy.maxAttempts) throw opts.exhausted(attempt, err);
      opts.onRetry?.(err, attempt);
      await sleep(backoffMs(attempt, opts.policy, opts.random), opts.signal);
    }
  }
}
