import { setMaxListeners } from 'node:events';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { sqsBilledRequests } from '../../base/prices.js';
import { abortable, abortError, backoffMs, type RetryPolicy, sleep } from '../../base/retry.js';
import { type AwsErrorContext, endpointOf, explainAwsError } from './clients.js';
import { SqsTransportError } from './errors.js';
import type { LogNormalLatency } from './latency.js';
import { withRetries } from './retry.js';
import type { SqsCounters } from './sqs-counters.js';

/** What the sender and the receiver of one SqsTransport share. */
export interface SqsCallsOptions {
  rank: number;
  sqs: SQSClient;
  s3: S3Client | undefined;
  latency: LogNormalLatency | undefined;
  retry: RetryPolicy;
  counters: SqsCounters;
  /** How long after construction a queue that never answered may still be too new to use. */
  newQueueGraceMs: number;
}

/**
 * The AWS side of one SqsTransport, shared by its sender and receiver: every call counted,
 * billed, delayed when latency injection is on and abandoned when the transport's signals abort;
 * the two signals themselves; and the background work `close()` waits for.
 */
export class SqsCalls {
  readonly rank: number;
  readonly sqs: SQSClient;
  readonly s3: S3Client | undefined;
  readonly retry: RetryPolicy;
  readonly counters: SqsCounters;
  /** Aborted when close() starts: long polls and S3 downloads. */
  readonly pollAbort = new AbortController();
  /** Aborted when close()'s grace period ends: sends, deletes, uploads. */
  readonly hardAbort = new AbortController();
  /** Work not tracked by a batcher, awaited by close(): uploads, downloads, poll loops. */
  readonly tasks = new Set<Promise<unknown>>();
  readonly #latency: LogNormalLatency | undefined;
  /** The SQS client's custom endpoint, once known: named in "cannot reach" errors. */
  #endpoint: string | undefined;
  /** `performance.now()` until which QueueDoesNotExist from a queue that never answered is retried. */
  readonly #newQueueUntil: number;

  constructor(o: SqsCallsOptions) {
    this.rank = o.rank;
    this.sqs = o.sqs;
    this.s3 = o.s3;
    this.retry = o.retry;
    this.counters = o.counters;
    this.#latency = o.latency;
    this.#newQueueUntil = performance.now() + o.newQueueGraceMs;
    // Every call in flight listens to one of the two signals; hundreds at once are normal here.
    setMaxListeners(0, this.pollAbort.signal, this.hardAbort.signal);
    void endpointOf(this.sqs).then((e) => {
      this.#endpoint = e;
    });
  }

  /**
   * Every SQS call goes through here: counted by action, billed by payload (64 KiB chunks),
   * delayed when latency injection is on, and abandoned as soon as `signal` aborts.
   */
  async sqsCall<T>(
    action: string,
    run: (signal: AbortSignal) => Promise<T>,
    opts: { signal: AbortSignal; billedBytes?: (res: T) => number; latencyAfter?: boolean },
  ): Promise<T> {
    if (this.#latency !== undefined && opts.latencyAfter !== true) await this.#latency.delay(opts.signal);
    if (opts.signal.aborted) throw abortError();
    this.counters.count(action);
    this.counters.sqsBilled++;
    const res = await abortable(run(opts.signal), opts.signal);
    if (opts.billedBytes !== undefined)
      this.counters.sqsBilled += sqsBilledRequests(opts.billedBytes(res)) - 1;
    if (this.#latency !== undefined && opts.latencyAfter === true) await this.#latency.delay(opts.signal);
    return res;
  }

  /** An S3 call with retries, counted by action. */
  s3Call<T>(
    action: string,
    run: (signal: AbortSignal) => Promise<T>,
    what: string,
    signal: AbortSignal,
  ): Promise<T> {
    return withRetries(
      () => {
        if (signal.aborted) return Promise.reject(abortError());
        this.counters.count(action);
        return abortable(run(signal), signal);
      },
      { policy: this.retry, signal, what, onRetry: () => this.counters.retries++ },
    );
  }

  /**
   * Whether QueueDoesNotExist from a queue that has not answered yet is to be retried: "After you
   * create a queue, you must wait at least one second after the queue is created to be able to
   * use the queue" (SQS API reference, CreateQueue), and ranks start as soon as their queues are
   * created. Once a queue answered, or once the job is well under way, QueueDoesNotExist is final:
   * the queue was deleted under the running job.
   */
  mayBeNewQueue(): boolean {
    return performance.now() < this.#newQueueUntil;
  }

  /** Sleeps before retry `attempt + 1`; false if the transport was closed meanwhile. */
  async backoff(attempt: number, signal: AbortSignal = this.hardAbort.signal): Promise<boolean> {
    this.counters.retries++;
    try {
      await sleep(backoffMs(attempt, this.retry), signal);
      return true;
    } catch {
      return false;
    }
  }

  explain(err: unknown, context: AwsErrorContext): SqsTransportError {
    return explainAwsError(
      err,
      this.#endpoint === undefined ? context : { ...context, endpoint: this.#endpoint },
    );
  }

  closedError(): SqsTransportError {
    return new SqsTransportError('CLOSED', `the SQS transport of rank ${this.rank} is closed`);
  }

  /** Runs `p` as background work that close() waits for. */
  track<T>(p: Promise<T>): Promise<T> {
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    this.tasks.add(settled);
    void settled.then(() => this.tasks.delete(settled));
    return p;
  }
}
