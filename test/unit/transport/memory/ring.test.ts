import { describe, expect, it } from 'vitest';
import { CONTROL_BYTES, Ring, WRITE_NO_SPACE } from '../../../../sdk/transport/memory/ring.js';
import { sharedMicros } from '../../../../sdk/transport/memory/shared-clock.js';

// One ring seen from both sides in this thread: `consumer` owns it, `producer` writes to it.
function ringPair(capacity: number): { consumer: Ring; producer: Ring } {
  const sab = new SharedArrayBuffer(CONTROL_BYTES + capacity);
  Ring.format(sab, capacity, 2);
  const consumer = new Ring(sab);
  expect(consumer.attach()).toBe(true);
  return { consumer, producer: new Ring(sab) };
}

const frame = (n: number): Uint8Array[] => [new Uint8Array(n)];

describe('Ring wake-up stamp (wokenAt)', () => {
  it('records when the first record woke a sleeping consumer, keeps the first, and clears on the next sleep', () => {
    const { consumer, producer } = ringPair(4096);
    producer.write(1, frame(8), 8, 0);
    expect(consumer.wokenAt()).toBeUndefined(); // awake consumer: no notify, no stamp

    consumer.setSleeping(true);
    expect(consumer.wokenAt()).toBeUndefined();
    const before = sharedMicros();
    producer.write(1, frame(8), 8, 0);
    const after = sharedMicros();
    const first = consumer.wokenAt();
    expect(first).toBeTypeOf('number');
    expect((first! - before) | 0).toBeGreaterThanOrEqual(0);
    expect((after - first!) | 0).toBeGreaterThanOrEqual(0);

    // A later record does not move it, even once the clock has moved on.
    while (((sharedMicros() - first!) | 0) < 2);
    producer.write(1, frame(8), 8, 0);
    expect(consumer.wokenAt()).toBe(first);

    consumer.setSleeping(false);
    consumer.setSleeping(true);
    expect(consumer.wokenAt()).toBeUndefined();
  });
});

describe('Ring chunking', () => {
  it('writes a record that takes exactly the space left, and refuses one more byte', () => {
    const { consumer, producer } = ringPair(1024); // whole records up to 256 + 16 bytes
    for (let i = 0; i < 3; i++) expect(producer.write(1, frame(240), 240, 0)).toBe(240);
    expect(producer.write(1, frame(241), 241, 0)).toBe(WRITE_NO_SPACE); // 272 > 256 free
    expect(producer.write(1, frame(240), 240, 0)).toBe(240); // 256 bytes: the ring is full
    expect(producer.write(1, frame(0), 0, 0)).toBe(WRITE_NO_SPACE);
    const out: Uint8Array[] = [];
    expect(consumer.drain(out)).toBe(4);
    expect(out.map((f) => f.length)).toEqual([240, 240, 240, 240]);
  });

  it('sends a 64 KiB payload with its frame header as one record, and chunks what is bigger than 65 KiB', () => {
    const { consumer, producer } = ringPair(1024 * 1024);
    expect(producer.maxChunk).toBe(65 * 1024);
    const header = new Uint8Array(96);
    const payload = new Uint8Array(64 * 1024).fill(7);
    const total = header.length + payload.length;
    expect(producer.write(1, [header, payload], total, 0)).toBe(total);
    const out: Uint8Array[] = [];
    expect(consumer.drain(out)).toBe(1);
    expect(out.map((f) => f.length)).toEqual([total]);
    expect(out[0]![total - 1]).toBe(7);

    const big = 65 * 1024 + 1;
    expect(producer.write(1, frame(big), big, 0)).toBe(65 * 1024); // the FIRST record; 1 byte left
  });
});

describe('Ring corruption', () => {
  /** A ring with `write` done, and its record header words (Int32) as the consumer reads them. */
  function written(write: (producer: Ring) => void): { consumer: Ring; words: Int32Array } {
    const sab = new SharedArrayBuffer(CONTROL_BYTES + 1024);
    Ring.format(sab, 1024, 2);
    const consumer = new Ring(sab);
    expect(consumer.attach()).toBe(true);
    write(new Ring(sab));
    return { consumer, words: new Int32Array(sab, CONTROL_BYTES) };
  }

  it('is reported, not read past, when a record header names a rank outside the ring or runs past the tail', () => {
    const outside = written((p) => expect(p.write(1, frame(16), 16, 0)).toBe(16));
    outside.words[2] = 5 << 5; // source 5 of 2, kind WHOLE
    expect(() => outside.consumer.drain([])).toThrow(/Ring corrupted at position 0: .*source 5/);

    const long = written((p) => expect(p.write(1, frame(16), 16, 0)).toBe(16));
    long.words[0] = 16 + 112; // a consistent header for a 100-byte payload, past the 32 bytes written
    long.words[3] = 100;
    expect(() => long.consumer.drain([])).toThrow(/Ring corrupted at position 0: record length 128/);
  });

  it('is reported when a chunked frame gets more bytes than its FIRST record announced', () => {
    const { consumer, words } = written((p) => {
      for (const [at, next] of [
        [0, 256],
        [256, 512],
        [512, 600],
      ])
        expect(p.write(1, frame(600), 600, at!)).toBe(next);
    });
    words[4] = 300; // the frame's total length (low word), after the FIRST record's header
    expect(() => consumer.drain([])).toThrow(/chunks longer than their frame/);
  });
});

describe('Ring placement (drain with a placer)', () => {
  /** A frame of `n` bytes whose byte i is (i * 7 + 3) & 255, as one piece. */
  const patterned = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 255);

  /** Writes all of `f` from `src`, draining whenever the ring is full; returns what drain gave. */
  function pass(
    consumer: Ring,
    producer: Ring,
    src: number,
    f: Uint8Array,
    place: Parameters<Ring['drain']>[2],
  ): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let at = 0; at < f.length; ) {
      const next = producer.write(src, [f], f.length, at);
      if (next < 0) consumer.drain(out, undefined, place);
      else at = next;
    }
    consumer.drain(out, undefined, place);
    return out;
  }

  it('copies a chunked frame into the placement, head then body, across the ring wrapping, and hands back the head', () => {
    const { consumer, producer } = ringPair(1024); // chunks of at most 256 bytes
    const asked: { src: number; first: number[]; total: number }[] = [];
    const placements: { head: Uint8Array; body: Uint8Array }[] = [];
    const place = (src: number, first: Uint8Array, total: number) => {
      asked.push({ src, first: Array.from(first.subarray(0, 4)), total });
      const p = { head: new Uint8Array(21), body: new Uint8Array(total - 21) };
      placements.push(p);
      return p;
    };
    // A small frame first moves the ring's positions, so later records wrap around its end.
    expect(pass(consumer, producer, 1, patterned(100), place).map((f) => f.length)).toEqual([100]);
    for (const n of [3000, 1500]) {
      const f = patterned(n);
      const out = pass(consumer, producer, 1, f, place);
      const p = placements.at(-1)!;
      expect(out).toHaveLength(1);
      expect(out[0]).toBe(p.head);
      expect(Array.from(p.head)).toEqual(Array.from(f.subarray(0, 21)));
      expect(Array.from(p.body)).toEqual(Array.from(f.subarray(21)));
    }
    // Asked once per chunked frame (not for the small one), with its first bytes and length.
    expect(asked).toEqual([
      { src: 1, first: [3, 10, 17, 24], total: 3000 },
      { src: 1, first: [3, 10, 17, 24], total: 1500 },
    ]);
  });

  it('copies the body of a placed frame from the ring start when the split between head and body wraps', () => {
    const { consumer, producer } = ringPair(1024);
    // Move the ring's positions to 992 (records of 256 + 256 + 256 + 224 bytes), so the next
    // frame's FIRST record has its header at 992, its length at 1008 and its payload at 1016:
    // the placement's 21-byte head ends past the ring's end, and the body starts there.
    for (const n of [240, 240, 240, 208])
      expect(pass(consumer, producer, 1, patterned(n), undefined)).toHaveLength(1);
    let placement: { head: Uint8Array; body: Uint8Array } | undefined;
    const place = (_src: number, _first: Uint8Array, total: number) => {
      placement = { head: new Uint8Array(21), body: new Uint8Array(total - 21) };
      return placement;
    };
    const f = patterned(1500);
    expect(pass(consumer, producer, 1, f, place)).toEqual([placement!.head]);
    expect(Array.from(placement!.head)).toEqual(Array.from(f.subarray(0, 21)));
    expect(Array.from(placement!.body)).toEqual(Array.from(f.subarray(21)));
  });

  it('offers a frame of one record from 16 KiB on, and copies it straight into the placement', () => {
    const { consumer, producer } = ringPair(1024 * 1024);
    const sizes: number[] = [];
    let placement: { head: Uint8Array; body: Uint8Array } | undefined;
    const place = (_src: number, first: Uint8Array, total: number) => {
      sizes.push(total);
      expect(first.length).toBe(256);
      placement = { head: new Uint8Array(40), body: new Uint8Array(total - 40) };
      return placement;
    };
    const below = patterned(16 * 1024 - 1);
    expect(Array.from(pass(consumer, producer, 1, below, place)[0]!)).toEqual(Array.from(below));
    const f = patterned(20_000);
    const out = pass(consumer, producer, 1, f, place);
    expect(sizes).toEqual([20_000]);
    expect(out).toEqual([placement!.head]);
    expect(Array.from(placement!.head)).toEqual(Array.from(f.subarray(0, 40)));
    expect(Array.from(placement!.body)).toEqual(Array.from(f.subarray(40)));
  });

  it('a placement of the wrong size is a bug, and says so', () => {
    const { consumer, producer } = ringPair(1024 * 1024);
    const wrong = (_src: number, _first: Uint8Array, total: number) => ({
      head: new Uint8Array(10),
      body: new Uint8Array(total - 11),
    });
    expect(() => pass(consumer, producer, 1, patterned(20_000), wrong)).toThrow(
      'Expected a placement of 20000 bytes, got 10 + 19989',
    );
  });

  it('buffers the frame as usual when the placer declines or a frame is already waiting in `out`', () => {
    const { consumer, producer } = ringPair(4096); // chunks of at most 1 KiB
    let asked = 0;
    const decline = () => {
      asked++;
      return undefined;
    };
    const f = patterned(2500);
    const out = pass(consumer, producer, 1, f, decline);
    expect(asked).toBe(1);
    expect(out).toHaveLength(1);
    expect(Array.from(out[0]!)).toEqual(Array.from(f));

    // A whole frame ahead of a chunked one in the same drain: the chunked one is not offered.
    const small = patterned(10);
    expect(producer.write(1, [small], 10, 0)).toBe(10);
    expect(producer.write(1, [f], f.length, 0)).toBe(1024);
    const both: Uint8Array[] = [];
    consumer.drain(both, undefined, () => {
      throw new Error('asked with a frame in out');
    });
    expect(both.map((x) => x.length)).toEqual([10]);
  });
});
