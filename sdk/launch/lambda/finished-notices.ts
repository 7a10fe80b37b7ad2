import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { mapLimitSettled } from '../../base/map-limit.js';
import { FrameKind, writeFrame } from '../../channel/frame.js';
import { addressFrame } from '../../transport/node/node-address.js';
import type { NodePlan } from '../../transport/node/node-plan.js';
import { INLINE_BODY, inlineAttributes } from '../../transport/sqs/wire.js';

/** Quiet time before the launcher tells running ranks who returned, ms (see `FinishedNotices`). */
export const FINISHED_QUIET_MS = 2_000;

/** SendMessageBatch takes at most 10 entries. */
const BATCH = 10;

/**
 * A Finished frame as the channel of `dst` reads it: rank `src` returned having sent `dst`
 * `sent` data messages in all.
 */
export function finishedFrame(src: number, sent: number): Uint8Array {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setUint32(0, sent, true);
  return writeFrame({ kind: FrameKind.Finished, src, seq: 0, tag: 0, ctx: '' }, payload);
}

export interface FinishedNoticesOptions {
  sqs: SQSClient;
  /** Every rank's queue, by rank; with `nodes` of several ranks, every node's queue, by node. */
  queueUrls: readonly string[];
  /** How ranks sit on nodes: a frame for a rank goes to its node's queue, addressed to it. */
  nodes?: NodePlan;
  quietMs: number;
  /** Runs `fn` after `ms` unless the job has ended (the supervisor's `after`). */
  after: (ms: number, fn: () => void) => void;
  /** Whether `rank` may still be in its job (not ended yet). */
  running: (rank: number) => boolean;
  /** SendMessageBatch calls made. */
  onCalls: (calls: number) => void;
}

/**
 * Tells Lambda ranks that are still running which ranks have returned, so a receive that only a
 * returned rank could serve fails at once (saying who waits for what from whom) instead of
 * hanging to the job's --timeout or the Lambda deadline: what the thread launchers do with a
 * `peers-done` message, done here over the ranks' queues, because only the launcher hears (on the
 * control queue) that a Lambda rank returned.
 *
 * Cost: nothing while ranks keep returning. A notice goes out only after `quietMs` without a
 * rank returning while some rank still runs, which a job whose ranks end together never meets:
 * then each running rank gets one Finished frame per returned rank it was not told of yet (10 per
 * SendMessageBatch). At most one frame per pair of ranks in a whole job.
 */
export class FinishedNotices {
  readonly #o: FinishedNoticesOptions;
  /** Returned ranks and what each sent to every rank. */
  readonly #done = new Map<number, readonly number[]>();
  /** Per destination rank, the returned ranks it has been told of. */
  readonly #told = new Map<number, Set<number>>();
  /** Bumped by every rank that returns; a quiet timer still current when it fires sends. */
  #epoch = 0;
  #stopped = false;

  constructor(o: FinishedNoticesOptions) {
    this.#o = o;
  }

  /** Rank `rank` returned having sent `sentTo[q]` data messages to each rank q. */
  done(rank: number, sentTo: readonly number[] | undefined): void {
    if (this.#stopped || sentTo === undefined || this.#done.has(rank)) return;
    this.#done.set(rank, sentTo);
    const epoch = ++this.#epoch;
    this.#o.after(this.#o.quietMs, () => {
      if (epoch === this.#epoch) void this.#send();
    });
  }

  /** No more notices (the job is stopping). */
  stop(): void {
    this.#stopped = true;
  }

  async #send(): Promise<void> {
    if (this.#stopped) return;
    const { queueUrls, running, nodes } = this.#o;
    const shared = nodes !== undefined && nodes.ranksPerNode > 1;
    const size = shared ? nodes.size : queueUrls.length;
    // Frames by queue, each with the (destination, returned rank) it tells: a node's ranks share
    // its queue (and its batches).
    const byQueue = new Map<string, { frames: Uint8Array[]; pairs: [number, number][] }>();
    for (let dst = 0; dst < size; dst++) {
      if (this.#done.has(dst) || !running(dst)) continue;
      let told = this.#told.get(dst);
      if (told === undefined) this.#told.set(dst, (told = new Set()));
      const url = queueUrls[shared ? nodes.nodeOf(dst) : dst]!;
      let queue = byQueue.get(url);
      if (queue === undefined) byQueue.set(url, (queue = { frames: [], pairs: [] }));
      for (const [src, sentTo] of this.#done) {
        if (told.has(src)) continue;
        told.add(src);
        const frame = finishedFrame(src, sentTo[dst] ?? 0);
        queue.frames.push(shared ? addressFrame(dst, [frame]) : frame);
        queue.pairs.push([dst, src]);
      }
    }
    const work: { url: string; frames: Uint8Array[]; pairs: [number, number][] }[] = [];
    for (const [url, { frames, pairs }] of byQueue) {
      for (let i = 0; i < frames.length; i += BATCH) {
        work.push({ url, frames: frames.slice(i, i + BATCH), pairs: pairs.slice(i, i + BATCH) });
      }
    }
    if (work.length === 0) return;
    // A notice not sent (a failed call, or an entry a 200 answer lists as failed: "check for batch
    // errors even when the call returns an HTTP status code of 200", SendMessageBatch API
    // reference) is sent again at the next quiet time, while its rank still runs.
    const untold: [number, number][] = [];
    await mapLimitSettled(work, 64, async ({ url, frames, pairs }) => {
      try {
        const res = await this.#o.sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: url,
            Entries: frames.map((f, i) => ({
              Id: `finished-${i}`,
              MessageBody: INLINE_BODY,
              MessageAttributes: inlineAttributes(f),
            })),
          }),
        );
        for (const f of res.Failed ?? []) {
          const pair = pairs[Number(f.Id?.slice('finished-'.length))];
          if (pair !== undefined) untold.push(pair);
        }
      } catch {
        untold.push(...pairs);
      }
    });
    this.#o.onCalls(work.length);
    if (untold.length === 0 || this.#stopped) return;
    for (const [dst, src] of untold) this.#told.get(dst)?.delete(src);
    const epoch = this.#epoch;
    this.#o.after(this.#o.quietMs, () => {
      if (epoch === this.#epoch) void this.#send();
    });
  }
}
