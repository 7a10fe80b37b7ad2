import { PI_KERNEL_WASM } from './wasm/pi-kernel-wasm.js';

/**
 * The Monte Carlo pi kernel: counts points of the unit square inside the quarter circle.
 *
 * PRNG: xoshiro128+ (Blackman & Vigna), whose upper bits are of full quality; only the top 26 bits
 * of each output are used, so x² + y² < 2^52 is decided exactly in double arithmetic (an exact lattice
 * count, no rounding). Streams are independent: rank r starts from the common seed advanced by r
 * jumps of 2^64 outputs, so no two ranks ever share a subsequence.
 */

const JUMP = [0x8764000b, 0xf542d2d3, 0x6fa035c3, 0x77f2db5b];
const R2 = 4503599627370496; // (2^26)^2

/** A generator state: four uint32 words, never all zero. */
export function seedState(seed: number): Uint32Array {
  // splitmix32 expands the seed into a well-mixed state.
  let z = seed >>> 0;
  const s = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    z = (z + 0x9e3779b9) >>> 0;
    let t = z;
    t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
    t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
    s[i] = (t ^ (t >>> 15)) >>> 0;
  }
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;
  return s;
}

function step(s: Uint32Array): void {
  const t = s[1]! << 9;
  s[2]! ^= s[0]!;
  s[3]! ^= s[1]!;
  s[1]! ^= s[2]!;
  s[0]! ^= s[3]!;
  s[2]! ^= t;
  s[3] = (s[3]! << 11) | (s[3]! >>> 21);
}

/** Advances the state by 2^64 outputs. */
export function jump(s: Uint32Array): void {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  for (const word of JUMP) {
    for (let bit = 0; bit < 32; bit++) {
      if (word & (1 << bit)) {
        a ^= s[0]!;
        b ^= s[1]!;
        c ^= s[2]!;
        d ^= s[3]!;
      }
      step(s);
    }
  }
  s[0] = a;
  s[1] = b;
  s[2] = c;
  s[3] = d;
}

/** Where `jump` of the WebAssembly module works on a scalar state (after the SIMD state and constants). */
const WASM_JUMP_AT = 96;

/** The state for stream `index` of `seed`: `index` jumps ahead (in WebAssembly when available). */
export function streamState(seed: number, index: number): Uint32Array {
  const s = seedState(seed);
  const kernel = loadWasmKernel();
  if (kernel !== null && index > 0) {
    const at = WASM_JUMP_AT / 4;
    kernel.memory.set(s, at);
    kernel.jump(WASM_JUMP_AT, index);
    s.set(kernel.memory.subarray(at, at + 4));
    return s;
  }
  for (let i = 0; i < index; i++) jump(s);
  return s;
}

/** Counts, of `samples` random points, those inside the quarter circle. Advances `state`. */
export function countInside(samples: number, state: Uint32Array): number {
  let s0 = state[0]! | 0;
  let s1 = state[1]! | 0;
  let s2 = state[2]! | 0;
  let s3 = state[3]! | 0;
  let inside = 0;
  for (let i = 0; i < samples; i++) {
    const x = ((s0 + s3) >>> 6) | 0;
    let t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    const y = ((s0 + s3) >>> 6) | 0;
    t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    if (x * x + y * y < R2) inside++;
  }
  state[0] = s0;
  state[1] = s1;
  state[2] = s2;
  state[3] = s3;
  return inside;
}

/** Steps of the SIMD kernel per call (see `countInsideStreams`). */
const KERNEL_CHUNK = 1 << 18;

/** Streams per rank: four SIMD lanes and one scalar stream for the remainder. */
export const STREAMS_PER_RANK = 5;

interface WasmKernel {
  count(iterations: number): number;
  jump(ptr: number, times: number): void;
  /** The SIMD state: words 0..15. */
  state: Uint32Array;
  /** All of the module's memory, as words. */
  memory: Uint32Array;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

let wasmKernel: WasmKernel | null | undefined;

/** The SIMD kernel, or null where WebAssembly SIMD is unavailable. One instance per thread. */
export function loadWasmKernel(): WasmKernel | null {
  if (wasmKernel !== undefined) return wasmKernel;
  try {
    const bytes = Buffer.from(PI_KERNEL_WASM, 'base64');
    // The project's lib settings (no DOM) carry no WebAssembly types: describe the two calls used.
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const instance = new wasm.Instance(new wasm.Module(bytes));
    const exports = instance.exports as {
      count: (n: number) => number;
      jump: (ptr: number, times: number) => void;
      memory: { buffer: ArrayBuffer };
    };
    wasmKernel = {
      count: exports.count,
      jump: exports.jump,
      state: new Uint32Array(exports.memory.buffer, 0, 16),
      memory: new Uint32Array(exports.memory.buffer),
    };
  } catch {
    wasmKernel = null;
  }
  return wasmKernel;
}

/**
 * Counts points inside the quarter circle among `samples`, drawn from the streams
 * `STREAMS_PER_RANK * stream ..` of `seed`: four lanes of the SIMD kernel (4 points per step) and
 * one scalar stream for the remainder. Falls back to the scalar kernel where there is no SIMD.
 */
export function countInsideStreams(samples: number, seed: number, stream: number): number {
  const base = stream * STREAMS_PER_RANK;
  const kernel = loadWasmKernel();
  if (kernel === null) return countInside(samples, streamState(seed, base));
  // Lane j's word k sits at state[4k + j].
  const lanes = [0, 1, 2, 3].map((j) => streamState(seed, base + j));
  for (let k = 0; k < 4; k++) for (let j = 0; j < 4; j++) kernel.state[4 * k + j] = lanes[j]![k]!;
  const iterations = Math.floor(samples / 4);
  let inside = 0;
  // In chunks of 2^18 steps (~1 ms): V8 runs a WebAssembly function in its baseline tier (Liftoff)
  // until the optimized code is ready, and a call already running never switches, so one long call
  // ran entirely at baseline speed (measured alone: 109-116 ms for 1.25e7 steps; in chunks 73-77
  // ms, later chunks ~2x faster than the first). And the iteration count is an i32.
  for (let done = 0; done < iterations; ) {
    const n = Math.min(iterations - done, KERNEL_CHUNK);
    inside += kernel.count(n);
    done += n;
  }
  const rest = samples - iterations * 4;
  if (rest > 0) inside += countInside(rest, streamState(seed, base + 4));
  return inside;
}
