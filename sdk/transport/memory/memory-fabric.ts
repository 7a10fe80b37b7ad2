import { checkOptions } from '../../base/check-options.js';
import { describeValue } from '../../base/describe-value.js';
import { CONTROL_BYTES, MAX_RING_BYTES, MIN_RING_BYTES, Ring } from './ring.js';

/** The largest job a fabric is made for (a record header keeps 30 bits for the source rank). */
export const MAX_FABRIC_SIZE = 65_536;

/**
 * The shared memory of one job's memory transport: one inbound ring per rank. A plain,
 * structured-cloneable object: post it to each rank's worker (in `workerData`) and build the
 * rank's endpoint there with `new MemoryTransport(fabric, rank)`. The SharedArrayBuffers are
 * shared, not copied, by `postMessage`.
 */
export interface MemoryFabric {
  readonly kind: 'tsmpi-memory-fabric';
  /** Number of ranks. */
  readonly size: number;
  /** Data bytes of each rank's ring (a power of two). */
  readonly ringBytes: number;
  /** `rings[r]` is rank r's inbound ring; empty when `arena` holds the rings. */
  readonly rings: readonly SharedArrayBuffer[];
  /**
   * With `packed`: every ring in one buffer, rank r's at `r * (CONTROL_BYTES + ringBytes)`. Posting
   * the fabric to each of n workers then clones one buffer each, not n (n² in all: seconds and
   * hundreds of MiB at 1,024 ranks).
   */
  readonly arena?: SharedArrayBuffer;
  /** Job-wide `spinMicros` of every endpoint that does not set its own; absent: automatic. */
  readonly spinMicros?: number;
  /** Ranks per thread as the launcher places them (rank r in thread floor(r / n)); absent: 1. */
  readonly ranksPerThread?: number;
}

export interface MemoryFabricOptions {
  /**
   * Data bytes of each rank's inbound ring: a power of two in [1 KiB, 1 GiB]. Frames of any size
   * pass through any ring (they are chunked); a bigger ring lets more small frames and bigger
   * chunks be in flight. Default: 1 MiB, halved as needed to keep the whole fabric within
   * 128 MiB (512 KiB per rank at 256 ranks), never below 64 KiB.
   */
  ringBytes?: number;
  /**
   * Job-wide default of `MemoryTransportOptions.spinMicros` (a number in [0, 1e6]), for launchers
   * whose workers build their endpoint from the fabric alone. Default: automatic (see there).
   */
  spinMicros?: number;
  /** All rings in one buffer (`MemoryFabric.arena`) instead of one buffer each. Default false. */
  packed?: boolean;
  /**
   * How the launcher places ranks in threads: `n` consecutive ranks per thread (rank r in thread
   * floor(r / n)), an integer >= 1. Endpoints report it (`threadOf`), and fixed collectives then
   * run in two levels: inside each thread, then between threads. Default 1.
   */
  ranksPerThread?: number;
}

const DEFAULT_RING_BYTES = 1024 * 1024;
const DEFAULT_FABRIC_BUDGET = 128 * 1024 * 1024;
const MIN_DEFAULT_RING_BYTES = 64 * 1024;
const OPTION_KEYS = new Set(['ringBytes', 'spinMicros', 'packed', 'ranksPerThread']);
/** Largest `spinMicros`: one second. */
export const MAX_SPIN_MICROS = 1_000_000;

/** The default ring size for a job of `size` ranks (see `MemoryFabricOptions.ringBytes`). */
export function defaultRingBytes(size: number): number {
  let bytes = DEFAULT_RING_BYTES;
  while (bytes > MIN_DEFAULT_RING_BYTES && bytes * size > DEFAULT_FABRIC_BUDGET) bytes /= 2;
  return bytes;
}

/**
 * Allocates the rings of a `size`-rank job.
 *
 * @example
 * const fabric = createMemoryFabric(4, { ringBytes: 256 * 1024 });
 * const workers = [0, 1, 2, 3].map((rank) => new Worker(url, { workerData: { fabric, rank } }));
 * // in each worker: const transport = new MemoryTransport(workerData.fabric, workerData.rank);
 */
export function createMemoryFabric(size: number, options: MemoryFabricOptions = {}): MemoryFabric {
  if (!Number.isInteger(size) || size < 1 || size > MAX_FABRIC_SIZE) {
    throw new RangeError(
      `Expected \`size\` to be an integer in [1, ${MAX_FABRIC_SIZE}], got ${describeValue(size)}`,
    );
  }
  checkOptions('createMemoryFabric', options, OPTION_KEYS);
  const ringBytes = options.ringBytes ?? defaultRingBytes(size);
  if (
    !Number.isInteger(ringBytes) ||
    ringBytes < MIN_RING_BYTES ||
    ringBytes > MAX_RING_BYTES ||
    (ringBytes & (ringBytes - 1)) !== 0
  ) {
    throw new RangeError(
      `Expected \`ringBytes\` to be a power of two in [${MIN_RING_BYTES}, ${MAX_RING_BYTES}], ` +
        `got ${describeValue(ringBytes)}`,
    );
  }
  const spin = options.spinMicros;
  checkSpinMicros(spin);
  const perThread = options.ranksPerThread;
  if (perThread !== undefined && (!Number.isInteger(perThread) || perThread < 1)) {
    throw new RangeError(
      `Expected \`ranksPerThread\` to be an integer >= 1, got ${describeValue(perThread)}`,
    );
  }
  const rings: SharedArrayBuffer[] = [];
  let arena: SharedArrayBuffer | undefined;
  if (options.packed === true) {
    arena = new SharedArrayBuffer(size * (CONTROL_BYTES + ringBytes));
    for (let r = 0; r < size; r++) Ring.format(arena, ringBytes, size, r * (CONTROL_BYTES + ringBytes));
  } else {
    for (let r = 0; r < size; r++) {
      const sab = new SharedArrayBuffer(CONTROL_BYTES + ringBytes);
      Ring.format(sab, ringBytes, size);
      rings.push(sab);
    }
  }
  const fabric: MemoryFabric = {
    kind: 'tsmpi-memory-fabric',
    size,
    ringBytes,
    rings,
    ...(arena === undefined ? {} : { arena }),
    ...(perThread === undefined || perThread === 1 ? {} : { ranksPerThread: perThread }),
  };
  return spin === undefined ? fabric : { ...fabric, spinMicros: spin };
}

/** Validates a `spinMicros` option (absent is fine). */
export function checkSpinMicros(spin: unknown): asserts spin is number | undefined {
  if (spin !== undefined && (typeof spin !== 'number' || !(spin >= 0 && spin <= MAX_SPIN_MICROS))) {
    throw new RangeError(
      `Expected \`spinMicros\` to be a number in [0, ${MAX_SPIN_MICROS}], got ${describeValue(spin)}`,
    );
  }
}
