import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { resolveRetryPolicy, sleep } from '../../base/retry.js';
import { payloadPrefix } from '../../base/stack-contract.js';
import {
  BadReportError,
  decodeEnvelope,
  parseReportBody,
  type RankNotice,
  type RankReport,
  ReportSequencer,
} from '../../runtime/lambda/control-report.js';
import { classifyAwsError, isRetryable } from '../../transport/sqs/aws-error-kind.js';
import { withRetries } from '../../transport/sqs/retry.js';

export interface ControlFollowerOptions {
  sqs: SQSClient;
  s3: S3Client;
  controlUrl: string;
  jobId: string;
  size: number;
  /** Long polls in flight at once. Default: 1 per 64 ranks, 1 to 8. */
  pollers?: number;
  /** Each rank's reports, in the order the rank made them, each once. */
  onReport: (rank: number, report: RankReport) => void;
  /** Unsequenced notices (duplicate deliveries, rejected events); may repeat. */
  onNotice: (rank: number, notice: RankNotice) => void;
  /** The control queue cannot be read (gone, no permission, retries exhausted). */
  onError: (err: Error) => void;
  /** Messages on the queue that are not reports of this job (ignored, counted). */
  onBadMessage?: (err: BadReportError) => void;
}

/** Reading an offloaded report: the default patience (8 attempts over about 10 s). */
const GET_RETRY = resolveRetryPolicy(undefined, 'ControlFollower');
/**
 * The launcher's side of the control queue: long-polls it, decodes and orders the reports
 * (`ReportSequencer`), fetches offloaded ones from S3, deletes what it handled, until `stop()`.
 */
export class ControlFollower {
  readonly #o: ControlFollowerOptions;
  readonly #sequencer: ReportSequencer;
  readonly #abort = new AbortController();
  readonly #tasks = new Set<Promise<unknown>>();
  readonly calls: Record<string, number> = {};
  #stopped = false;
  /** The control queue answered a receive: from then on QueueDoesNotExist means it was deleted. */
  #answered = false;
  /** Until when a control queue that never answered may be too new to use. */
  #youngUntil = 0;

  constructor(options: ControlFollowerOptions) {
    this.#o = options;
    this.#sequencer = new ReportSequencer(options.size);
  }

  /** Duplicate deliveries of reports dropped. */
  get duplicates(): number {
    return this.#sequencer.duplicates;
  }

  start(): void {
    this.#youngUntil = performance.now() + 10_000;
    const n = this.#o.pollers ?? Math.min(8, Math.max(1, Math.ceil(this.#o.size / 64)));
    for (let i = 0; i < n; i++) this.#track(this.#poll());
  }

  /** Stops polling (in-flight long polls are aborted) and waits for the loops to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort();
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  #count(action: string): void {
    this.calls[action] = (this.calls[action] ?? 0) + 1;
  }

  #track(p: Promise<unknown>): void {
    const t = p.finally(() => this.#tasks.delete(t)).catch(() => undefined);
    this.#tasks.add(t);
  }

  async #poll(): Promise<void> {
    const { sqs, controlUrl } = this.#o;
    const signal = this.#abort.signal;
    let failures = 0;
    while (!this.#stopped) {
      let messages: Message[];
      try {
        this.#count('ReceiveMessage');
        const res = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: controlUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 }),
          { abortSignal: signal },
        );
        messages = res.Messages ?? [];
        failures = 0;
        this.#answered = true;
      } catch (err) {
        if (this.#stopped) return;
        const kind = classifyAwsError(err);
        // A control queue that never answered yet may be too new to use (see NEW_QUEUE_SETTLE_MS).
        const young = kind === 'queue-gone' && !this.#answered && performance.now() < this.#youngUntil;
        if ((isRetryable(kind) || young) && ++failures < 8) {
          await sleep(Math.min(5_000, 100 * 2 ** failures), signal).catch(() => undefined);
          continue;
        }
        this.#o.onError(
          new Error(
            `cannot read the job's control queue (${(err as Error).name}: ${(err as Error).message})` +
              (kind === 'queue-gone' ? ': it was deleted (by the sweeper, or another process)' : ''),
            { cause: err },
          ),
        );
        return;
      }
      if (this.#stopped) return;
      const handled: { Id: string; ReceiptHandle: string }[] = [];
      for (const [i, m] of messages.entries()) {
        await this.#handle(m);
        if (m.ReceiptHandle !== undefined) handled.push({ Id: String(i), ReceiptHandle: m.ReceiptHandle });
      }
      if (handled.length > 0) {
        this.#count('DeleteMessageBatch');
        // A failed delete only means the message comes back, and the sequencer drops it.
        this.#track(
          sqs
            .send(new DeleteMessageBatchCommand({ QueueUrl: controlUrl, Entries: handled }))
            .catch(() => undefined),
        );
      }
    }
  }

  async #handle(m: Message): Promise<void> {
    const o = this.#o;
    try {
      const parsed = parseReportBody(m.Body ?? '');
      let bytes: Uint8Array;
      if ('bytes' in parsed) bytes = parsed.bytes;
      else {
        if (!parsed.pointer.key.startsWith(payloadPrefix(o.jobId))) {
          throw new BadReportError(
            `control message: a report pointer outside this job (${parsed.pointer.key})`,
          );
        }
        const { bucket, key } = parsed.pointer;
        // S3 answers 503 SlowDown or 5xx at times: retried with backoff, as every other S3 read.
        bytes = await withRetries(
          async () => {
            this.#count('GetObject');
            const res = await o.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
            return (await res.Body?.transformToByteArray()) ?? new Uint8Array(0);
          },
          { policy: GET_RETRY, what: `GetObject s3://${bucket}/${key} (a rank's report)` },
        );
      }
      const envelope = decodeEnvelope(bytes, o.jobId, o.size);
      if (envelope.seq === -1) {
        o.onNotice(envelope.rank, envelope.report as RankNotice);
        return;
      }
      for (const report of this.#sequencer.accept(envelope)) o.onReport(envelope.rank, report);
    } catch (err) {
      if (err instanceof BadReportError) o.onBadMessage?.(err);
      else if (classifyAwsError(err) === 'no-such-key') {
        // An offloaded report already handled and deleted: a duplicate delivery.
      } else o.onError(err as Error);
    }
  }
}
