/**
 * Numbered, self-checking frames for transport tests: `[src u16][dst u16][seq u32][len u32]`
 * then `len` bytes that are a function of (src, dst, seq), so a frame that arrives anywhere is
 * checked byte for byte.
 */

const HEADER = 12;

function fill(out: Uint8Array, src: number, dst: number, seq: number): void {
  let x = (src * 73856093) ^ (dst * 19349663) ^ (seq * 83492791) ^ 0x9e3779b9;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
}

export function makeFrame(src: number, dst: number, seq: number, payloadBytes: number): Uint8Array {
  const f = new Uint8Array(HEADER + payloadBytes);
  const v = new DataView(f.buffer);
  v.setUint16(0, src);
  v.setUint16(2, dst);
  v.setUint32(4, seq);
  v.setUint32(8, payloadBytes);
  fill(f.subarray(HEADER), src, dst, seq);
  return f;
}

export interface FrameId {
  src: number;
  dst: number;
  seq: number;
}

/** Parses and verifies a frame; throws if a single byte is wrong. */
export function checkFrame(f: Uint8Array): FrameId {
  if (f.length < HEADER) throw new Error(`frame of ${f.length} bytes is shorter than its header`);
  const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const src = v.getUint16(0);
  const dst = v.getUint16(2);
  const seq = v.getUint32(4);
  const len = v.getUint32(8);
  if (f.length !== HEADER + len)
    throw new Error(`frame ${src}->${dst} #${seq}: ${f.length - HEADER} bytes, expected ${len}`);
  const expected = new Uint8Array(len);
  fill(expected, src, dst, seq);
  const body = f.subarray(HEADER);
  for (let i = 0; i < len; i++) {
    if (body[i] !== expected[i]) throw new Error(`frame ${src}->${dst} #${seq}: byte ${i} corrupted`);
  }
  return { src, dst, seq };
}

/**
 * Collects a rank's frames: checks each, counts duplicates, and resolves `until(n)` once `n`
 * distinct frames have arrived (so tests await an event, never sleep).
 */
export class Inbox {
  readonly rank: number;
  readonly distinct = new Set<string>();
  received = 0;
  errors: Error[] = [];
  #waiters: { n: number; resolve: () => void }[] = [];
  #failWaiters: ((err: Error) => void)[] = [];

  constructor(rank: number) {
    this.rank = rank;
  }

  readonly onFrames = (frames: Uint8Array[]): void => {
    for (const f of frames) {
      this.received++;
      try {
        const id = checkFrame(f);
        if (id.dst !== this.rank) throw new Error(`rank ${this.rank} got a frame for rank ${id.dst}`);
        this.distinct.add(`${id.src}:${id.seq}`);
      } catch (err) {
        this.#error(err as Error);
      }
    }
    this.#waiters = this.#waiters.filter((w) => {
      if (this.distinct.size < w.n) return true;
      w.resolve();
      return false;
    });
  };

  readonly onError = (err: Error): void => this.#error(err);

  #error(err: Error): void {
    this.errors.push(err);
    for (const f of this.#failWaiters) f(err);
  }

  /** Resolves when `n` distinct frames arrived; rejects on the first transport or check error. */
  until(n: number): Promise<void> {
    if (this.errors[0] !== undefined) return Promise.reject(this.errors[0]);
    if (this.distinct.size >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiters.push({ n, resolve });
      this.#failWaiters.push(reject);
    });
  }

  /** Resolves with the first error reported. */
  nextError(): Promise<Error> {
    if (this.errors[0] !== undefined) return Promise.resolve(this.errors[0]);
    return new Promise((resolve) => this.#failWaiters.push(resolve));
  }
}
