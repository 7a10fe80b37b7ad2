import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { checkOptions } from '../../base/check-options.js';
import { describeValue } from '../../base/describe-value.js';
import { type RetryPolicy, resolveRetryPolicy } from '../../base/retry.js';
import type { Transport, TransportStats } from '../transport.js';
import { type LatencyOptions, LogNormalLatency } from './latency.js';
import { SqsCalls } from './sqs-calls.js';
import { SqsCounters } from './sqs-counters.js';
import { SqsReceiver } from './sqs-receiver.js';
import { SqsSender } from './sqs-sender.js';
import type { BinaryAccounting } from './wire.js';

export interface SqsTransportOptions {
  /** This endpoint's rank. */
  rank: number;
  /** Ranks in the job. */
  size: number;
  /** `queueUrls[r]` is rank r's queue (from `createJobQueues`). */
  queueUrls: readonly string[];
  /** The SQS client, injected (see `createSqsClients`); the caller owns and destroys it. */
  sqs: SQSClient;
  /** The S3 client for frames too large for one SQS message. Required with `bucket`. */
  s3?: S3Client;
  /** The bucket offloaded frames go to, under `<jobId>/`. Required with `s3`. */
  bucket?: string;
  /** The job id: the S3 key prefix of offloaded frames. */
  jobId: string;
  /**
   * Benchmarks only: delay every SQS call by a log-normal draw with these quantiles, to model
   * real SQS latency over an emulator. Sends are delayed before the call (so delivery is late),
   * receives after it (so the frames are). Default off.
   */
  latency?: LatencyOptions | false;
  /** Most concurrent long polls on the own queue under load. Default 8. */
  maxPollers?: number;
  /** Most SendMessageBatch calls in flight to one queue (extra ones only for full batches). Default 4. */
  maxBatchesInFlight?: number;
  /** Retries of throttled, 5xx and reset calls. Default 8 attempts, 50 ms doubling to 5 s. */
  retry?: Partial<RetryPolicy>;
  /**
   * How a Binary attribute counts against the SQS size limit: `raw` bytes (AWS), or its base64
   * text (some emulators). Default `raw`; the transport switches to `base64` by itself the first
   * time the endpoint rejects a message or batch as too long, and re-plans what it was sending.
   */
  binaryAccounting?: BinaryAccounting;
  /** How long `close()` lets accepted sends and pending deletes finish before aborting them. Default 2000. */
  closeGraceMs?: number;
  /**
   * For how long after the transport is constructed a queue that has not answered yet may still
   * be too new to use (SQS answers QueueDoesNotExist for about a second after CreateQueue): its
   * QueueDoesNotExist is retried with backoff meanwhile. After that, or once the queue answered,
   * QueueDoesNotExist is final (the queue was deleted under the job: `QUEUE_GONE`). Default 10000.
   */
  newQueueGraceMs?: number;
}

const OPTION_KEYS = new Set([
  'rank',
  'size',
  'queueUrls',
  'sqs',
  's3',
  'bucket',
  'jobId',
  'latency',
  'maxPollers',
  'maxBatchesInFlight',
  'retry',
  'binaryAccounting',
  'closeGraceMs',
  'newQueueGraceMs',
]);

function checkInt(name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max + 1})`;
    throw new TypeError(`Expected \`${name}\` to be an integer ${range}, got ${describeValue(v)}`);
  }
  return v;
}

/**
 * The SQS transport: one standard queue per rank; a frame for rank r is a message in r's queue.
 *
 * - Sending (`SqsSender`) batches frames per destination queue without ever delaying a lone frame;
 *   frames too large for one message go to S3 and a pointer goes through SQS (claim check);
 *   `send()` resolves once SQS (and S3) accepted the frame.
 * - Receiving (`SqsReceiver`) long-polls the own queue, hands frames to `onFrames` and only then
 *   deletes them, so a failed delete can cause a duplicate but never a loss. Duplicates and
 *   reordering are the channel layer's business.
 * - Both count into one `SqsCounters` (for `stats()`) and make their AWS calls through one
 *   `SqsCalls` (latency injection, billing, retries, the signals `close()` aborts).
 *
 * Clients are injected and owned by the caller.
 *
 * @example
 * const t = new SqsTransport({ rank, size, queueUrls, sqs, s3, bucket, jobId });
 * t.start((frames) => channel.onFrames(frames), (err) => abort(err));
 * await t.send(3, frame);
 * await t.close();
 */
export class SqsTransport implements Transport {
  readonly kind = 'sqs';
  readonly rank: number;
  readonly size: number;

  readonly #closeGraceMs: number;
  readonly #counters = new SqsCounters();
  readonly #calls: SqsCalls;
  readonly #sender: SqsSender;
  readonly #receiver: SqsReceiver;
  /** No more sends are accepted. */
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: SqsTransportOptions) {
    checkOptions('SqsTransport', options, OPTION_KEYS);
    this.size = checkInt('size', options.size, 1);
    this.rank = checkInt('rank', options.rank, 0, this.size - 1);
    const urls = options.queueUrls;
    if (
      !Array.isArray(urls) ||
      urls.length !== this.size ||
      !urls.every((u) => typeof u === 'string' && u !== '')
    ) {
      throw new TypeError(
        `Expected \`queueUrls\` to be an array of ${this.size} queue URLs (one per rank), got ${Array.isArray(urls) ? `an array of ${urls.length}` : describeValue(urls)}`,
      );
    }
    if (typeof options.sqs?.send !== 'function') {
      throw new TypeError(`Expected \`sqs\` to be an SQSClient, got ${describeValue(options.sqs)}`);
    }
    if ((options.s3 === undefined) !== (options.bucket === undefined)) {
      throw new TypeError('Expected `s3` and `bucket` together (to offload large frames) or neither');
    }
    if (options.s3 !== undefined && typeof options.s3.send !== 'function') {
      throw new TypeError(`Expected \`s3\` to be an S3Client, got ${describeValue(options.s3)}`);
    }
    if (options.bucket !== undefined && (typeof options.bucket !== 'string' || options.bucket === '')) {
      throw new TypeError(`Expected \`bucket\` to be a bucket name, got ${describeValue(options.bucket)}`);
    }
    if (typeof options.jobId !== 'string' || !/^[A-Za-z0-9_-]+$/.test(options.jobId)) {
      throw new TypeError(
        `Expected \`jobId\` to be a non-empty string of [A-Za-z0-9_-], got ${describeValue(options.jobId)}`,
      );
    }
    const latency =
      options.latency === undefined || options.latency === false
        ? undefined
        : new LogNormalLatency(options.latency);
    const maxPollers = checkInt('maxPollers', options.maxPollers ?? 8, 1);
    const maxBatchesInFlight = checkInt('maxBatchesInFlight', options.maxBatchesInFlight ?? 4, 1);
    const retry = resolveRetryPolicy(options.retry, 'SqsTransport');
    this.#closeGraceMs = checkInt('closeGraceMs', options.closeGraceMs ?? 2_000, 0);
    const accounting = options.binaryAccounting ?? 'raw';
    if (accounting !== 'raw' && accounting !== 'base64') {
      throw new TypeError(
        `Expected \`binaryAccounting\` to be 'raw' or 'base64', got ${describeValue(accounting)}`,
      );
    }
    this.#calls = new SqsCalls({
      rank: this.rank,
      sqs: options.sqs,
      s3: options.s3,
      latency,
      retry,
      counters: this.#counters,
      newQueueGraceMs: checkInt('newQueueGraceMs', options.newQueueGraceMs ?? 10_000, 0),
    });
    this.#sender = new SqsSender(this.#calls, {
      queueUrls: [...urls],
      bucket: options.bucket,
      jobId: options.jobId,
      maxBatchesInFlight,
      binaryAccounting: accounting,
    });
    this.#receiver = new SqsReceiver(this.#calls, { rank: this.rank, ownUrl: urls[this.rank]!, maxPollers });
  }

  send(dst: number, frame: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(this.#calls.closedError());
    if (typeof dst !== 'number' || !Number.isInteger(dst) || dst < 0 || dst >= this.size) {
      return Promise.reject(
        new RangeError(`Expected \`dst\` to be an integer in [0, ${this.size}), got ${describeValue(dst)}`),
      );
    }
    if (!(frame instanceof Uint8Array)) {
      return Promise.reject(
        new TypeError(`Expected \`frame\` to be a Uint8Array, got ${describeValue(frame)}`),
      );
    }
    return this.#sender.send(dst, frame);
  }

  start(onFrames: (frames: Uint8Array[]) => void, onError: (err: Error) => void): void {
    this.#receiver.start(onFrames, onError);
  }

  /**
   * Stops polling at once, gives accepted sends and pending deletes `closeGraceMs` to finish,
   * then aborts whatever is left (rejecting those sends with a CLOSED error). Leaves no timer or
   * request of its own behind; the injected clients stay open (their owner destroys them).
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#receiver.stop();
    const drained = Promise.all([this.#sender.idle(), this.#receiver.idle(), ...[...this.#calls.tasks]]).then(
      () => undefined,
    );
    await waitAtMost(drained, this.#closeGraceMs);
    this.#calls.hardAbort.abort();
    this.#sender.rejectPending(this.#calls.closedError());
    this.#receiver.dropPendingDeletes();
    // Everything left now ends within a turn or two: every wait of the transport listens to the signals.
    while (this.#calls.tasks.size > 0) await Promise.all([...this.#calls.tasks]);
    await Promise.all([this.#sender.idle(), this.#receiver.idle()]);
  }

  stats(): TransportStats {
    return this.#counters.snapshot(this.#sender.accounting);
  }
}

async function waitAtMost(p: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
