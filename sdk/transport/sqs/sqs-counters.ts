import { estimateCostUsd } from '../../base/prices.js';
import type { TransportStats } from '../transport.js';
import type { BinaryAccounting } from './wire.js';

/** What one SqsTransport has done so far, counted by its sender, its receiver and their calls. */
export class SqsCounters {
  /** AWS calls by action (SendMessageBatch, ReceiveMessage, PutObject, ...). */
  readonly calls: Record<string, number> = {};
  /** SQS requests as billed: one per call, plus one per 64 KiB of payload beyond the first. */
  sqsBilled = 0;
  messagesSent = 0;
  bytesSent = 0;
  messagesReceived = 0;
  offloads = 0;
  retries = 0;
  deleteFailures = 0;
  s3Failures = 0;
  stalePointers = 0;
  pollers = 0;
  peakPollers = 0;

  count(action: string): void {
    this.calls[action] = (this.calls[action] ?? 0) + 1;
  }

  /** The transport's `stats()`. */
  snapshot(binaryAccounting: BinaryAccounting): TransportStats {
    const calls = { ...this.calls };
    return {
      calls,
      messagesSent: this.messagesSent,
      bytesSent: this.bytesSent,
      messagesReceived: this.messagesReceived,
      offloads: this.offloads,
      costUsd: estimateCostUsd({
        sqsBilledRequests: this.sqsBilled,
        s3Puts: calls.PutObject ?? 0,
        s3Gets: calls.GetObject ?? 0,
        s3Deletes: calls.DeleteObject ?? 0,
      }),
      sqsBilledRequests: this.sqsBilled,
      retries: this.retries,
      deleteFailures: this.deleteFailures,
      s3Failures: this.s3Failures,
      stalePointers: this.stalePointers,
      pollers: this.pollers,
      peakPollers: this.peakPollers,
      binaryAccounting,
    };
  }
}
