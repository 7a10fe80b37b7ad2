/**
 * FinishedNotices: the aws launcher tells running ranks who returned, only after a quiet time,
 * once per pair of ranks; the channel turns such a frame into the endpoint's `peerFinished`.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { Channel } from '../../../sdk/channel/channel.js';
import { FrameKind, readFrame } from '../../../sdk/channel/frame.js';
import { FinishedNotices, finishedFrame } from '../../../sdk/launch/lambda/finished-notices.js';
import { createLoopbackTransports } from '../../../sdk/transport/loopback/loopback-transport.js';
import { readAddress } from '../../../sdk/transport/node/node-address.js';
import { NodePlan } from '../../../sdk/transport/node/node-plan.js';

interface Sent {
  queue: string;
  frames: { src: number; sent: number; dst?: number }[];
}

/** The source and count of a Finished frame. */
function finished(bytes: Uint8Array): { src: number; sent: number } {
  const f = readFrame(bytes);
  expect(f.kind).toBe(FrameKind.Finished);
  return { src: f.src, sent: new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0, true) };
}

/** A FinishedNotices over a recording SQS client, with its quiet timers run by hand. */
function notices(size: number, ended: Set<number>, nodes?: NodePlan, answers: (() => object)[] = []) {
  const sent: Sent[] = [];
  const timers: (() => void)[] = [];
  const sqs = {
    send: async (cmd: {
      input: {
        QueueUrl: string;
        Entries: { MessageAttributes: Record<string, { BinaryValue: Uint8Array }> }[];
      };
    }) => {
      sent.push({
        queue: cmd.input.QueueUrl,
        frames: cmd.input.Entries.map((e) => {
          const bytes = Object.values(e.MessageAttributes)[0]!.BinaryValue;
          if (nodes === undefined) return finished(bytes);
          const a = readAddress(bytes)!;
          return { dst: a.dst, ...finished(a.frame) };
        }),
      });
      return (answers.shift() ?? (() => ({})))();
    },
  } as unknown as SQSClient;
  let calls = 0;
  const n = new FinishedNotices({
    sqs,
    queueUrls: Array.from({ length: nodes?.nodes ?? size }, (_, r) => `q${r}`),
    ...(nodes === undefined ? {} : { nodes }),
    quietMs: 2_000,
    after: (_ms, fn) => timers.push(fn),
    running: (r) => !ended.has(r),
    onCalls: (c) => {
      calls += c;
    },
  });
  /** Fires every quiet timer armed so far and lets the sends settle. */
  const fire = async () => {
    for (const t of timers.splice(0)) t();
    await new Promise((r) => setImmediate(r));
  };
  return { n, sent, fire, calls: () => calls };
}

describe('FinishedNotices', () => {
  it('ranks that return together: only the last quiet timer counts, and it finds nobody running', async () => {
    const ended = new Set<number>();
    const t = notices(3, ended);
    for (const r of [0, 1, 2]) {
      ended.add(r);
      t.n.done(r, [0, 1, 1]);
    }
    await t.fire();
    expect(t.sent).toEqual([]);
    expect(t.calls()).toBe(0);
  });

  it('after a quiet time, each running rank hears of each returned rank once, with what it was sent', async () => {
    const ended = new Set<number>([0, 2]);
    const t = notices(4, ended);
    t.n.done(0, [0, 1, 0, 3]);
    t.n.done(2, [0, 0, 0, 4]);
    await t.fire();
    expect(t.sent).toEqual([
      {
        queue: 'q1',
        frames: [
          { src: 0, sent: 1 },
          { src: 2, sent: 0 },
        ],
      },
      {
        queue: 'q3',
        frames: [
          { src: 0, sent: 3 },
          { src: 2, sent: 4 },
        ],
      },
    ]);
    // Rank 1 returns later: rank 3 hears of it, and not again of ranks 0 and 2.
    ended.add(1);
    t.n.done(1, [5, 0, 0, 6]);
    await t.fire();
    expect(t.sent.slice(2)).toEqual([{ queue: 'q3', frames: [{ src: 1, sent: 6 }] }]);
    expect(t.calls()).toBe(3);
  });

  it('a rank returning within the quiet time of another postpones the notices', async () => {
    const ended = new Set<number>([0]);
    const t = notices(3, ended);
    t.n.done(0, [0, 1, 1]);
    ended.add(1);
    t.n.done(1, [1, 0, 1]);
    // Two timers armed; only the second may send, and it sends both returned ranks to rank 2.
    await t.fire();
    expect(t.sent).toEqual([
      {
        queue: 'q2',
        frames: [
          { src: 0, sent: 1 },
          { src: 1, sent: 1 },
        ],
      },
    ]);
  });

  it('a notice not sent (a failed call, or an entry a 200 answer lists as failed) goes again after a quiet time', async () => {
    const ended = new Set<number>([0]);
    const t = notices(4, ended, undefined, [
      () => {
        throw Object.assign(new Error('throttled'), { name: 'RequestThrottled' });
      },
      () => ({ Failed: [{ Id: 'finished-0', SenderFault: false, Code: 'InternalError' }] }),
    ]);
    t.n.done(0, [0, 1, 2, 3]);
    await t.fire();
    expect(t.sent.map((x) => x.queue)).toEqual(['q1', 'q2', 'q3']);
    // The first call (q1) threw and the second (q2) lost its entry: both go again, q3 does not.
    await t.fire();
    expect(t.sent.slice(3)).toEqual([
      { queue: 'q1', frames: [{ src: 0, sent: 1 }] },
      { queue: 'q2', frames: [{ src: 0, sent: 2 }] },
    ]);
    await t.fire();
    expect(t.sent).toHaveLength(5);
  });

  it('sends nothing once stopped, nor for a rank that reported no counts', async () => {
    const t = notices(2, new Set([0]));
    t.n.done(0, undefined);
    await t.fire();
    t.n.stop();
    t.n.done(0, [0, 1]);
    await t.fire();
    expect(t.sent).toEqual([]);
  });

  it('more returned ranks than one batch holds go out 10 per SendMessageBatch', async () => {
    const ended = new Set(Array.from({ length: 24 }, (_, r) => r));
    const t = notices(25, ended);
    for (const r of ended) t.n.done(r, new Array(25).fill(2));
    await t.fire();
    expect(t.sent.map((s) => [s.queue, s.frames.length])).toEqual([
      ['q24', 10],
      ['q24', 10],
      ['q24', 4],
    ]);
  });
});

describe('FinishedNotices over nodes of several ranks', () => {
  it("sends each rank's frames to its node's queue, addressed to it; a node's ranks share batches", async () => {
    // 5 ranks in nodes of 2: node 0 = {0, 1}, node 1 = {2, 3}, node 2 = {4}.
    const ended = new Set<number>([0, 3]);
    const t = notices(5, ended, new NodePlan(5, 2));
    t.n.done(0, [0, 1, 2, 3, 4]);
    t.n.done(3, [5, 6, 7, 0, 8]);
    await t.fire();
    expect(t.sent).toEqual([
      {
        queue: 'q0',
        frames: [
          { dst: 1, src: 0, sent: 1 },
          { dst: 1, src: 3, sent: 6 },
        ],
      },
      {
        queue: 'q1',
        frames: [
          { dst: 2, src: 0, sent: 2 },
          { dst: 2, src: 3, sent: 7 },
        ],
      },
      {
        queue: 'q2',
        frames: [
          { dst: 4, src: 0, sent: 4 },
          { dst: 4, src: 3, sent: 8 },
        ],
      },
    ]);
  });
});

describe('a Finished frame on the channel', () => {
  it('reaches onPeerFinished with its source and count, and is not taken for data', async () => {
    const [t0, t1] = createLoopbackTransports(2);
    const messages: unknown[] = [];
    let arrived!: (v: [number, number]) => void;
    const finished = new Promise<[number, number]>((r) => {
      arrived = r;
    });
    const ch = new Channel(t0!, {
      onMessage: (m) => messages.push(m),
      onAbort: () => undefined,
      onError: (err) => {
        throw err;
      },
      onPeerFinished: (src, sent) => arrived([src, sent]),
    });
    ch.start();
    await t1!.send(0, finishedFrame(1, 7));
    expect(await finished).toEqual([1, 7]);
    expect(messages).toEqual([]);
    await Promise.all([t0!.close(), t1!.close()]);
  });
});
