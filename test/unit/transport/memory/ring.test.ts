import { describe, expect, it } from 'vitest';
import { CONTROL_BYTES, Ring } from '../../../../sdk/transport/memory/ring.js';
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
