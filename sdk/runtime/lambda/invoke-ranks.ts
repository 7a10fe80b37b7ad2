import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { TsmpiError } from '../../base/errors.js';
import { forEachLimit } from '../../base/map-limit.js';
import { resolveRetryPolicy } from '../../base/retry.js';
import { withRetries } from '../../transport/sqs/retry.js';
import type { RankEvent } from './rank-event.js';

/** An invocation could not be made (after retries): the rank never ran. */
export class RankInvokeError extends TsmpiError {
  readonly rank: number;
  constructor(rank: number, message: string, options?: { cause?: unknown }) {
    super('RANK_INVOKE_FAILED', message, options);
    this.name = 'RankInvokeError';
    this.rank = rank;
  }
}

export interface InvokeRanksOptions {
  lambda: LambdaClient;
  /** The function to invoke: one for every rank, or one per rank (copies of the rank function). */
  functionName: string | ((rank: number) => string);
  /** The ranks to invoke, in order. */
  ranks: readonly number[];
  /** The event of one rank. */
  eventFor: (rank: number) => RankEvent;
  /** Invoke calls in flight at once. */
  concurrency: number;
  /** Stops issuing further invocations (those in flight complete). */
  signal?: AbortSignal;
  /** After each accepted invocation (HTTP 202). */
  onInvoked?: (rank: number) => void;
}

/**
 * Invokes ranks asynchronously (`InvocationType: Event`), `concurrency` calls at a time, in rank
 * order. Throttling and 5xx are retried with backoff; the first invocation that still fails
 * stops the fan-out and rejects with {@link RankInvokeError}. Resolves with how many were made.
 */
export async function invokeRanks(o: InvokeRanksOptions): Promise<number> {
  const policy = resolveRetryPolicy({ maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 2_000 }, 'invokeRanks');
  const utf8 = new TextEncoder();
  let invoked = 0;
  let failure: RankInvokeError | undefined;
  const aborted = () => o.signal?.aborted === true;
  await forEachLimit(
    o.ranks,
    o.concurrency,
    async (rank) => {
      const payload = utf8.encode(JSON.stringify(o.eventFor(rank)));
      const functionName = typeof o.functionName === 'string' ? o.functionName : o.functionName(rank);
      try {
        const res = await withRetries(
          () =>
            o.lambda.send(
              new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: payload }),
            ),
          { policy, what: `Invoke ${functionName} (rank ${rank})`, signal: o.signal },
        );
        if (res.StatusCode !== 202) {
          throw new Error(`Invoke answered HTTP ${res.StatusCode}, not 202 (accepted for async invocation)`);
        }
        invoked++;
        o.onInvoked?.(rank);
      } catch (err) {
        if (aborted()) return;
        failure ??= new RankInvokeError(
          rank,
          `could not invoke rank ${rank} (${functionName}): ${(err as Error).name}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    },
    () => failure !== undefined || aborted(),
  );
  if (failure !== undefined) throw failure;
  return invoked;
}
