import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  type BatchResultErrorEntry,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { checkOptions } from '../../base/check-options.js';
import { describeValue } from '../../base/describe-value.js';
import { estimateCostUsd, sqsBilledRequests } from '../../base/prices.js';
import {
  abortable,
  abortError,
  backoffMs,
  type RetryPolicy,
  resolveRetryPolicy,
  sleep,
} from '../../base/retry.js';
import type { Transport, TransportStats } from '../transport.js';
import { classifyAwsError, isRetryable } from './aws-error-kind.js';
import { type AwsErrorContext, endpointOf, explainAwsError } from './clients.js';
import { SqsTransportError } from './errors.js';
import { jobObjectPrefix } from './job-objects.js';
import { type LatencyOptions, LogNormalLatency } from './latency.js';
import { NagleBatcher } from './nagle-batcher.js';
import { retriesExhausted, withRetries } from './retry.js';
import {
  type BinaryAccounting,
  decodeMessage,
  EMPTY_BODY,
  FRAME_ATTRIBUTE,
  INLINE_BODY,
  inlineAttributes,
  inlineMessageSize,
  maxInlineFrameBytes,
  pointerBody,
  receivedMessageBytes,
  type S3Pointer,
  SIZE_HEADROOM_BYTES,
  SQS_MAX_BATCH_ENTRIES,
  SQS_MAX_MESSAGE_BYTES,
} from './wire.js';

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
]);

/** A frame on its way to a queue, with the promise its `send()` returned. */
interface Outgoing {
  /** Batch entry id, unique within this transport. */
  id: string;
  /** The frame, for inline entries (kept so it can be re-routed to S3 when re-planned). */
  frame: Uint8Array;
  /** Payload bytes this entry delivers (the frame's length, also for a pointer). */
  bytes: number;
  body: string;
  pointer?: S3Pointer;
  resolve: () => void;
  reject: (err: Error) => void;
}

function checkInt(name: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max + 1})`;
    throw new TypeError(`Expected \`${name}\` to be an integer ${range}, got ${describeValue(v)}`);
  }
  return v;
}

/** Entry-level failures that mean "too large", whatever the endpoint calls them. */
function isSizeFailure(f: BatchResultErrorEntry): boolean {
  return (
    f.SenderFault === true && /too ?long|shorter than|too large/i.test(`${f.Code ?? ''} ${f.Message ?? ''}`)
  );
}

/**
 * The SQS transport: one standard queue per rank; a frame for rank r is a message in r's queue.
 *
 * - Sending batches frames per destination queue (SendMessageBatch, 10 entries, 1 MiB) without
 *   ever delaying a lone frame (see `NagleBatcher`). Frames travel in a Binary message attribute;
 *   frames too large for one message go to S3 and a pointer goes through SQS (claim check).
 *   Throttling, 5xx and partial batch failures are retried with backoff; `send()` resolves once
 *   SQS (and S3) accepted the frame.
 * - Receiving long-polls the own queue, 1 to `maxPollers` polls at once depending on load, hands
 *   frames to `onFrames` and only then deletes them (batched), so a failed delete can cause a
 *   duplicate but never a loss. Duplicates and reordering are the channel layer's business.
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

  readonly #urls: readonly string[];
  readonly #sqs: SQSClient;
  readonly #s3: S3Client | undefined;
  readonly #bucket: string | undefined;
  readonly #jobId: string;
  readonly #latency: LogNormalLatency | undefined;
  readonly #maxPollers: number;
  readonly #maxBatchesInFlight: number;
  readonly #retry: RetryPolicy;
  readonly #closeGraceMs: number;
  #accounting: BinaryAccounting;
  /** The SQS client's custom endpoint, once known: named in "cannot reach" errors. */
  #endpoint: string | undefined;

  /** Aborted when close() starts: long polls and S3 downloads. */
  readonly #pollAbort = new AbortController();
  /** Aborted when close()'s grace period ends: sends, deletes, uploads. */
  readonly #hardAbort = new AbortController();

  readonly #senders: (NagleBatcher<Outgoing> | undefined)[];
  /** Set once a rank's queue answered QueueDoesNotExist: later sends to it fail at once. */
  readonly #gone: (SqsTransportError | undefined)[];
  readonly #deleter: NagleBatcher<string>;
  /** Work not tracked by a batcher, awaited by close(): uploads, downloads, poll loops. */
  readonly #tasks = new Set<Promise<unknown>>();
  /** Keys of offloaded frames already delivered: a NoSuchKey for one of them is a duplicate, not a loss. */
  readonly #deliveredKeys = new Set<string>();

  #onFrames: ((frames: Uint8Array[]) => void) | undefined;
  #onError: ((err: Error) => void) | undefined;
  #started = false;
  /** No more frames are delivered (close() or a fatal receive error). */
  #stopped = false;
  /** No more sends are accepted. */
  #closed = false;
  #closing: Promise<void> | undefined;
  #nextId = 0;
  #pollers = 0;

  // Counters for stats().
  readonly #calls: Record<string, number> = {};
  #sqsBilled = 0;
  #messagesSent = 0;
  #bytesSent = 0;
  #messagesReceived = 0;
  #offloads = 0;
  #retries = 0;
  #deleteFailures = 0;
  #s3Failures = 0;
  #stalePointers = 0;
  #peakPollers = 0;

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
    this.#urls = [...urls];
    if (typeof options.sqs?.send !== 'function') {
      throw new TypeError(`Expected \`sqs\` to be an SQSClient, got ${describeValue(options.sqs)}`);
    }
    this.#sqs = options.sqs;
    if ((options.s3 === undefined) !== (options.bucket === undefined)) {
      throw new TypeError('Expected `s3` and `bucket` together (to offload large frames) or neither');
    }
    if (options.s3 !== undefined && typeof options.s3.send !== 'function') {
      throw new TypeError(`Expected \`s3\` to be an S3Client, got ${describeValue(options.s3)}`);
    }
    if (options.bucket !== undefined && (typeof options.bucket !== 'string' || options.bucket === '')) {
      throw new TypeError(`Expected \`bucket\` to be a bucket name, got ${describeValue(options.bucket)}`);
    }
    this.#s3 = options.s3;
    this.#bucket = options.bucket;
    if (typeof options.jobId !== 'string' || !/^[A-Za-z0-9_-]+$/.test(options.jobId)) {
      throw new TypeError(
        `Expected \`jobId\` to be a non-empty string of [A-Za-z0-9_-], got ${describeValue(options.jobId)}`,
      );
    }
    this.#jobId = options.jobId;
    this.#latency =
      options.latency === undefined || options.latency === false
        ? undefined
        : new LogNormalLatency(options.latency);
    this.#maxPollers = checkInt('maxPollers', options.maxPollers ?? 8, 1);
    this.#maxBatchesInFlight = checkInt('maxBatchesInFlight', options.maxBatchesInFlight ?? 4, 1);
    this.#retry = resolveRetryPolicy(options.retry, 'SqsTransport');
    this.#closeGraceMs = checkInt('closeGraceMs', options.closeGraceMs ?? 2_000, 0);
    const accounting = options.binaryAccounting ?? 'raw';
    if (accounting !== 'raw' && accounting !== 'base64') {
      throw new TypeError(
        `Expected \`binaryAccounting\` to be 'raw' or 'base64', got ${describeValue(accounting)}`,
      );
    }
    this.#accounting = accounting;
    this.#senders = new Array(this.size).fill(undefined);
    this.#gone = new Array(this.size).fill(undefined);
    // Every call in flight listens to one of the two signals; hundreds at once are normal here.
    setMaxListeners(0, this.#pollAbort.signal, this.#hardAbort.signal);
    void endpointOf(this.#sqs).then((e) => {
      this.#endpoint = e;
    });
    this.#deleter = new NagleBatcher<string>({
      maxEntries: SQS_MAX_BATCH_ENTRIES,
      maxBytes: Number.POSITIVE_INFINITY,
      sizeOf: () => 0,
      maxInFlight: 4,
      flush: (handles) => this.#flushDeletes(handles),
    });
  }

  // ---------------------------------------------------------------- sending

  send(dst: number, frame: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
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
    const gone = this.#gone[dst];
    if (gone !== undefined) return Promise.reject(gone);
    if (frame.length > maxInlineFrameBytes(this.#accounting))
      return this.#track(this.#sendOffloaded(dst, frame));
    return this.#enqueue(dst, {
      frame,
      bytes: frame.length,
      body: frame.length === 0 ? EMPTY_BODY : INLINE_BODY,
    });
  }

  #enqueue(dst: number, entry: Pick<Outgoing, 'frame' | 'bytes' | 'body' | 'pointer'>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#sender(dst).push({ ...entry, id: `m${this.#nextId++}`, resolve, reject });
    });
  }

  #sender(dst: number): NagleBatcher<Outgoing> {
    let s = this.#senders[dst];
    if (s === undefined) {
      s = new NagleBatcher<Outgoing>({
        maxEntries: SQS_MAX_BATCH_ENTRIES,
        maxBytes: SQS_MAX_MESSAGE_BYTES - SIZE_HEADROOM_BYTES,
        sizeOf: (o) => this.#sizeOf(o),
        maxInFlight: this.#maxBatchesInFlight,
        flush: (batch) => this.#flushSends(dst, batch),
      });
      this.#senders[dst] = s;
    }
    return s;
  }

  #sizeOf(o: Outgoing): number {
    return o.pointer === undefined ? inlineMessageSize(o.frame.length, this.#accounting) : o.body.length;
  }

  #toEntry(o: Outgoing): SendMessageBatchRequestEntry {
    const attrs = o.pointer === undefined ? inlineAttributes(o.frame) : undefined;
    return { Id: o.id, MessageBody: o.body, ...(attrs === undefined ? {} : { MessageAttributes: attrs }) };
  }

  /** Claim check: the frame goes to S3, a pointer to it through the queue. */
  async #sendOffloaded(dst: number, frame: Uint8Array): Promise<void> {
    const s3 = this.#s3;
    const bucket = this.#bucket;
    if (s3 === undefined || bucket === undefined) {
      throw new SqsTransportError(
        'FRAME_TOO_LARGE',
        `a frame of ${frame.length} bytes for rank ${dst} exceeds what one SQS message carries (${maxInlineFrameBytes(this.#accounting)} bytes): pass \`s3\` and \`bucket\` to SqsTransport to offload large frames`,
      );
    }
    const key = `${jobObjectPrefix(this.#jobId)}${randomUUID()}`;
    const what = `PutObject s3://${bucket}/${key} (a frame for rank ${dst})`;
    try {
      await this.#s3Call(
        'PutObject',
        (signal) =>
          s3.send(
            new PutObjectCommand({ Bucket: bucket, Key: key, Body: frame, ContentLength: frame.length }),
            {
              abortSignal: signal,
            },
          ),
        what,
        this.#hardAbort.signal,
      );
    } catch (err) {
      if (this.#hardAbort.signal.aborted) throw this.#closedError();
      throw this.#explain(err, { action: what, service: 'S3' });
    }
    this.#offloads++;
    const pointer: S3Pointer = { bucket, key, bytes: frame.length };
    await this.#enqueue(dst, {
      frame: new Uint8Array(0),
      bytes: frame.length,
      body: pointerBody(pointer),
      pointer,
    });
  }

  /**
   * Sends one batch, retrying what fails, and settles every entry: resolved when SQS accepted it,
   * rejected when it cannot be delivered. Never throws.
   */
  async #flushSends(dst: number, batch: Outgoing[]): Promise<void> {
    const what = `SendMessageBatch to the queue of rank ${dst}`;
    let todo: Outgoing[] = [];
    // Re-planning: an inline frame that no longer fits (the size accounting switched) goes to S3.
    for (const o of batch) {
      if (o.pointer === undefined && o.frame.length > maxInlineFrameBytes(this.#accounting)) {
        this.#track(this.#sendOffloaded(dst, o.frame)).then(o.resolve, o.reject);
      } else todo.push(o);
    }
    const byId = new Map(batch.map((o) => [o.id, o]));
    for (let attempt = 1; todo.length > 0; attempt++) {
      if (this.#hardAbort.signal.aborted) return this.#rejectAll(todo, this.#closedError());
      let res: SendMessageBatchCommandOutput;
      try {
        res = await this.#sendBatch(dst, todo);
      } catch (err) {
        if (this.#hardAbort.signal.aborted) return this.#rejectAll(todo, this.#closedError());
        // An AbortError we did not cause (a socket or SDK timeout) is a transient failure.
        const found = classifyAwsError(err);
        const kind = found === 'aborted' ? 'transient-network' : found;
        if (kind === 'queue-gone') return this.#queueGone(dst, todo, err);
        if (kind === 'too-large' && this.#accounting === 'raw') {
          this.#switchAccounting();
          this.#sender(dst).pushFront(todo);
          return;
        }
        if (!isRetryable(kind)) return this.#rejectAll(todo, this.#explain(err, { action: what }));
        if (attempt >= this.#retry.maxAttempts)
          return this.#rejectAll(todo, retriesExhausted(what, attempt, err));
        if (!(await this.#backoff(attempt))) return this.#rejectAll(todo, this.#closedError());
        continue;
      }
      const settled = new Set<string>();
      for (const s of res.Successful ?? []) {
        const o = s.Id === undefined ? undefined : byId.get(s.Id);
        if (o === undefined || settled.has(o.id)) continue;
        settled.add(o.id);
        this.#messagesSent++;
        this.#bytesSent += o.bytes;
        o.resolve();
      }
      const retry: Outgoing[] = [];
      const replan: Outgoing[] = [];
      let lastFailure: BatchResultErrorEntry | undefined;
      for (const f of res.Failed ?? []) {
        const o = f.Id === undefined ? undefined : byId.get(f.Id);
        if (o === undefined || settled.has(o.id)) continue;
        settled.add(o.id);
        if (isSizeFailure(f) && o.pointer === undefined && this.#accounting === 'raw') {
          this.#switchAccounting();
          replan.push(o);
        } else if (f.SenderFault !== true || /thrott|limit/i.test(f.Code ?? '')) {
          lastFailure = f;
          retry.push(o);
        } else {
          o.reject(
            new SqsTransportError(
              'AWS',
              `${what}: SQS rejected a frame of ${o.bytes} bytes: ${f.Code ?? 'error'}: ${f.Message ?? 'no message'}`,
            ),
          );
        }
      }
      // An entry reported neither way is sent again: a duplicate at worst, never a loss.
      for (const o of todo) if (!settled.has(o.id)) retry.push(o);
      if (replan.length > 0) this.#sender(dst).pushFront(replan);
      todo = retry;
      if (todo.length === 0) return;
      if (attempt >= this.#retry.maxAttempts) {
        const last = new Error(`${lastFailure?.Code ?? 'missing result'}: ${lastFailure?.Message ?? ''}`);
        return this.#rejectAll(todo, retriesExhausted(`${what} (failed entries)`, attempt, last));
      }
      if (!(await this.#backoff(attempt))) return this.#rejectAll(todo, this.#closedError());
    }
  }

  #sendBatch(dst: number, todo: Outgoing[]): Promise<SendMessageBatchCommandOutput> {
    const entries = todo.map((o) => this.#toEntry(o));
    let raw = 0;
    for (const o of todo)
      raw += o.pointer === undefined ? inlineMessageSize(o.frame.length, 'raw') : o.body.length;
    return this.#sqsCall(
      'SendMessageBatch',
      (signal) =>
        this.#sqs.send(new SendMessageBatchCommand({ QueueUrl: this.#urls[dst], Entries: entries }), {
          abortSignal: signal,
        }),
      { signal: this.#hardAbort.signal, billedBytes: () => raw },
    );
  }

  #switchAccounting(): void {
    // The endpoint counts Binary attributes as base64 text (an emulator): plan with that from now on.
    this.#accounting = 'base64';
  }

  #queueGone(dst: number, todo: Outgoing[], cause: unknown): void {
    const err =
      this.#gone[dst] ??
      new SqsTransportError(
        'QUEUE_GONE',
        `the queue of rank ${dst} does not exist (${this.#urls[dst]}): the job was aborted or its queues deleted or swept, or the queue URL is wrong`,
        { cause },
      );
    this.#gone[dst] = err;
    this.#rejectAll(todo, err);
    this.#rejectAll(this.#sender(dst).takePending(), err);
  }

  #rejectAll(items: readonly Outgoing[], err: Error): void {
    for (const o of items) o.reject(err);
  }

  /** Sleeps before retry `attempt + 1`; false if the transport was closed meanwhile. */
  async #backoff(attempt: number, signal: AbortSignal = this.#hardAbort.signal): Promise<boolean> {
    this.#retries++;
    try {
      await sleep(backoffMs(attempt, this.#retry), signal);
      return true;
    } catch {
      return false;
    }
  }

  #closedError(): SqsTransportError {
    return new SqsTransportError('CLOSED', `the SQS transport of rank ${this.rank} is closed`);
  }

  // -------------------------------------------------------------- receiving

  start(onFrames: (frames: Uint8Array[]) => void, onError: (err: Error) => void): void {
    if (this.#started) throw new Error(`SqsTransport.start() was called twice on rank ${this.rank}`);
    this.#started = true;
    this.#onFrames = onFrames;
    this.#onError = onError;
    if (!this.#stopped) this.#spawnPoller();
  }

  #spawnPoller(): void {
    this.#pollers++;
    this.#peakPollers = Math.max(this.#peakPollers, this.#pollers);
    this.#track(this.#pollLoop());
  }

  /**
   * One long-poll loop. Pollers multiply while receives come back full (a queue with a backlog)
   * and retire while they come back short, down to one. `#pollers` is decremented in the same
   * synchronous step as the decision to retire, so two pollers can never both retire the last.
   */
  async #pollLoop(): Promise<void> {
    const signal = this.#pollAbort.signal;
    const own = this.#urls[this.rank]!;
    let failures = 0;
    try {
      while (!this.#stopped) {
        let messages: Message[];
        try {
          const res = await this.#sqsCall(
            'ReceiveMessage',
            (s) =>
              this.#sqs.send(
                new ReceiveMessageCommand({
                  QueueUrl: own,
                  MaxNumberOfMessages: SQS_MAX_BATCH_ENTRIES,
                  WaitTimeSeconds: 20,
                  MessageAttributeNames: [FRAME_ATTRIBUTE],
                }),
                { abortSignal: s },
              ),
            {
              signal,
              billedBytes: (r) => (r.Messages ?? []).reduce((n, m) => n + receivedMessageBytes(m), 0),
              latencyAfter: true,
            },
          );
          messages = res.Messages ?? [];
        } catch (err) {
          if (this.#stopped) return;
          const kind = classifyAwsError(err);
          const what = `ReceiveMessage on the queue of rank ${this.rank}`;
          if (kind === 'queue-gone') {
            this.#fail(
              new SqsTransportError(
                'QUEUE_GONE',
                `the queue of rank ${this.rank} was deleted mid-job: the job was aborted or its queues swept (${own})`,
                { cause: err },
              ),
            );
            return;
          }
          if (isRetryable(kind) && ++failures < this.#retry.maxAttempts) {
            if (!(await this.#backoff(failures, signal))) return;
            continue;
          }
          this.#fail(
            isRetryable(kind) ? retriesExhausted(what, failures, err) : this.#explain(err, { action: what }),
          );
          return;
        }
        failures = 0;
        // Messages that arrive after close() are neither delivered nor deleted: they reappear
        // after the visibility timeout in a queue that is about to be deleted.
        if (this.#stopped) return;
        this.#handle(messages);
        if (messages.length >= SQS_MAX_BATCH_ENTRIES) {
          if (this.#pollers < this.#maxPollers) this.#spawnPoller();
        } else if (this.#pollers > 1) return;
      }
    } finally {
      this.#pollers--;
    }
  }

  #handle(messages: Message[]): void {
    const frames: Uint8Array[] = [];
    const handles: string[] = [];
    const queue = `the queue of rank ${this.rank}`;
    for (const m of messages) {
      let decoded: ReturnType<typeof decodeMessage>;
      try {
        decoded = decodeMessage(m, queue);
      } catch (err) {
        this.#fail(err as Error);
        return;
      }
      if (decoded.kind === 'frame') {
        frames.push(decoded.frame);
        if (m.ReceiptHandle !== undefined) handles.push(m.ReceiptHandle);
      } else {
        this.#track(this.#receiveOffloaded(decoded.pointer, m.ReceiptHandle));
      }
    }
    if (frames.length > 0 && !this.#deliver(frames)) return;
    // Only now that the channel has the frames: a delete that fails costs a duplicate, not a frame.
    this.#deleter.pushMany(handles);
  }

  #deliver(frames: Uint8Array[]): boolean {
    if (this.#stopped || this.#onFrames === undefined) return false;
    this.#messagesReceived += frames.length;
    try {
      this.#onFrames(frames);
    } catch (err) {
      this.#fail(
        new SqsTransportError(
          'AWS',
          `the frame handler of rank ${this.rank} threw: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        ),
      );
      return false;
    }
    return true;
  }

  async #receiveOffloaded(pointer: S3Pointer, handle: string | undefined): Promise<void> {
    const s3 = this.#s3;
    const where = `s3://${pointer.bucket}/${pointer.key}`;
    if (s3 === undefined) {
      this.#fail(
        new SqsTransportError(
          'PAYLOAD_LOST',
          `rank ${this.rank} received a frame offloaded to ${where} but has no S3 client: pass \`s3\` and \`bucket\` to every rank's SqsTransport`,
        ),
      );
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.#s3Call(
        'GetObject',
        async (signal) => {
          const res = await s3.send(new GetObjectCommand({ Bucket: pointer.bucket, Key: pointer.key }), {
            abortSignal: signal,
          });
          if (res.Body === undefined) throw new Error(`GetObject ${where} returned no body`);
          return res.Body.transformToByteArray();
        },
        `GetObject ${where}`,
        this.#pollAbort.signal,
      );
    } catch (err) {
      if (this.#stopped) return;
      const kind = classifyAwsError(err);
      if (kind === 'no-such-key' && this.#deliveredKeys.has(pointer.key)) {
        // A redelivered pointer whose payload this rank already delivered and deleted.
        this.#stalePointers++;
        if (handle !== undefined) this.#deleter.push(handle);
        return;
      }
      if (kind === 'no-such-key') {
        this.#fail(
          new SqsTransportError(
            'PAYLOAD_LOST',
            `the payload of a frame for rank ${this.rank} is missing from ${where}: it was deleted before delivery (a bucket lifecycle rule shorter than the job, or a sweeper)`,
            { cause: err },
          ),
        );
        return;
      }
      if (err instanceof SqsTransportError && err.code === 'RETRIES_EXHAUSTED') {
        // Leave the message undeleted: SQS delivers it again after the visibility timeout.
        this.#s3Failures++;
        return;
      }
      this.#fail(this.#explain(err, { action: `GetObject ${where}`, service: 'S3' }));
      return;
    }
    if (bytes.length !== pointer.bytes) {
      this.#fail(
        new SqsTransportError(
          'PAYLOAD_LOST',
          `the offloaded frame ${where} is ${bytes.length} bytes but its pointer says ${pointer.bytes}: the object was overwritten or truncated`,
        ),
      );
      return;
    }
    this.#deliveredKeys.add(pointer.key);
    if (!this.#deliver([bytes])) return;
    try {
      await this.#s3Call(
        'DeleteObject',
        (signal) =>
          s3.send(new DeleteObjectCommand({ Bucket: pointer.bucket, Key: pointer.key }), {
            abortSignal: signal,
          }),
        `DeleteObject ${where}`,
        this.#hardAbort.signal,
      );
    } catch {
      // An orphaned object, not a lost frame: deleteJobObjects() or the bucket's lifecycle rule removes it.
      this.#s3Failures++;
    }
    if (handle !== undefined) this.#deleter.push(handle);
  }

  /** Deletes received messages. Never throws: a message not deleted only comes back as a duplicate. */
  async #flushDeletes(handles: string[]): Promise<void> {
    const own = this.#urls[this.rank]!;
    let todo = handles.map((h, i) => ({ Id: `d${i}`, ReceiptHandle: h }));
    for (let attempt = 1; todo.length > 0; attempt++) {
      if (this.#hardAbort.signal.aborted) break;
      try {
        const entries = todo;
        const res = await this.#sqsCall(
          'DeleteMessageBatch',
          (signal) =>
            this.#sqs.send(new DeleteMessageBatchCommand({ QueueUrl: own, Entries: entries }), {
              abortSignal: signal,
            }),
          { signal: this.#hardAbort.signal },
        );
        const failed = res.Failed ?? [];
        // ReceiptHandleIsInvalid and the like (sender faults) will not get better; drop them.
        const retryIds = new Set(failed.filter((f) => f.SenderFault !== true).map((f) => f.Id));
        this.#deleteFailures += failed.length - retryIds.size;
        todo = todo.filter((e) => retryIds.has(e.Id));
      } catch (err) {
        const kind = classifyAwsError(err);
        if (!isRetryable(kind)) break;
      }
      if (todo.length > 0 && (attempt >= this.#retry.maxAttempts || !(await this.#backoff(attempt)))) break;
    }
    this.#deleteFailures += todo.length;
  }

  #explain(err: unknown, context: AwsErrorContext): SqsTransportError {
    return explainAwsError(
      err,
      this.#endpoint === undefined ? context : { ...context, endpoint: this.#endpoint },
    );
  }

  #fail(err: Error): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#pollAbort.abort();
    this.#onError?.(err);
  }

  // ------------------------------------------------------------ plumbing

  /**
   * Every SQS call goes through here: counted by action, billed by payload (64 KiB chunks),
   * delayed when latency injection is on, and abandoned as soon as `signal` aborts.
   */
  async #sqsCall<T>(
    action: string,
    run: (signal: AbortSignal) => Promise<T>,
    opts: { signal: AbortSignal; billedBytes?: (res: T) => number; latencyAfter?: boolean },
  ): Promise<T> {
    if (this.#latency !== undefined && opts.latencyAfter !== true) await this.#latency.delay(opts.signal);
    if (opts.signal.aborted) throw abortError();
    this.#calls[action] = (this.#calls[action] ?? 0) + 1;
    this.#sqsBilled++;
    const res = await abortable(run(opts.signal), opts.signal);
    if (opts.billedBytes !== undefined) this.#sqsBilled += sqsBilledRequests(opts.billedBytes(res)) - 1;
    if (this.#latency !== undefined && opts.latencyAfter === true) await this.#latency.delay(opts.signal);
    return res;
  }

  /** An S3 call with retries, counted by action. */
  #s3Call<T>(
    action: string,
    run: (signal: AbortSignal) => Promise<T>,
    what: string,
    signal: AbortSignal,
  ): Promise<T> {
    return withRetries(
      () => {
        if (signal.aborted) return Promise.reject(abortError());
        this.#calls[action] = (this.#calls[action] ?? 0) + 1;
        return abortable(run(signal), signal);
      },
      { policy: this.#retry, signal, what, onRetry: () => this.#retries++ },
    );
  }

  #track<T>(p: Promise<T>): Promise<T> {
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    this.#tasks.add(settled);
    void settled.then(() => this.#tasks.delete(settled));
    return p;
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
    this.#stopped = true;
    this.#pollAbort.abort();
    const drained = Promise.all([
      ...this.#senders.map((s) => s?.idle()),
      this.#deleter.idle(),
      ...[...this.#tasks],
    ]).then(() => undefined);
    await waitAtMost(drained, this.#closeGraceMs);
    this.#hardAbort.abort();
    const closed = this.#closedError();
    for (const s of this.#senders) if (s !== undefined) this.#rejectAll(s.takePending(), closed);
    this.#deleteFailures += this.#deleter.takePending().length;
    // Everything left now ends within a turn or two: every wait in this class listens to the signals.
    while (this.#tasks.size > 0) await Promise.all([...this.#tasks]);
    await Promise.all([...this.#senders.map((s) => s?.idle()), this.#deleter.idle()]);
  }

  stats(): TransportStats {
    const calls = { ...this.#calls };
    return {
      calls,
      messagesSent: this.#messagesSent,
      bytesSent: this.#bytesSent,
      messagesReceived: this.#messagesReceived,
      offloads: this.#offloads,
      costUsd: estimateCostUsd({
        sqsBilledRequests: this.#sqsBilled,
        s3Puts: calls.PutObject ?? 0,
        s3Gets: calls.GetObject ?? 0,
        s3Deletes: calls.DeleteObject ?? 0,
      }),
      sqsBilledRequests: this.#sqsBilled,
      retries: this.#retries,
      deleteFailures: this.#deleteFailures,
      s3Failures: this.#s3Failures,
      stalePointers: this.#stalePointers,
      pollers: this.#pollers,
      peakPollers: this.#peakPollers,
      binaryAccounting: this.#accounting,
    };
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
