import { describe, expect, it } from 'vitest';
import {
  createMemoryFabric,
  defaultRingBytes,
  type MemoryFabric,
} from '../../../../sdk/transport/memory/memory-fabric.js';
import { MemoryTransport } from '../../../../sdk/transport/memory/memory-transport.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('createMemoryFabric', () => {
  it('allocates one ring per rank, 1 MiB of data each by default', () => {
    const fabric = createMemoryFabric(4);
    expect(fabric).toMatchObject({ kind: 'tsmpi-memory-fabric', size: 4, ringBytes: MiB });
    expect(fabric.rings).toHaveLength(4);
    for (const sab of fabric.rings) {
      expect(sab).toBeInstanceOf(SharedArrayBuffer);
      expect(sab.byteLength).toBeGreaterThanOrEqual(MiB);
    }
  });

  it('keeps the default fabric within 128 MiB: 1 MiB per rank up to 128 ranks, then less', () => {
    expect(defaultRingBytes(1)).toBe(MiB);
    expect(defaultRingBytes(64)).toBe(MiB);
    expect(defaultRingBytes(128)).toBe(MiB);
    expect(defaultRingBytes(256)).toBe(512 * KiB);
    expect(defaultRingBytes(4096)).toBe(64 * KiB);
    for (const size of [1, 2, 63, 64, 100, 256, 1000])
      expect(defaultRingBytes(size) * size).toBeLessThanOrEqual(128 * MiB);
  });

  it.each([
    [0, /`size` to be an integer in \[1, 65536\], got `0` \(number\)/],
    [2.5, /got `2.5` \(number\)/],
    ['4', /got `"4"` \(string\)/],
    [65_537, /got `65537` \(number\)/],
  ])('rejects size %j, naming the argument, the rule and the value', (size, message) => {
    expect(() => createMemoryFabric(size as number)).toThrow(message);
  });

  it.each([
    [3000, /`ringBytes` to be a power of two in \[1024, 1073741824\], got `3000` \(number\)/],
    [512, /got `512`/],
    [2 ** 31, /got `2147483648`/],
    [Number.NaN, /got `NaN`/],
  ])('rejects ringBytes %j', (ringBytes, message) => {
    expect(() => createMemoryFabric(2, { ringBytes })).toThrow(RangeError);
    expect(() => createMemoryFabric(2, { ringBytes })).toThrow(message);
  });

  it('rejects unknown options (typos) and a non-object options argument', () => {
    expect(() => createMemoryFabric(2, { ringbytes: 4096 } as never)).toThrow(
      /createMemoryFabric: unknown option `ringbytes`; expected one of `ringBytes`, `spinMicros`/,
    );
    expect(() => createMemoryFabric(2, null as never)).toThrow(
      /options of `createMemoryFabric` to be an object/,
    );
  });

  it('rejects a negative or non-numeric job-wide spinMicros, and carries a valid one', () => {
    expect(() => createMemoryFabric(2, { spinMicros: -1 })).toThrow(
      /`spinMicros` to be a number in \[0, 1000000\]/,
    );
    expect(() => createMemoryFabric(2, { spinMicros: 'x' as never })).toThrow(/got `"x"` \(string\)/);
    expect(createMemoryFabric(2, { spinMicros: 0 }).spinMicros).toBe(0);
    expect('spinMicros' in createMemoryFabric(2)).toBe(false);
  });

  it('survives structured cloning with its memory shared, as when posted to a worker', async () => {
    const fabric = createMemoryFabric(2, { ringBytes: 4 * KiB });
    const clone: MemoryFabric = structuredClone(fabric);
    const sender = new MemoryTransport(fabric, 1);
    const receiver = new MemoryTransport(clone, 0);
    const got = new Promise<Uint8Array[]>((resolve) => receiver.start(resolve, () => {}));
    await sender.send(0, new Uint8Array([9, 8, 7]));
    expect(await got).toEqual([new Uint8Array([9, 8, 7])]);
    await Promise.all([sender.close(), receiver.close()]);
  });
});
