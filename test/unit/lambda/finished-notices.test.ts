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

interface Sent {
  queue: string;
  frames: { src: number; sent: number }[];
}

/** A FinishedNotices over a recording SQS client, with its quiet timers run by hand. */
function notices(size: number, ended: Set<number>) {
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
          const f = readFrame(bytes);
          expect(f.kind).toBe(FrameKind.Finished);
          return {
            src: f.src,
            sent: new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0, true),
          };
        }),
      });
      return {};
    },
  } as unknown as SQSClient;
  let calls = 0;
  const n = new FinishedNotices({
    sqs,
    queueUrls: Array.from({ length: size }, (_, r) => `q${r}`),
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
