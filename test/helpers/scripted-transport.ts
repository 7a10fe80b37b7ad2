import { afterEach } from 'vitest';
import { ENV } from '../../sdk/base/stack-contract.js';
import { FrameKind, writeFrameHead } from '../../sdk/channel/frame.js';
import { encodeParts } from '../../sdk/codec/codec.js';
import { openRank, type RankHandle } from '../../sdk/runtime/run-rank.js';
import {
  type FramePlacement,
  type FramePlacer,
  SENT,
  type Transport,
} from '../../sdk/transport/transport.js';
import { joinBytes } from './bytes.js';

/**
 * Rank 1 of 2 over a transport driven by hand: every poll() runs the next scripted step, so a
 * test chooses exactly when a frame starts and ends arriving, even while a blocking receive
 * busy-polls (kind 'memory', so the endpoint spins on it). `reading` scripts `readingSent`.
 */
export class ScriptedTransport implements Transport {
  readonly rank = 1;
  readonly size = 2;
  readonly kind = 'memory';
  placer: FramePlacer | undefined;
  onFrames: ((frames: Uint8Array[]) => void) | undefined;
  /** What the next poll() calls do, in turn (afterwards polls deliver nothing). */
  readonly steps: (() => boolean)[] = [];
  /** What the next readingSent() calls return, in turn (afterwards undefined). */
  readonly reading: (number | undefined)[] = [];
  /** The frames handed back with release(), in order. */
  readonly released: Uint8Array[] = [];

  setPlacer(placer: FramePlacer): void {
    this.placer = placer;
  }
  start(onFrames: (frames: Uint8Array[]) => void): void {
    this.onFrames = onFrames;
  }
  poll(): boolean {
    return this.steps.shift()?.() ?? false;
  }
  readingSent(): number | undefined {
    return this.reading.shift();
  }
  send(): Promise<void> {
    return SENT;
  }
  release(frame: Uint8Array): void {
    this.released.push(frame);
  }
  async close(): Promise<void> {}

  /** A frame starts to arrive from rank 0: the placement the placer chose, its bytes copied in. */
  begin(frame: Uint8Array): FramePlacement | undefined {
    const p = this.placer!(0, frame.subarray(0, 256), frame.length);
    if (p !== undefined) {
      p.head.set(frame.subarray(0, p.head.length));
      p.body.set(frame.subarray(p.head.length));
    }
    return p;
  }
}

/** Data frame `seq` from rank 0 on the world communicator, holding `value`. */
export function frameOf(seq: number, tag: number, value: unknown): Uint8Array {
  return joinBytes([
    writeFrameHead({ kind: FrameKind.Data, src: 0, seq, tag, ctx: 'w' }),
    ...encodeParts(value),
  ]);
}

/**
 * For tests of one rank over a `ScriptedTransport`: `open(spinMicros)` opens it with that
 * busy-poll cap for blocking receives (TSMPI_RECV_SPIN_US, read when the endpoint is made); the
 * endpoint is closed and the variable restored after each test. Call at the top of a test file.
 */
export function scriptedRankPerTest(): (spinMicros: number) => RankHandle & { t: ScriptedTransport } {
  const saved = process.env[ENV.recvSpinUs];
  let open: RankHandle | undefined;
  afterEach(async () => {
    if (saved === undefined) delete process.env[ENV.recvSpinUs];
    else process.env[ENV.recvSpinUs] = saved;
    await open?.endpoint.close();
    open = undefined;
  });
  return (spinMicros) => {
    process.env[ENV.recvSpinUs] = String(spinMicros);
    const t = new ScriptedTransport();
    open = openRank(t);
    return { ...open, t };
  };
}
