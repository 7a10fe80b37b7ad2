import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { mapLimitSettled } from '../../base/map-limit.js';
import { FrameKind, writeFrame } from '../../channel/frame.js';
import { INLINE_BODY, inlineAttributes } from '../../transport/sqs/wire.js';

/**
 * An Abort frame as rank `src` would send it: what `comm.abort(errorcode)` broadcasts. The
 * channel of every rank that receives it fails its pending and later MPI calls with
 * ERR_ABORTED, so the job function returns and the rank reports and ends.
 */
export function abortFrame(src: number, errorcode: number): Uint8Array {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setInt32(0, errorcode, true);
  return writeFrame({ kind: FrameKind.Abort, src, seq: 0, tag: 0, ctx: '' }, payload);
}

/**
 * Puts an Abort frame in every rank's queue (in the SQS transport's wire format), so ranks
 * blocked in MPI calls stop at once instead of at their deadline. Best effort: failures are
 * counted, not thrown (the queues are deleted next, which stops the rest). `src` is the rank
 * whose failure ends the job.
 */
export async function abortRanks(options: {
  sqs: SQSClient;
  queueUrls: readonly string[];
  src: number;
  errorcode?: number;
  concurrency?: number;
}): Promise<{ sent: number; failed: number }> {
  const frame = abortFrame(options.src, options.errorcode ?? 1);
  const attributes = inlineAttributes(frame);
  const outcomes = await mapLimitSettled(options.queueUrls, options.concurrency ?? 64, (url) =>
    options.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: [{ Id: 'abort', MessageBody: INLINE_BODY, MessageAttributes: attributes }],
      }),
    ),
  );
  const failed = outcomes.filter((o) => o.status === 'rejected').length;
  return { sent: outcomes.length - failed, failed };
}
