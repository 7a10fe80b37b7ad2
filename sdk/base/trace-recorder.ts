import type { CallEvent, FrameEvent, RankTrace } from './rank-trace.js';

/** Numbers kept per frame: kind, time, peer, sequence, tag, bytes. */
const FRAME_STRIDE = 6;

/** What a rank records: `trace` keeps every event for the timeline, `profile` adds call sites. */
export interface RecorderOptions {
  profile?: boolean;
}

/**
 * One rank's event recorder. Layers hold `Recorder | undefined` and test it once per event, so
 * a rank that does not trace pays one comparison per call site.
 *
 * Invariant: `calls` are in start order; an entry's `t1` is NaN until its call settles (set by
 * the call's completion), so a slice still open when the rank reports is closed at `jobEndMs`.
 */
export class Recorder {
  readonly rank: number;
  readonly sites: boolean;
  readonly #calls: CallEvent[] = [];
  /**
   * Frames in columns, not objects: a rank sends and receives several frames per call, and
   * keeping each as a live object made every young-generation GC copy them all (tracing cost
   * +86% on a 2-rank allreduce loop). `#frameNums` holds FRAME_STRIDE numbers per frame,
   * `#frameCtx` the index of its context in `#contexts`.
   */
  #frameNums = new Float64Array(FRAME_STRIDE * 1024);
  #frameCtx = new Int32Array(1024);
  #frameCount = 0;
  readonly #contexts: string[] = [];
  readonly #contextIndex = new Map<string, number>();
  #jobStart = Number.NaN;
  #jobEnd = Number.NaN;
  /** Encoded bytes sent so far: a call's bytes are the difference over its synchronous part. */
  bytesSent = 0;
  /** True during the synchronous part of a recorded call: calls it makes are not recorded again. */
  inCall = false;

  constructor(rank: number, options: RecorderOptions = {}) {
    this.rank = rank;
    this.sites = options.profile === true;
  }

  jobStarted(): void {
    this.#jobStart = performance.now();
  }

  jobEnded(): void {
    this.#jobEnd = performance.now();
  }

  /** Opens a call slice; the caller fills its end times. */
  call(e: CallEvent): void {
    this.#calls.push(e);
  }

  frameSent(dst: number, seq: number, ctx: string, tag: number, bytes: number): void {
    this.bytesSent += bytes;
    this.#frame(0, dst, seq, ctx, tag, bytes);
  }

  frameReceived(src: number, seq: number, ctx: string, tag: number, bytes: number): void {
    this.#frame(1, src, seq, ctx, tag, bytes);
  }

  #frame(kind: 0 | 1, peer: number, seq: number, ctx: string, tag: number, bytes: number): void {
    const i = this.#frameCount++;
    if (i === this.#frameCtx.length) {
      const nums = new Float64Array(this.#frameNums.length * 2);
      nums.set(this.#frameNums);
      this.#frameNums = nums;
      const ctxs = new Int32Array(this.#frameCtx.length * 2);
      ctxs.set(this.#frameCtx);
      this.#frameCtx = ctxs;
    }
    let c = this.#contextIndex.get(ctx);
    if (c === undefined) {
      c = this.#contexts.push(ctx) - 1;
      this.#contextIndex.set(ctx, c);
    }
    this.#frameCtx[i] = c;
    const o = i * FRAME_STRIDE;
    const nums = this.#frameNums;
    nums[o] = kind;
    nums[o + 1] = performance.now();
    nums[o + 2] = peer;
    nums[o + 3] = seq;
    nums[o + 4] = tag;
    nums[o + 5] = bytes;
  }

  /** The frames as events, in the order they were recorded. */
  #frameEvents(): FrameEvent[] {
    const nums = this.#frameNums;
    const out: FrameEvent[] = new Array(this.#frameCount);
    for (let i = 0; i < this.#frameCount; i++) {
      const o = i * FRAME_STRIDE;
      out[i] = {
        k: nums[o] as 0 | 1,
        t: nums[o + 1]!,
        p: nums[o + 2]!,
        q: nums[o + 3]!,
        c: this.#contexts[this.#frameCtx[i]!]!,
        tag: nums[o + 4]!,
        b: nums[o + 5]!,
      };
    }
    return out;
  }

  /** Everything recorded, for the rank's final report. */
  report(): RankTrace {
    const end = Number.isNaN(this.#jobEnd) ? performance.now() : this.#jobEnd;
    for (const c of this.#calls) if (Number.isNaN(c.t1)) c.t1 = Math.max(end, c.ts);
    return {
      rank: this.rank,
      timeOriginMs: performance.timeOrigin,
      jobStartMs: Number.isNaN(this.#jobStart) ? end : this.#jobStart,
      jobEndMs: end,
      calls: this.#calls,
      frames: this.#frameEvents(),
    };
  }
}

const recorders = new WeakMap<object, Recorder>();

/** The recorder of a rank's endpoint, if it records. */
export function recorderOf(endpoint: object): Recorder | undefined {
  return recorders.get(endpoint);
}

/** Attaches `rec` to a rank's endpoint. */
export function attachRecorder(endpoint: object, rec: Recorder): void {
  recorders.set(endpoint, rec);
}
