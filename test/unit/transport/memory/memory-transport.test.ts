import { availableParallelism } from 'node:os';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryFabric, type MemoryFabric } from '../../../../sdk/transport/memory/memory-fabric.js';
import { MemoryTransport } from '../../../../sdk/transport/memory/memory-transport.js';
import { MemoryTransportError } from '../../../../sdk/transport/memory/memory-transport-error.js';
import { fillFrame } from '../../../fixtures/memory-transport/frames.mjs';

// All endpoints of these tests live in this one thread (the single-thread use of the transport).
// Those of 'in one thread' send through the rings (`sameThreadDirect: false`): they test the rings.
// 'between endpoints of one thread' tests the default, where such frames skip the ring.

const open: MemoryTransport[] = [];

function endpoints(
  fabric: MemoryFabric,
  options: { spinMicros?: number; sameThreadDirect?: boolean } = {},
): MemoryTransport[] {
  const ts = Array.from(
    { length: fabric.size },
    (_, r) => new MemoryTransport(fabric, r, { sameThreadDirect: false, ...options }),
  );
  open.push(...ts);
  return ts;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

/** Starts `t`, collecting what it delivers; `until(n)` resolves once n frames have arrived. */
function collect(t: MemoryTransport) {
  const frames: Uint8Array[] = [];
  const errors: Error[] = [];
  let want = Number.POSITIVE_INFINITY;
  let reached: () => void = () => {};
  t.start(
    (batch) => {
      frames.push(...batch);
      if (frames.length >= want) reached();
    },
    (err) => errors.push(err),
  );
  return {
    frames,
    errors,
    until(n: number): Promise<void> {
      want = n;
      return frames.length >= n ? Promise.resolve() : new Promise<void>((resolve) => (reached = resolve));
    },
  };
}

/** Sends among 3 endpoints: [source, destination, size], small, medium and chunked sizes mixed. */
const sendPlan = fc.array(fc.tuple(fc.nat(2), fc.nat(2), fc.oneof(fc.nat(16), fc.nat(600), fc.nat(5000))), {
  minLength: 1,
  maxLength: 60,
});

describe('MemoryTransport in one thread', () => {
  it('delivers any mix of frame sizes, through a 1 KiB ring, all-to-all in per-pair order', async () => {
    await fc.assert(
      fc.asyncProperty(sendPlan, async (plan) => {
        const ts = endpoints(createMemoryFabric(3, { ringBytes: 1024 }), { spinMicros: 0 });
        const sinks = ts.map(collect);
        // sent[dst][src]: the frames src sent to dst, in order (each >= 8 bytes: it names its source).
        const sent = [0, 1, 2].map(() => [0, 1, 2].map((): Uint8Array[] => []));
        const sends = plan.map(([src, dst, n]) => {
          const frame = fillFrame(src, dst, sent[dst]![src]!.length, Math.max(8, n));
          sent[dst]![src]!.push(frame);
          return ts[src]!.send(dst, frame);
        });
        await Promise.all(sends);
        for (let dst = 0; dst < 3; dst++) {
          await sinks[dst]!.until(sent[dst]!.flat().length);
          const bySource = [0, 1, 2].map((src) =>
            sinks[dst]!.frames.filter((f) => new DataView(f.buffer, f.byteOffset).getUint32(0, true) === src),
          );
          expect(bySource).toEqual(sent[dst]);
        }
        await Promise.all(open.splice(0).map((t) => t.close()));
      }),
      { numRuns: 25 },
    );
  });

  it('poll() delivers what is in the ring synchronously, and returns false when nothing is', async () => {
    const [a, b] = endpoints(createMemoryFabric(2, { ringBytes: 4096 }));
    const sink = collect(a!);
    expect(a!.poll()).toBe(false);
    await b!.send(0, new Uint8Array([1]));
    await b!.send(0, new Uint8Array([2, 3]));
    expect(a!.poll()).toBe(true);
    expect(sink.frames).toEqual([new Uint8Array([1]), new Uint8Array([2, 3])]);
    expect(a!.poll()).toBe(false);
  });

  it('poll() before start() and from inside onFrames delivers nothing (no re-entry)', async () => {
    const [a, b] = endpoints(createMemoryFabric(2, { ringBytes: 4096 }));
    await b!.send(0, new Uint8Array([1]));
    expect(a!.poll()).toBe(false);
    const inner: boolean[] = [];
    a!.start(
      () => inner.push(a!.poll()),
      () => {},
    );
    expect(a!.poll()).toBe(true);
    expect(inner).toEqual([false]);
  });

  it('a send that does not fit waits in the local queue and resolves once the receiver drains', async () => {
    const [a, b] = endpoints(createMemoryFabric(2, { ringBytes: 1024 }));
    // 256-byte frames are written whole (16-byte header): three fit in 1 KiB, the fourth waits.
    const sends = [0, 1, 2, 3].map((seq) => b!.send(0, fillFrame(1, 0, seq, 256)));
    let fourthDone = false;
    void sends[3]!.then(() => (fourthDone = true));
    await Promise.all(sends.slice(0, 3));
    expect(b!.stats()).toMatchObject({ messagesSent: 4, queuedSends: 1 });
    expect(fourthDone).toBe(false);
    const sink = collect(a!);
    await Promise.all(sends);
    await sink.until(4);
    expect(sink.frames.map((f) => new DataView(f.buffer, f.byteOffset).getUint32(4, true))).toEqual([
      0, 1, 2, 3,
    ]);
  });

  it('readingSent: where the last destination has got in reading, while 16 KiB or more of ours is unread', async () => {
    const [a, b] = endpoints(createMemoryFabric(2, { ringBytes: 256 * 1024 }));
    expect(b!.readingSent()).toBeUndefined(); // nothing sent yet
    await b!.send(0, fillFrame(1, 0, 0, 100));
    expect(b!.readingSent()).toBeUndefined(); // unread, but small
    await b!.send(0, fillFrame(1, 0, 1, 40_000));
    const before = b!.readingSent();
    expect(before).toBeTypeOf('number');
    const sink = collect(a!);
    expect(a!.poll()).toBe(true);
    expect(b!.readingSent()).toBeUndefined(); // all read
    // A queued send counts as unread however small: the reader has a full ring to get through.
    const big = [0, 1, 2, 3, 4].map((seq) => b!.send(0, fillFrame(1, 0, 2 + seq, 60_000)));
    expect(b!.stats()).toMatchObject({ queuedSends: 1 });
    const stuck = b!.readingSent();
    expect(stuck).toBeTypeOf('number');
    expect(stuck).not.toBe(before); // the reader's position moved with the first read
    await Promise.all(big);
    await sink.until(7);
    expect(b!.readingSent()).toBeUndefined();
  });

  it('thousands of sends queued behind a full ring go through in order, and close() rejects the rest', async () => {
    // 5,000 queued frames: the queue is taken from its front past its compaction point (1,024)
    // several times while new sends keep joining its back.
    const [a, b] = endpoints(createMemoryFabric(2, { ringBytes: 1024 }));
    const n = 5000;
    const sends = Array.from({ length: n }, (_, seq) => b!.send(0, fillFrame(1, 0, seq, 64)));
    expect(b!.stats().queuedSends).toBeGreaterThan(n - 20);
    const sink = collect(a!);
    const more = Array.from({ length: 100 }, (_, i) => b!.send(0, fillFrame(1, 0, n + i, 64)));
    await Promise.all([...sends, ...more]);
    await sink.until(n + 100);
    const seqs = sink.frames.map((f) => new DataView(f.buffer, f.byteOffset).getUint32(4, true));
    expect(seqs).toEqual(Array.from({ length: n + 100 }, (_, i) => i));
    // A second backlog, abandoned: closing rejects every send still queued, the first one included.
    await a!.close();
    const [, d] = endpoints(createMemoryFabric(2, { ringBytes: 1024 }));
    const stuck = Array.from({ length: 3000 }, (_, seq) => d!.send(0, fillFrame(1, 0, seq, 64)));
    const outcomes = Promise.allSettled(stuck);
    await d!.close();
    const settled = await outcomes;
    const rejected = settled.filter((r) => r.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(2900);
    expect(settled.slice(-rejected.length).every((r) => r.status === 'rejected')).toBe(true);
  });

  it('close() rejects sends still waiting for space with a CLOSED error and is idempotent', async () => {
    const [, b] = endpoints(createMemoryFabric(2, { ringBytes: 1024 }));
    const big = expect(b!.send(0, new Uint8Array(10_000))).rejects.toMatchObject({
      name: 'MemoryTransportError',
      code: 'CLOSED',
    });
    const closing = b!.close();
    expect(b!.close()).toBe(closing);
    await closing;
    await big;
    await expect(b!.send(0, new Uint8Array(1))).rejects.toThrow(/Cannot send to rank 0: .* rank 1 is closed/);
  });

  it('rejects sends to a closed destination with PEER_CLOSED, also those waiting for its space', async () => {
    const [a, b] = endpoints(createMemoryFabric(2, { ringBytes: 1024 }));
    const waiting = expect(b!.send(0, new Uint8Array(10_000))).rejects.toMatchObject({ code: 'PEER_CLOSED' });
    const behind = expect(b!.send(0, new Uint8Array(1))).rejects.toThrow(
      /Cannot send to rank 0: its memory transport is closed/,
    );
    await a!.close();
    await waiting;
    await behind;
    await expect(b!.send(0, new Uint8Array(1))).rejects.toMatchObject({ code: 'PEER_CLOSED' });
    await expect(b!.send(1, new Uint8Array(1))).resolves.toBeUndefined();
  });

  it('refuses a second endpoint for a rank, even after the first one closed', async () => {
    const fabric = createMemoryFabric(2, { ringBytes: 1024 });
    const [a] = endpoints(fabric);
    expect(() => new MemoryTransport(fabric, 0)).toThrow(/Rank 0 of this fabric already has an endpoint/);
    await a!.close();
    expect(() => new MemoryTransport(fabric, 0)).toThrow(MemoryTransportError);
  });

  it('start() twice, or after close(), throws a STATE error', async () => {
    const [a, b] = endpoints(createMemoryFabric(2, { ringBytes: 1024 }));
    a!.start(
      () => {},
      () => {},
    );
    expect(() =>
      a!.start(
        () => {},
        () => {},
      ),
    ).toThrow(/start\(\) called twice on rank 0/);
    await b!.close();
    expect(() =>
      b!.start(
        () => {},
        () => {},
      ),
    ).toThrow(MemoryTransportError);
  });

  it('rejects a bad destination or frame, naming the argument, the rule and the value', async () => {
    const [a] = endpoints(createMemoryFabric(2, { ringBytes: 1024 }));
    await expect(a!.send(2, new Uint8Array(1))).rejects.toThrow(
      /`dst` to be an integer in \[0, 2\), got `2` \(number\)/,
    );
    await expect(a!.send(-1, new Uint8Array(1))).rejects.toThrow(RangeError);
    await expect(a!.send(1, [1, 2] as never)).rejects.toThrow(
      /`frame` to be a Uint8Array, got `array of length 2` \(array\)/,
    );
  });

  it('rejects a bad fabric, rank or option at construction', () => {
    const fabric = createMemoryFabric(2, { ringBytes: 1024 });
    expect(() => new MemoryTransport({} as never, 0)).toThrow(/`fabric` to be made by `createMemoryFabric`/);
    expect(() => new MemoryTransport(fabric, 2)).toThrow(
      /`rank` to be an integer in \[0, 2\), got `2` \(number\)/,
    );
    expect(() => new MemoryTransport(fabric, 0, { spin: 1 } as never)).toThrow(
      /MemoryTransport: unknown option `spin`; expected one of `spinMicros`/,
    );
    expect(() => new MemoryTransport(fabric, 0, { spinMicros: -5 })).toThrow(
      /`spinMicros` .* got `-5` \(number\)/,
    );
    const forged = { ...fabric, rings: [new SharedArrayBuffer(2048), fabric.rings[1]!] };
    expect(() => new MemoryTransport(forged, 0)).toThrow(/ring of a fabric made by `createMemoryFabric`/);
  });

  it('reports a corrupted ring to onError once, with code CORRUPT, and delivers nothing more', async () => {
    const fabric = createMemoryFabric(2, { ringBytes: 1024 });
    const [a, b] = endpoints(fabric);
    await b!.send(0, new Uint8Array(8));
    // The first record's header starts the data area (after 256 control bytes): break its length.
    new Int32Array(fabric.rings[0]!)[64] = 12_345;
    const sink = collect(a!);
    expect(a!.poll()).toBe(false);
    expect(sink.errors).toHaveLength(1);
    expect(sink.errors[0]).toMatchObject({ name: 'MemoryTransportError', code: 'CORRUPT' });
    expect(sink.errors[0]!.message).toMatch(/Ring corrupted at position 0: record length 12345/);
    expect(a!.poll()).toBe(false);
    expect(sink.errors).toHaveLength(1);
  });

  it('passes an exception thrown by onFrames to onError and stops delivering', async () => {
    const [a, b] = endpoints(createMemoryFabric(2, { ringBytes: 1024 }));
    const errors: Error[] = [];
    a!.start(
      () => {
        throw new Error('handler bug');
      },
      (err) => errors.push(err),
    );
    await b!.send(0, new Uint8Array(1));
    expect(a!.poll()).toBe(true);
    expect(errors.map((e) => e.message)).toEqual(['handler bug']);
    await b!.send(0, new Uint8Array(1));
    expect(a!.poll()).toBe(false);
  });

  it('while delivering frames that woke it, says when they arrived (not when it woke); otherwise undefined', async () => {
    const [a, b] = endpoints(createMemoryFabric(2, { ringBytes: 1024 }), { spinMicros: 0 });
    const seen: (number | undefined)[] = [];
    let delivered: () => void = () => {};
    const arrived = new Promise<void>((resolve) => (delivered = resolve));
    a!.start(
      () => {
        seen.push(a!.arrivedAt());
        delivered();
      },
      () => {},
    );
    // Spinning off: a's first spin step, queued by start(), parks it; this immediate runs after it.
    await new Promise((resolve) => setImmediate(resolve));
    expect(a!.arrivedAt()).toBeUndefined();
    const before = performance.now();
    await b!.send(0, new Uint8Array(8));
    const sent = performance.now();
    await arrived;
    expect(a!.stats().wakeups).toBe(1);
    // Stamped by the sender inside send(): within the call, give or take the clock's 1 µs grain.
    expect(seen[0]).toBeGreaterThanOrEqual(before - 0.002);
    expect(seen[0]).toBeLessThanOrEqual(sent + 0.002);
    expect(a!.arrivedAt()).toBeUndefined();
  });

  it('counts frames and bytes sent and received', async () => {
    const [a, b] = endpoints(createMemoryFabric(2, { ringBytes: 1024 }));
    const sink = collect(a!);
    await Promise.all([
      b!.send(0, new Uint8Array(3)),
      b!.send(0, new Uint8Array(5000)),
      b!.send(0, new Uint8Array(0)),
    ]);
    await sink.until(3);
    expect(b!.stats()).toMatchObject({ calls: {}, messagesSent: 3, bytesSent: 5003 });
    expect(a!.stats()).toMatchObject({ messagesReceived: 3, bytesReceived: 5003, messagesSent: 0 });
    expect(a!.kind).toBe('memory');
  });
});

describe('MemoryTransport between endpoints of one thread (the default: frames skip the ring)', () => {
  const direct = { sameThreadDirect: true };
  const sourceOf = (f: Uint8Array) => new DataView(f.buffer, f.byteOffset).getUint32(0, true);

  it('keeps per-pair order when frames went through the ring first (before the receiver opened, or queued for space)', async () => {
    await fc.assert(
      fc.asyncProperty(sendPlan, fc.nat(59), async (plan, opensAt) => {
        const fabric = createMemoryFabric(3, { ringBytes: 1024 });
        // Ranks 0 and 1 open at once; rank 2 only after `opensAt` sends: frames to it wait in its ring.
        const ts: (MemoryTransport | undefined)[] = [
          new MemoryTransport(fabric, 0, direct),
          new MemoryTransport(fabric, 1, direct),
          undefined,
        ];
        open.push(ts[0]!, ts[1]!);
        const sinks: (ReturnType<typeof collect> | undefined)[] = [
          collect(ts[0]!),
          collect(ts[1]!),
          undefined,
        ];
        const sent = [0, 1, 2].map(() => [0, 1, 2].map((): Uint8Array[] => []));
        const sends: Promise<void>[] = [];
        const openRank2 = () => {
          ts[2] = new MemoryTransport(fabric, 2, direct);
          open.push(ts[2]);
          sinks[2] = collect(ts[2]);
        };
        plan.forEach(([src, dst, n], i) => {
          if (i === opensAt) openRank2();
          // Rank 2 sends only once open; a frame it would have sent goes from rank 0 instead.
          const from = src === 2 && ts[2] === undefined ? 0 : src;
          const frame = fillFrame(from, dst, sent[dst]![from]!.length, Math.max(8, n));
          sent[dst]![from]!.push(frame);
          sends.push(ts[from]!.send(dst, frame));
        });
        if (ts[2] === undefined) openRank2();
        await Promise.all(sends);
        for (let dst = 0; dst < 3; dst++) {
          await sinks[dst]!.until(sent[dst]!.flat().length);
          const bySource = [0, 1, 2].map((src) => sinks[dst]!.frames.filter((f) => sourceOf(f) === src));
          expect(bySource).toEqual(sent[dst]);
        }
        await Promise.all(open.splice(0).map((t) => t.close()));
      }),
      { numRuns: 40 },
    );
  });

  it("does not let a direct frame overtake its own earlier frame stuck behind another thread's unfinished record", async () => {
    const fabric = createMemoryFabric(3, { ringBytes: 1024 });
    // Rank 2 stands for another thread: it writes through rank 1's ring.
    const t0 = new MemoryTransport(fabric, 0, direct);
    const t2 = new MemoryTransport(fabric, 2, { sameThreadDirect: false });
    open.push(t0, t2);
    await t2.send(1, fillFrame(2, 1, 0, 8));
    // Its record (first in rank 1's data area: word 64 after 256 control bytes) is still being copied.
    const words = new Int32Array(fabric.rings[1]!);
    words[64 + 1] = 0; // state WRITING
    const a = fillFrame(0, 1, 0, 8);
    const b = fillFrame(0, 1, 1, 8);
    await t0.send(1, a); // rank 1 is not open yet: through its ring, behind rank 2's record
    const t1 = new MemoryTransport(fabric, 1, direct);
    open.push(t1);
    const sink = collect(t1);
    await t0.send(1, b); // rank 1 is open in this thread now, but `a` is still in its ring
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.frames).toEqual([]);
    Atomics.store(words, 64 + 1, 1); // rank 2's copy is done: READY
    t1.poll();
    await sink.until(3);
    expect(sink.frames.filter((f) => sourceOf(f) === 0)).toEqual([a, b]);
  });

  it('hands over a copy without the ring, so the sender may reuse its buffer at once', async () => {
    const [a, b] = endpoints(createMemoryFabric(2), direct);
    const sink = collect(b!);
    a!.start(
      () => {},
      () => {},
    );
    const buf = new Uint8Array([1, 2, 3]);
    await a!.send(1, buf);
    buf.fill(9);
    await a!.sendv(1, [new Uint8Array([4]), buf.subarray(0, 1)]);
    await sink.until(2);
    expect(sink.frames).toEqual([new Uint8Array([1, 2, 3]), new Uint8Array([4, 9])]);
    expect(a!.stats()).toMatchObject({ directSent: 2 });
    expect(b!.stats()).toMatchObject({ directReceived: 2, messagesReceived: 2, wakeups: 0 });
  });

  /** Starts `t` with `onLocal`: frames and `sendLocal` payloads in one stream, headers aside. */
  function collectBoth(t: MemoryTransport) {
    const got: Uint8Array[] = [];
    const headers: object[] = [];
    let want = Number.POSITIVE_INFINITY;
    let reached: () => void = () => {};
    const arrived = () => {
      if (got.length >= want) reached();
    };
    t.start(
      (batch) => {
        got.push(...batch);
        arrived();
      },
      () => {},
      (header, payload) => {
        headers.push(header);
        got.push(payload);
        arrived();
      },
    );
    return {
      got,
      headers,
      until(n: number): Promise<void> {
        want = n;
        return got.length >= n ? Promise.resolve() : new Promise<void>((resolve) => (reached = resolve));
      },
    };
  }

  it('sendLocal hands over the header object and one copy of the payload, so the sender may reuse it', async () => {
    const [a, b] = endpoints(createMemoryFabric(2), direct);
    const sink = collectBoth(b!);
    const h1 = { n: 1 };
    const h2 = { n: 2 };
    const buf = new Uint8Array([1, 2, 3]);
    expect(a!.sendLocal(1, h1, buf)).toBe(true);
    buf.fill(9);
    expect(a!.sendLocal(1, h2, [new Uint8Array([4]), buf.subarray(0, 1)])).toBe(true);
    await sink.until(2);
    expect(sink.headers[0]).toBe(h1);
    expect(sink.headers[1]).toBe(h2);
    expect(sink.got).toEqual([new Uint8Array([1, 2, 3]), new Uint8Array([4, 9])]);
    expect(a!.stats()).toMatchObject({ directSent: 2, messagesSent: 2, bytesSent: 5 });
    expect(b!.stats()).toMatchObject({
      directReceived: 2,
      messagesReceived: 2,
      bytesReceived: 5,
      wakeups: 0,
    });
  });

  it('delivers frames sent before the receiver started ahead of the sendLocal messages after them', async () => {
    const [a, b] = endpoints(createMemoryFabric(2), direct);
    const first = fillFrame(0, 1, 0, 8);
    await a!.send(1, first); // rank 1 is open in this thread but not started: it waits in the inbox
    expect(a!.sendLocal(1, {}, first)).toBe(false);
    const sink = collectBoth(b!);
    const second = fillFrame(0, 1, 1, 8);
    expect(a!.sendLocal(1, {}, second)).toBe(true);
    await sink.until(2);
    expect(sink.got).toEqual([first, second]);
  });

  it('sendLocal declines (and sends nothing) where the receiver cannot take it', async () => {
    const fabric = createMemoryFabric(4);
    const [a, noLocal, notStarted] = [0, 1, 2].map((r) => new MemoryTransport(fabric, r, direct));
    open.push(a!, noLocal!, notStarted!);
    const frames = collect(noLocal!); // started without onLocal
    const payload = new Uint8Array([7]);
    expect(a!.sendLocal(1, {}, payload)).toBe(false);
    expect(a!.sendLocal(2, {}, payload)).toBe(false);
    expect(a!.sendLocal(3, {}, payload)).toBe(false); // rank 3 is not open in this thread
    const other = new MemoryTransport(createMemoryFabric(2), 0, { sameThreadDirect: false });
    open.push(other);
    expect(other.sendLocal(1, {}, payload)).toBe(false);
    await a!.close();
    expect(a!.sendLocal(1, {}, payload)).toBe(false);
    expect(a!.stats()).toMatchObject({ messagesSent: 0, directSent: 0 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(frames.frames).toEqual([]);
  });

  it('keeps per-pair order between frames and sendLocal messages, whichever way each went', async () => {
    let localSends = 0;
    await fc.assert(
      fc.asyncProperty(sendPlan, fc.nat(59), fc.nat(59), async (plan, opensAt, startsAt) => {
        const fabric = createMemoryFabric(3, { ringBytes: 1024 });
        // Rank 2 opens after `opensAt` sends and starts (with onLocal) after `startsAt` more.
        const ts: (MemoryTransport | undefined)[] = [0, 1].map((r) => new MemoryTransport(fabric, r, direct));
        open.push(ts[0]!, ts[1]!);
        const sinks: (ReturnType<typeof collectBoth> | undefined)[] = [
          collectBoth(ts[0]!),
          collectBoth(ts[1]!),
        ];
        const sent = [0, 1, 2].map(() => [0, 1, 2].map((): Uint8Array[] => []));
        const sends: Promise<void>[] = [];
        plan.forEach(([src, dst, n], i) => {
          if (i === opensAt) {
            ts[2] = new MemoryTransport(fabric, 2, direct);
            open.push(ts[2]);
          }
          if (ts[2] !== undefined && sinks[2] === undefined && i >= opensAt + startsAt) {
            sinks[2] = collectBoth(ts[2]);
          }
          const from = src === 2 && ts[2] === undefined ? 0 : src;
          const frame = fillFrame(from, dst, sent[dst]![from]!.length, Math.max(8, n));
          sent[dst]![from]!.push(frame);
          if (ts[from]!.sendLocal(dst, { from }, frame)) localSends++;
          else sends.push(ts[from]!.send(dst, frame));
        });
        if (ts[2] === undefined) {
          ts[2] = new MemoryTransport(fabric, 2, direct);
          open.push(ts[2]);
        }
        sinks[2] ??= collectBoth(ts[2]);
        await Promise.all(sends);
        for (let dst = 0; dst < 3; dst++) {
          await sinks[dst]!.until(sent[dst]!.flat().length);
          const bySource = [0, 1, 2].map((src) => sinks[dst]!.got.filter((f) => sourceOf(f) === src));
          expect(bySource).toEqual(sent[dst]);
        }
        await Promise.all(open.splice(0).map((t) => t.close()));
      }),
      { numRuns: 40 },
    );
    // Both ways were taken: most sends between started endpoints skip the frame bytes.
    expect(localSends).toBeGreaterThan(0);
  });

  it('rejects a send to a closed endpoint of this thread with PEER_CLOSED', async () => {
    const [a, b] = endpoints(createMemoryFabric(2), direct);
    collect(b!);
    await b!.close();
    await expect(a!.send(1, new Uint8Array(1))).rejects.toThrow(
      /Cannot send to rank 1: its memory transport is closed/,
    );
  });

  it('lets the event loop turn while two endpoints of this thread only answer each other', async () => {
    const [a, b] = endpoints(createMemoryFabric(2), direct);
    const ROUNDS = 1000;
    let rounds = 0;
    let roundsWhenLoopTurned: number | undefined;
    setImmediate(() => (roundsWhenLoopTurned = rounds));
    const done = new Promise<void>((resolve) => {
      a!.start(
        () => {
          if (++rounds === ROUNDS) resolve();
          else void a!.send(1, new Uint8Array(1));
        },
        () => {},
      );
    });
    b!.start(
      () => void b!.send(0, new Uint8Array(1)),
      () => {},
    );
    void a!.send(1, new Uint8Array(1));
    await done;
    // Deliveries chain through microtasks only so far: then they wait for the next turn.
    expect(roundsWhenLoopTurned).toBeDefined();
    expect(roundsWhenLoopTurned!).toBeLessThan(ROUNDS);
    expect(a!.stats()).toMatchObject({ directSent: ROUNDS, wakeups: 0 });
  });
});

describe('auto-spin: who busy-polls by default', () => {
  // Spinning pays only where each thread of the job has a core: the launcher places
  // `ranksPerThread` ranks in each thread, so a job has ceil(size / ranksPerThread) threads.
  const cores = availableParallelism();
  const windowOf = (t: MemoryTransport) => t.stats().spinWindowMicros;

  it('spins where the job has no more threads than cores, however many ranks share each', () => {
    const perThread = 4;
    const fabric = createMemoryFabric(cores * perThread, { ranksPerThread: perThread });
    // This thread opens the ranks of one launcher thread.
    const mine = Array.from({ length: perThread }, (_, r) => new MemoryTransport(fabric, r));
    open.push(...mine);
    for (const t of mine) expect(windowOf(t)).toBe(100);
  });

  it('does not spin where threads outnumber cores', () => {
    const fabric = createMemoryFabric((cores + 1) * 2, { ranksPerThread: 2 });
    const mine = [new MemoryTransport(fabric, 0), new MemoryTransport(fabric, 1)];
    open.push(...mine);
    for (const t of mine) expect(windowOf(t)).toBe(0);
  });

  it('stops spinning once the thread opens more endpoints than the fabric places in it', () => {
    // A fabric of one rank per thread, all of whose endpoints this thread opens (an in-process
    // world): ranks there answer each other only when the thread is free, so none spins.
    const fabric = createMemoryFabric(Math.min(2, cores));
    const first = new MemoryTransport(fabric, 0);
    open.push(first);
    expect(windowOf(first)).toBe(100);
    if (fabric.size > 1) {
      const second = new MemoryTransport(fabric, 1);
      open.push(second);
      expect(windowOf(first)).toBe(0);
      expect(windowOf(second)).toBe(0);
    }
  });
});
