import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  type BatchResultErrorEntry,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { classifyAwsError, isRetryable } from './aws-error-kind.js';
import { SqsTransportError } from './errors.js';
import { jobObjectPrefix } from './job-objects.js';
import { NagleBatcher } from './nagle-batcher.js';
import { retriesExhausted } from './retry.js';
import type { SqsCalls } from './sqs-calls.js';
import {
  type BinaryAccounting,
  EMPTY_BODY,
  INLINE_BODY,
  inlineAttributes,
  inlineMessageSize,
  maxInlineFrameBytes,
  pointerBody,
  type S3Pointer,
  SIZE_HEADROOM_BYTES,
  SQS_MAX_BATCH_ENTRIES,
  SQS_MAX_MESSAGE_BYTES,
} from './wire.js';

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

/** Entry-level failures that mean "too large", whatever the endpoint calls them. */
function isSizeFailure(f: BatchResultErrorEntry): boolean {
  return (
    f.SenderFault === true && /too ?long|shorter than|too large/i.test(`${f.Code ?? ''} ${f.Message ?? ''}`)
  );
}

/** How a sender reaches the queues and the bucket. */
export interface SqsSenderOptions {
  /** `queueUrls[r]` is rank r's queue. */
  queueUrls: readonly string[];
  bucket: string | undefined;
  jobId: string;
  maxBatchesInFlight: number;
  binaryAccounting: BinaryAccounting;
}

/**
 * The sending half of SqsTransport: batches frames per destination queue (SendMessageBatch, 10
 * entries, 1 MiB) without ever delaying a lone frame past the turn that sent it (see
 * `NagleBatcher`): frames sent to one queue in one synchronous turn leave in one request, which
 * is how a flat broadcast reaches all the ranks of a node (one queue per node) with one send. Frames travel in a
 * Binary message attribute; frames too large for one message go to S3 and a pointer goes through
 * SQS (claim check). Throttling, 5xx and partial batch failures are retried with backoff; `send()`
 * resolves once SQS (and S3) accepted the frame.
 */
export class SqsSender {
  readonly #calls: SqsCalls;
  readonly #urls: readonly string[];
  readonly #bucket: string | undefined;
  readonly #jobId: string;
  readonly #maxBatchesInFlight: number;
  #accounting: BinaryAccounting;
  readonly #senders: (NagleBatcher<Outgoing> | undefined)[];
  /** Set once a rank's queue answered QueueDoesNotExist: later sends to it fail at once. */
  readonly #gone: (SqsTransportError | undefined)[];
  /** Whether a rank's queue answered a send: from then on QueueDoesNotExist means it was deleted. */
  readonly #answered: boolean[];
  #nextId = 0;

  constructor(calls: SqsCalls, o: SqsSenderOptions) {
    this.#calls = calls;
    this.#urls = o.queueUrls;
    this.#bucket = o.bucket;
    this.#jobId = o.jobId;
    this.#maxBatchesInFlight = o.maxBatchesInFlight;
    this.#accounting = o.binaryAccounting;
    this.#senders = new Array(o.queueUrls.length).fill(undefined);
    this.#gone = new Array(o.queueUrls.length).fill(undefined);
    this.#answered = new Array(o.queueUrls.length).fill(false);
  }

  /** How Binary attributes count against the size limit now (it switches to `base64` once). */
  get accounting(): BinaryAccounting {
    return this.#accounting;
  }

  /** Queues `frame` for rank `dst` (checked by the caller); resolves once SQS (and S3) accepted it. */
  send(dst: number, frame: Uint8Array): Promise<void> {
    const gone = this.#gone[dst];
    if (gone !== undefined) return Promise.reject(gone);
    if (frame.length > maxInlineFrameBytes(this.#accounting))
      return this.#calls.track(this.#sendOffloaded(dst, frame));
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
        gatherTurn: true,
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
    const s3 = this.#calls.s3;
    const bucket = this.#bucket;
    if (s3 === undefined || bucket === undefined) {
      throw new SqsTransportError(
        'FRAME_TOO_LARGE',
        `a frame of ${frame.length} bytes for rank ${dst} exceeds what one SQS message carries (${maxInlineFrameBytes(this.#accounting)} bytes) and there is no S3 bucket to offload it to: pass \`s3\` and \`bucket\` to SqsTransport (\`run --backend sqs\` makes a bucket for each job, unless the endpoint refuses CreateBucket)`,
      );
    }
    // One prefix per sending rank: S3 serves about 3,500 PUTs per second per prefix and answers
    // 503 SlowDown beyond (retried with backoff by s3Call); a job's ranks together can exceed that.
    const key = `${jobObjectPrefix(this.#jobId)}r${this.#calls.rank}/${randomUUID()}`;
    const what = `PutObject s3://${bucket}/${key} (a frame for rank ${dst})`;
    try {
      await this.#calls.s3Call(
        'PutObject',
        (signal) =>
          s3.send(
            new PutObjectCommand({ Bucket: bucket, Key: key, Body: frame, ContentLength: frame.length }),
            {
              abortSignal: signal,
            },
          ),
        what,
        this.#calls.hardAbort.signal,
      );
    } catch (err) {
      if (this.#calls.hardAbort.signal.aborted) throw this.#calls.closedError();
      throw this.#calls.explain(err, { action: what, service: 'S3' });
    }
    this.#calls.counters.offloads++;
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
        this.#calls.track(this.#sendOffloaded(dst, o.frame)).then(o.resolve, o.reject);
      } else todo.push(o);
    }
    const byId = new Map(batch.map((o) => [o.id, o]));
    let youngFailures = 0;
    for (let attempt = 1; todo.length > 0; attempt++) {
      if (this.#calls.hardAbort.signal.aborted) return this.#rejectAll(todo, this.#calls.closedError());
      let res: SendMessageBatchCommandOutput;
      try {
        res = await this.#sendBatch(dst, todo);
      } catch (err) {
        if (this.#calls.hardAbort.signal.aborted) return this.#rejectAll(todo, this.#calls.closedError());
        // An AbortError we did not cause (a socket or SDK timeout) is a transient failure.
        const found = classifyAwsError(err);
        const kind = found === 'aborted' ? 'transient-network' : found;
        if (kind === 'queue-gone' && !this.#answered[dst] && this.#calls.mayBeNewQueue()) {
          // Too new to use yet (see SqsCalls.mayBeNewQueue): not an attempt of the retry budget.
          attempt--;
          if (!(await this.#calls.backoff(++youngFailures)))
            return this.#rejectAll(todo, this.#calls.closedError());
          continue;
        }
        if (kind === 'queue-gone') return this.#queueGone(dst, todo, err);
        if (kind === 'too-large' && this.#accounting === 'raw') {
          this.#switchAccounting();
          this.#sender(dst).pushFront(todo);
          return;
        }
        if (!isRetryable(kind)) return this.#rejectAll(todo, this.#calls.explain(err, { action: what }));
        if (attempt >= this.#calls.retry.maxAttempts)
          return this.#rejectAll(todo, retriesExhausted(what, attempt, err));
        if (!(await this.#calls.backoff(attempt))) return this.#rejectAll(todo, this.#calls.closedError());
        continue;
      }
      this.#answered[dst] = true;
      const settled = new Set<string>();
      for (const s of res.Successful ?? []) {
        const o = s.Id === undefined ? undefined : byId.get(s.Id);
        if (o === undefined || settled.has(o.id)) continue;
        settled.add(o.id);
        this.#calls.counters.messagesSent++;
        this.#calls.counters.bytesSent += o.bytes;
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
      if (attempt >= this.#calls.retry.maxAttempts) {
        const last = new Error(`${lastFailure?.Code ?? 'missing result'}: ${lastFailure?.Message ?? ''}`);
        return this.#rejectAll(todo, retriesExhausted(`${what} (failed entries)`, attempt, last));
      }
      if (!(await this.#calls.backoff(attempt))) return this.#rejectAll(todo, this.#calls.closedError());
    }
  }

  #sendBatch(dst: number, todo: Outgoing[]): Promise<SendMessageBatchCommandOutput> {
    const entries = todo.map((o) => this.#toEntry(o));
    let raw = 0;
    for (const o of todo)
      raw += o.pointer === undefined ? inlineMessageSize(o.frame.length, 'raw') : o.body.length;
    return this.#calls.sqsCall(
      'SendMessageBatch',
      (signal) =>
        this.#calls.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.#urls[dst], Entries: entries }), {
          abortSignal: signal,
        }),
      { signal: this.#calls.hardAbort.signal, billedBytes: () => raw },
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

  /** Settles once every batch in flight has. */
  idle(): Promise<unknown> {
    return Promise.all(this.#senders.map((s) => s?.idle()));
  }

  /** Rejects every send not yet in flight with `err` (close() after its grace period). */
  rejectPending(err: Error): void {
    for (const s of this.#senders) if (s !== undefined) this.#rejectAll(s.takePending(), err);
  }
}
