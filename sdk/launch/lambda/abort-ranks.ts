import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { mapLimitSettled } from '../../base/map-limit.js';
import { resolveRetryPolicy } from '../../base/retry.js';
import { FrameKind, writeFrame } from '../../channel/frame.js';
import { addressFrame } from '../../transport/node/node-address.js';
import type { NodePlan } from '../../transport/node/node-plan.js';
import { withRetries } from '../../transport/sqs/retry.js';
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

/** Abort frames are worth a few quick tries: the queues are deleted soon after. */
const ABORT_RETRY = resolveRetryPolicy({ maxAttempts: 4, baseDelayMs: 50, maxDelayMs: 500 }, 'abortRanks');

/**
 * Puts an Abort frame in every rank's queue (in the SQS transport's wire format), so ranks
 * blocked in MPI calls stop at once instead of at their deadline. Best effort: failures are
 * counted, not thrown (the queues are deleted next, which stops the rest). `src` is the rank
 * whose failure ends the job.
 *
 * With `nodes` of several ranks, `queueUrls` are the nodes' queues: each gets one frame per rank
 * of the node, addressed to it (`node-address.ts`), which the node's router hands on.
 */
export async function abortRanks(options: {
  sqs: SQSClient;
  queueUrls: readonly string[];
  src: number;
  errorcode?: number;
  concurrency?: number;
  nodes?: NodePlan;
}): Promise<{ sent: number; failed: number }> {
  const frame = abortFrame(options.src, options.errorcode ?? 1);
  const { nodes } = options;
  const batches: { url: string; frames: Uint8Array[] }[] = [];
  for (const [i, url] of options.queueUrls.entries()) {
    if (nodes === undefined || nodes.ranksPerNode === 1) {
      batches.push({ url, frames: [frame] });
      continue;
    }
    const ranks = Array.from({ length: nodes.ranksOn(i) }, (_, k) => nodes.firstRank(i) + k);
    // SendMessageBatch takes at most 10 entries.
    for (let k = 0; k < ranks.length; k += 10) {
      batches.push({ url, frames: ranks.slice(k, k + 10).map((dst) => addressFrame(dst, [frame])) });
    }
  }
  const outcomes = await mapLimitSettled(batches, options.concurrency ?? 64, async ({ url, frames }) => {
    let entries = frames.map((f, k) => ({
      Id: `abort${k}`,
      MessageBody: INLINE_BODY,
      MessageAttributes: inlineAttributes(f),
    }));
    // A 200 answer may list entries it did not take ("check for batch errors even when the call
    // returns an HTTP status code of 200", SendMessageBatch API reference): those are sent again
    // while the service says the fault is its own.
    await withRetries(
      async () => {
        const res = await options.sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
        const failed = res.Failed ?? [];
        if (failed.length === 0) return;
        const ids = new Set(failed.map((f) => f.Id));
        entries = entries.filter((e) => ids.has(e.Id));
        const first = failed[0]!;
        throw Object.assign(new Error(`${failed.length} abort frames not taken: ${first.Message ?? ''}`), {
          name: first.SenderFault === true ? (first.Code ?? 'SenderFault') : 'InternalError',
        });
      },
      { policy: ABORT_RETRY, what: `SendMessageBatch (abort frames) to ${url}` },
    );
  });
  const failed = outcomes.filter((o) => o.status === 'rejected').length;
  return { sent: outcomes.length - failed, failed };
}
