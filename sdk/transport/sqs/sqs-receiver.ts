import { DeleteObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { classifyAwsError, errorName, isRetryable } from './aws-error-kind.js';
import { SqsTransportError } from './errors.js';
import { NagleBatcher } from './nagle-batcher.js';
import { retriesExhausted } from './retry.js';
import type { SqsCalls } from './sqs-calls.js';
import type { SqsCounters } from './sqs-counters.js';
import {
  decodeMessage,
  FRAME_ATTRIBUTE,
  receivedMessageBytes,
  type S3Pointer,
  SQS_MAX_BATCH_ENTRIES,
} from './wire.js';

/**
 * The receiving half of SqsTransport: long-polls the own queue, 1 to `maxPollers` polls at once
 * depending on load, hands frames to `onFrames` and only then deletes them (batched), so a failed
 * delete can cause a duplicate but never a loss. Frames offloaded to S3 are fetched, delivered,
 * then their object and message deleted. Duplicates and reordering are the channel layer's business.
 */
export class SqsReceiver {
  readonly #calls: SqsCalls;
  readonly #counters: SqsCounters;
  readonly #rank: number;
  readonly #ownUrl: string;
  readonly #maxPollers: number;
  readonly #deleter: NagleBatcher<string>;
  /**
   * Keys of offloaded frames already delivered. Every offloaded frame has a key of its own (a
   * resend of the same frame reuses it), so a pointer to one of these is a redelivery: it is
   * dropped without fetching, since the receiver deleted the object after delivery and a GET
   * would fail (404 NoSuchKey, or 403 AccessDenied for a role without s3:ListBucket).
   */
  readonly #deliveredKeys = new Set<string>();
  /** Keys being fetched now: a second pointer to one of them waits for that fetch to end. */
  readonly #fetching = new Map<string, Promise<void>>();
  #onFrames: ((frames: Uint8Array[]) => void) | undefined;
  #onError: ((err: Error) => void) | undefined;
  #started = false;
  /** The own queue answered a receive: from now on QueueDoesNotExist means it was deleted. */
  #ownAnswered = false;
  /** No more frames are delivered (close() or a fatal receive error). */
  #stopped = false;

  constructor(calls: SqsCalls, o: { rank: number; ownUrl: string; maxPollers: number }) {
    this.#calls = calls;
    this.#counters = calls.counters;
    this.#rank = o.rank;
    this.#ownUrl = o.ownUrl;
    this.#maxPollers = o.maxPollers;
    this.#deleter = new NagleBatcher<string>({
      maxEntries: SQS_MAX_BATCH_ENTRIES,
      maxBytes: Number.POSITIVE_INFINITY,
      sizeOf: () => 0,
      maxInFlight: 4,
      flush: (handles) => this.#flushDeletes(handles),
    });
  }

  start(onFrames: (frames: Uint8Array[]) => void, onError: (err: Error) => void): void {
    if (this.#started) throw new Error(`SqsTransport.start() was called twice on rank ${this.#rank}`);
    this.#started = true;
    this.#onFrames = onFrames;
    this.#onError = onError;
    if (!this.#stopped) this.#spawnPoller();
  }

  #spawnPoller(): void {
    this.#counters.pollers++;
    this.#counters.peakPollers = Math.max(this.#counters.peakPollers, this.#counters.pollers);
    this.#calls.track(this.#pollLoop());
  }

  /**
   * One long-poll loop. Pollers multiply while receives come back full (a queue with a backlog)
   * and retire while they come back short, down to one. `#pollers` is decremented in the same
   * synchronous step as the decision to retire, so two pollers can never both retire the last.
   */
  async #pollLoop(): Promise<void> {
    const signal = this.#calls.pollAbort.signal;
    const own = this.#ownUrl;
    let failures = 0;
    let youngFailures = 0;
    try {
      while (!this.#stopped) {
        let messages: Message[];
        try {
          const res = await this.#calls.sqsCall(
            'ReceiveMessage',
            (s) =>
              this.#calls.sqs.send(
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
          const what = `ReceiveMessage on the queue of rank ${this.#rank}`;
          if (kind === 'queue-gone' && !this.#ownAnswered && this.#calls.mayBeNewQueue()) {
            if (!(await this.#calls.backoff(++youngFailures, signal))) return;
            continue;
          }
          if (kind === 'queue-gone') {
            this.#fail(
              new SqsTransportError(
                'QUEUE_GONE',
                `the queue of rank ${this.#rank} was deleted mid-job: the job was aborted or its queues swept (${own})`,
                { cause: err },
              ),
            );
            return;
          }
          if (isRetryable(kind) && ++failures < this.#calls.retry.maxAttempts) {
            if (!(await this.#calls.backoff(failures, signal))) return;
            continue;
          }
          this.#fail(
            isRetryable(kind)
              ? retriesExhausted(what, failures, err)
              : this.#calls.explain(err, { action: what }),
          );
          return;
        }
        failures = 0;
        this.#ownAnswered = true;
        // Messages that arrive after close() are neither delivered nor deleted: they reappear
        // after the visibility timeout in a queue that is about to be deleted.
        if (this.#stopped) return;
        this.#handle(messages);
        if (messages.length >= SQS_MAX_BATCH_ENTRIES) {
          if (this.#counters.pollers < this.#maxPollers) this.#spawnPoller();
        } else if (this.#counters.pollers > 1) return;
      }
    } finally {
      this.#counters.pollers--;
    }
  }

  #handle(messages: Message[]): void {
    const frames: Uint8Array[] = [];
    const handles: string[] = [];
    const queue = `the queue of rank ${this.#rank}`;
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
        this.#calls.track(this.#receiveOffloaded(decoded.pointer, m.ReceiptHandle));
      }
    }
    if (frames.length > 0 && !this.#deliver(frames)) return;
    // Only now that the channel has the frames: a delete that fails costs a duplicate, not a frame.
    this.#deleter.pushMany(handles);
  }

  #deliver(frames: Uint8Array[]): boolean {
    if (this.#stopped || this.#onFrames === undefined) return false;
    this.#counters.messagesReceived += frames.length;
    try {
      this.#onFrames(frames);
    } catch (err) {
      this.#fail(
        new SqsTransportError(
          'AWS',
          `the frame handler of rank ${this.#rank} threw: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        ),
      );
      return false;
    }
    return true;
  }

  async #receiveOffloaded(pointer: S3Pointer, handle: string | undefined): Promise<void> {
    const s3 = this.#calls.s3;
    const where = `s3://${pointer.bucket}/${pointer.key}`;
    if (this.#deliveredKeys.has(pointer.key)) {
      this.#dropStalePointer(handle);
      return;
    }
    // The same pointer while its first copy is being fetched (a visibility timeout expired):
    // once that fetch ended, it is a duplicate, or (if the fetch failed) fetched again.
    const inFlight = this.#fetching.get(pointer.key);
    if (inFlight !== undefined) {
      await inFlight;
      if (!this.#stopped) await this.#receiveOffloaded(pointer, handle);
      return;
    }
    const fetch = this.#fetchOffloaded(s3, pointer, where, handle);
    this.#fetching.set(pointer.key, fetch);
    try {
      await fetch;
    } finally {
      this.#fetching.delete(pointer.key);
    }
  }

  /** A redelivered pointer whose payload this rank already delivered (and deleted). */
  #dropStalePointer(handle: string | undefined): void {
    this.#counters.stalePointers++;
    if (handle !== undefined) this.#deleter.push(handle);
  }

  async #fetchOffloaded(
    s3: SqsCalls['s3'],
    pointer: S3Pointer,
    where: string,
    handle: string | undefined,
  ): Promise<void> {
    if (s3 === undefined) {
      this.#fail(
        new SqsTransportError(
          'PAYLOAD_LOST',
          `rank ${this.#rank} received a frame offloaded to ${where} but has no S3 client: pass \`s3\` and \`bucket\` to every rank's SqsTransport`,
        ),
      );
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.#calls.s3Call(
        'GetObject',
        async (signal) => {
          const res = await s3.send(new GetObjectCommand({ Bucket: pointer.bucket, Key: pointer.key }), {
            abortSignal: signal,
          });
          if (res.Body === undefined) throw new Error(`GetObject ${where} returned no body`);
          return res.Body.transformToByteArray();
        },
        `GetObject ${where}`,
        this.#calls.pollAbort.signal,
      );
    } catch (err) {
      if (this.#stopped) return;
      const kind = classifyAwsError(err);
      const missing = kind === 'no-such-key' || kind === 'access-denied';
      if (missing && this.#deliveredKeys.has(pointer.key)) {
        // Delivered by another copy while this one was fetched: a duplicate, not a loss.
        this.#dropStalePointer(handle);
        return;
      }
      if (kind === 'access-denied') {
        this.#fail(
          new SqsTransportError(
            'ACCESS_DENIED',
            `GetObject ${where} (the payload of a frame for rank ${this.#rank}, not yet delivered) was denied (${errorName(err) || 'AccessDenied'}): ` +
              "either the rank's credentials lack s3:GetObject on the bucket's payloads/ prefix, or the object is missing " +
              "(S3 answers 403, not 404, for a missing key to a caller without s3:ListBucket, as the deployed stack's rank " +
              "role is): check the role's policy (the deployed stack grants s3:GetObject there) and any lifecycle rule or " +
              'sweeper that deletes payloads while a job runs',
            { cause: err },
          ),
        );
        return;
      }
      if (kind === 'no-such-key') {
        this.#fail(
          new SqsTransportError(
            'PAYLOAD_LOST',
            `the payload of a frame for rank ${this.#rank} is missing from ${where}: it was deleted before delivery (a bucket lifecycle rule shorter than the job, or a sweeper)`,
            { cause: err },
          ),
        );
        return;
      }
      if (err instanceof SqsTransportError && err.code === 'RETRIES_EXHAUSTED') {
        // Leave the message undeleted: SQS delivers it again after the visibility timeout.
        this.#counters.s3Failures++;
        return;
      }
      this.#fail(this.#calls.explain(err, { action: `GetObject ${where}`, service: 'S3' }));
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
      await this.#calls.s3Call(
        'DeleteObject',
        (signal) =>
          s3.send(new DeleteObjectCommand({ Bucket: pointer.bucket, Key: pointer.key }), {
            abortSignal: signal,
          }),
        `DeleteObject ${where}`,
        this.#calls.hardAbort.signal,
      );
    } catch {
      // An orphaned object, not a lost frame: deleteJobObjects() or the bucket's lifecycle rule removes it.
      this.#counters.s3Failures++;
    }
    if (handle !== undefined) this.#deleter.push(handle);
  }

  /** Deletes received messages. Never throws: a message not deleted only comes back as a duplicate. */
  async #flushDeletes(handles: string[]): Promise<void> {
    const own = this.#ownUrl;
    let todo = handles.map((h, i) => ({ Id: `d${i}`, ReceiptHandle: h }));
    for (let attempt = 1; todo.length > 0; attempt++) {
      if (this.#calls.hardAbort.signal.aborted) break;
      try {
        const entries = todo;
        const res = await this.#calls.sqsCall(
          'DeleteMessageBatch',
          (signal) =>
            this.#calls.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: own, Entries: entries }), {
              abortSignal: signal,
            }),
          { signal: this.#calls.hardAbort.signal },
        );
        const failed = res.Failed ?? [];
        // ReceiptHandleIsInvalid and the like (sender faults) will not get better; drop them.
        const retryIds = new Set(failed.filter((f) => f.SenderFault !== true).map((f) => f.Id));
        this.#counters.deleteFailures += failed.length - retryIds.size;
        todo = todo.filter((e) => retryIds.has(e.Id));
      } catch (err) {
        const kind = classifyAwsError(err);
        if (!isRetryable(kind)) break;
      }
      if (
        todo.length > 0 &&
        (attempt >= this.#calls.retry.maxAttempts || !(await this.#calls.backoff(attempt)))
      )
        break;
    }
    this.#counters.deleteFailures += todo.length;
  }

  #fail(err: Error): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#calls.pollAbort.abort();
    this.#onError?.(err);
  }

  /** Stops delivering frames and polling, at once (close()). */
  stop(): void {
    this.#stopped = true;
    this.#calls.pollAbort.abort();
  }

  /** Settles once every delete batch in flight has. */
  idle(): Promise<void> {
    return this.#deleter.idle();
  }

  /** Gives up the deletes not yet in flight (close() after its grace period): counted as failures. */
  dropPendingDeletes(): void {
    this.#counters.deleteFailures += this.#deleter.takePending().length;
  }
}
