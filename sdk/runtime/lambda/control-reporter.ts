import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { resolveRetryPolicy } from '../../base/retry.js';
import { reportObjectKey } from '../../base/stack-contract.js';
import { classifyAwsError } from '../../transport/sqs/aws-error-kind.js';
import { withRetries } from '../../transport/sqs/retry.js';
import {
  encodeEnvelope,
  envelopeBody,
  MAX_INLINE_REPORT_CHARS,
  type OutputStream,
  pointerBody,
  type RankNotice,
  type RankReport,
  type ReportEnvelope,
} from './control-report.js';

export interface ControlReporterOptions {
  sqs: SQSClient;
  controlUrl: string;
  jobId: string;
  rank: number;
  /** For reports too large for one message (a large result). Without them such a report fails. */
  s3?: S3Client;
  bucket?: string;
  /** Output lines wait at most this long for company before they are sent. Default 100 ms. */
  flushMs?: number;
  /** Output is sent at once when this many bytes are waiting. Default 64 KiB. */
  flushBytes?: number;
  /** Called once when the control queue turns out to be gone: the launcher ended the job. */
  onJobGone?: () => void;
  /** Counts every AWS call made, by action. */
  onCall?: (action: string) => void;
}

/**
 * A rank's side of the control queue: numbers its reports, batches its output lines, and keeps
 * every send in flight tracked so `close()` can wait for them (a Lambda environment freezes the
 * moment the handler returns; a send still in flight then would be lost).
 */
export class ControlReporter {
  readonly #o: ControlReporterOptions;
  readonly #flushMs: number;
  readonly #flushBytes: number;
  readonly #inflight = new Set<Promise<void>>();
  #seq = 0;
  #lines: [OutputStream, string][] = [];
  #lineBytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #gone = false;
  /** The first send that failed for good, if any. */
  lastError: Error | undefined;

  constructor(options: ControlReporterOptions) {
    this.#o = options;
    this.#flushMs = options.flushMs ?? 100;
    this.#flushBytes = options.flushBytes ?? 64 * 1024;
  }

  /** Queues one output line; sent within `flushMs`, or at once when the batch is full. */
  output(stream: OutputStream, line: string): void {
    this.#lines.push([stream, line]);
    this.#lineBytes += line.length + 8;
    if (this.#lineBytes >= this.#flushBytes) this.flushOutput();
    else this.#timer ??= setTimeout(() => this.flushOutput(), this.#flushMs);
  }

  /** Sends the waiting output lines now (as one report). */
  flushOutput(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#lines.length === 0) return;
    const lines = this.#lines;
    this.#lines = [];
    this.#lineBytes = 0;
    this.#track(this.#post({ type: 'output', lines }, this.#seq++));
  }

  /**
   * Sends a report after the output printed before it. Encoding happens now, so a value that
   * cannot be sent throws here (the caller reports that instead); the send itself is tracked and
   * its promise resolves when SQS has the report.
   */
  report(report: RankReport): Promise<void> {
    this.flushOutput();
    const seq = this.#seq;
    const bytes = encodeEnvelope(this.#envelope(report, seq));
    this.#seq++;
    return this.#track(this.#postBytes(bytes, seq));
  }

  /** Sends an unsequenced notice (duplicate delivery, rejected event). */
  notice(notice: RankNotice): Promise<void> {
    return this.#track(this.#post(notice, -1));
  }

  /** Flushes output and waits for every send in flight. Never rejects. */
  async close(): Promise<void> {
    this.flushOutput();
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight]);
  }

  #envelope(report: RankReport | RankNotice, seq: number): ReportEnvelope {
    return { v: 1, jobId: this.#o.jobId, rank: this.#o.rank, seq, report };
  }

  #post(report: RankReport | RankNotice, seq: number): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = encodeEnvelope(this.#envelope(report, seq));
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#postBytes(bytes, seq);
  }

  async #postBytes(bytes: Uint8Array, seq: number): Promise<void> {
    if (this.#gone) return;
    const o = this.#o;
    let body = envelopeBody(bytes);
    if (body.length > MAX_INLINE_REPORT_CHARS) {
      if (o.s3 === undefined || o.bucket === undefined) {
        throw new Error(
          `rank ${o.rank}: a report of ${bytes.length} bytes does not fit in an SQS message and no bucket is configured`,
        );
      }
      const key = reportObjectKey(o.jobId, o.rank, seq === -1 ? Date.now() : seq);
      const s3 = o.s3;
      const bucket = o.bucket;
      await withRetries(
        () => {
          o.onCall?.('PutObject');
          return s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));
        },
        { policy: resolveRetryPolicy(undefined, 'report'), what: `PutObject s3://${bucket}/${key}` },
      );
      body = pointerBody({ bucket, key, bytes: bytes.length });
    }
    try {
      await withRetries(
        () => {
          o.onCall?.('SendMessage');
          return o.sqs.send(new SendMessageCommand({ QueueUrl: o.controlUrl, MessageBody: body }));
        },
        { policy: resolveRetryPolicy(undefined, 'report'), what: `SendMessage to the control queue` },
      );
    } catch (err) {
      if (classifyAwsError(err) === 'queue-gone') {
        if (!this.#gone) {
          this.#gone = true;
          o.onJobGone?.();
        }
        return;
      }
      this.lastError ??= err as Error;
      throw err;
    }
  }

  #track(p: Promise<void>): Promise<void> {
    const tracked = p.finally(() => this.#inflight.delete(tracked));
    // close() observes failures through allSettled; callers that await see them too.
    tracked.catch(() => undefined);
    this.#inflight.add(tracked);
    return tracked;
  }

  /** True once the control queue was found deleted. */
  get jobGone(): boolean {
    return this.#gone;
  }
}
