import type { CallEvent, FrameEvent, RankTrace } from './rank-trace.js';

/** Numbers kept per frame: kind, time, peer, sequence, tag, bytes. */
const FRAME_STRIDE = 6;
/** Numbers kept per call: t0, ts, t1, peer, tag, bytes (NaN: absent). */
const CALL_NUMS = 6;
/** Strings kept per call, as indexes into the string table: name, comm, algorithm, site (-1: absent). */
const CALL_STRS = 4;

/** Doubles a column's capacity, keeping its contents. */
function grown<A extends Float64Array | Int32Array>(a: A): A {
  const b = new (a.constructor as new (n: number) => A)(a.length * 2);
  b.set(a);
  return b;
}

/** What a rank records: `profile` adds call sites; `frames: false` keeps no frames (no timeline). */
export interface RecorderOptions {
  profile?: boolean;
  /** Default true: every frame sent and received, for the timeline's arrows. */
  frames?: boolean;
}

/**
 * One rank's event recorder. Layers hold `Recorder | undefined` and test it once per event, so
 * a rank that does not trace pays one comparison per call site.
 *
 * Invariant: calls are in the order they were recorded (at the end of their synchronous part);
 * a call's `t1` is NaN until it settles (`callSettled`), so a slice still open when the rank
 * reports is closed at `jobEndMs`.
 *
 * Events are kept in typed-array columns, not as one object each: a traced job records a call and
 * several frames per MPI call, and live objects made every young-generation GC copy them all
 * (tracing cost +86% on a 2-rank allreduce loop, against +8% without them). They become event
 * objects once, in `report()`.
 */
export class Recorder {
  readonly rank: number;
  readonly sites: boolean;
  /** Frames are kept (a timeline is wanted); else only calls, for a profile. */
  readonly frames: boolean;
  #callNums = new Float64Array(CALL_NUMS * 1024);
  #callStrs = new Int32Array(CALL_STRS * 1024);
  #callCount = 0;
  /** FRAME_STRIDE numbers per frame; `#frameCtx`: its context's index in `#strings`. */
  #frameNums = new Float64Array(FRAME_STRIDE * 1024);
  #frameCtx = new Int32Array(1024);
  #frameCount = 0;
  /** Every distinct string the events name (calls, communicators, algorithms, sites). */
  readonly #strings: string[] = [];
  readonly #stringIndex = new Map<string, number>();
  #jobStart = Number.NaN;
  #jobEnd = Number.NaN;
  /** Encoded bytes sent so far: a call's bytes are the difference over its synchronous part. */
  bytesSent = 0;
  /** True during the synchronous part of a recorded call: calls it makes are not recorded again. */
  inCall = false;
  /** Calls of this rank still in flight (promises and requests), for `overlaps`. */
  inFlight = 0;
  /** How many calls started while another was in flight: a call's own bytes are known only alone. */
  overlaps = 0;

  constructor(rank: number, options: RecorderOptions = {}) {
    this.rank = rank;
    this.sites = options.profile === true;
    this.frames = options.frames !== false;
  }

  jobStarted(): void {
    this.#jobStart = performance.now();
  }

  jobEnded(): void {
    this.#jobEnd = performance.now();
  }

  #intern(str: string | undefined): number {
    if (str === undefined) return -1;
    let i = this.#stringIndex.get(str);
    if (i === undefined) {
      i = this.#strings.push(str) - 1;
      this.#stringIndex.set(str, i);
    }
    return i;
  }

  /**
   * Records a call whose synchronous part is over (`e` is copied, not kept); returns its index
   * for {@link callSettled} when it completes later (`e.t1` NaN).
   */
  call(e: CallEvent): number {
    const i = this.#callCount++;
    if (i * CALL_NUMS === this.#callNums.length) {
      this.#callNums = grown(this.#callNums);
      this.#callStrs = grown(this.#callStrs);
    }
    const o = i * CALL_NUMS;
    const nums = this.#callNums;
    nums[o] = e.t0;
    nums[o + 1] = e.ts;
    nums[o + 2] = e.t1;
    nums[o + 3] = e.p ?? Number.NaN;
    nums[o + 4] = e.tag ?? Number.NaN;
    nums[o + 5] = e.b ?? Number.NaN;
    const so = i * CALL_STRS;
    const strs = this.#callStrs;
    strs[so] = this.#intern(e.n);
    strs[so + 1] = this.#intern(e.c);
    strs[so + 2] = this.#intern(e.a);
    strs[so + 3] = this.#intern(e.s);
    return i;
  }

  /**
   * Call `i` completed at `t1`; `bytes` is its size if the call did not know it when recorded.
   * `matched`: the message a receive took, whose source and tag replace wildcards (negative: ANY_*)
   * or defaults (not recorded) in the call's peer and tag.
   */
  callSettled(i: number, t1: number, bytes?: number, matched?: { source: number; tag: number }): void {
    const o = i * CALL_NUMS;
    const nums = this.#callNums;
    nums[o + 2] = t1;
    if (bytes !== undefined && Number.isNaN(nums[o + 5]!)) nums[o + 5] = bytes;
    if (matched === undefined) return;
    if (!(nums[o + 3]! >= 0) && matched.source >= 0) nums[o + 3] = matched.source;
    if (!(nums[o + 4]! >= 0) && matched.tag >= 0) nums[o + 4] = matched.tag;
  }

  /**
   * A non-blocking receive's message, known when it completes (after its slice was recorded): its
   * size replaces the call's bytes, and its source and tag fill a wildcard's.
   */
  callReceived(i: number, bytes: number, matched: { source?: number; tag?: number }): void {
    const o = i * CALL_NUMS;
    const nums = this.#callNums;
    nums[o + 5] = bytes;
    if (!(nums[o + 3]! >= 0) && matched.source !== undefined && matched.source >= 0)
      nums[o + 3] = matched.source;
    if (!(nums[o + 4]! >= 0) && matched.tag !== undefined && matched.tag >= 0) nums[o + 4] = matched.tag;
  }

  /** The calls as events, open ones closed at `end`. */
  #callEvents(end: number): CallEvent[] {
    const nums = this.#callNums;
    const strs = this.#callStrs;
    const out: CallEvent[] = new Array(this.#callCount);
    for (let i = 0; i < this.#callCount; i++) {
      const o = i * CALL_NUMS;
      const so = i * CALL_STRS;
      const ts = nums[o + 1]!;
      const t1 = nums[o + 2]!;
      const e: CallEvent = {
        n: this.#strings[strs[so]!]!,
        t0: nums[o]!,
        ts,
        t1: Number.isNaN(t1) ? Math.max(end, ts) : t1,
      };
      if (!Number.isNaN(nums[o + 3]!)) e.p = nums[o + 3]!;
      if (!Number.isNaN(nums[o + 4]!)) e.tag = nums[o + 4]!;
      if (!Number.isNaN(nums[o + 5]!)) e.b = nums[o + 5]!;
      if (strs[so + 1]! >= 0) e.c = this.#strings[strs[so + 1]!]!;
      if (strs[so + 2]! >= 0) e.a = this.#strings[strs[so + 2]!]!;
      if (strs[so + 3]! >= 0) e.s = this.#strings[strs[so + 3]!]!;
      out[i] = e;
    }
    return out;
  }

  frameSent(dst: number, seq: number, ctx: string, tag: number, bytes: number): void {
    this.bytesSent += bytes;
    this.#frame(0, dst, seq, ctx, tag, bytes);
  }

  frameReceived(src: number, seq: number, ctx: string, tag: number, bytes: number): void {
    this.#frame(1, src, seq, ctx, tag, bytes);
  }

  /**
   * A receive took message `seq` from `src` now, after it had waited unexpected (it arrived before
   * any receive for it was posted): the timeline's arrow ends here, in the call that took it.
   */
  frameTaken(src: number, seq: number): void {
    this.#frame(2, src, seq, '', -1, 0);
  }

  #frame(kind: 0 | 1 | 2, peer: number, seq: number, ctx: string, tag: number, bytes: number): void {
    if (!this.frames) return;
    const i = this.#frameCount++;
    if (i === this.#frameCtx.length) {
      this.#frameNums = grown(this.#frameNums);
      this.#frameCtx = grown(this.#frameCtx);
    }
    this.#frameCtx[i] = this.#intern(ctx);
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
        k: nums[o] as 0 | 1 | 2,
        t: nums[o + 1]!,
        p: nums[o + 2]!,
        q: nums[o + 3]!,
        c: this.#strings[this.#frameCtx[i]!]!,
        tag: nums[o + 4]!,
        b: nums[o + 5]!,
      };
    }
    return out;
  }

  /** Everything recorded, for the rank's final report. */
  report(): RankTrace {
    const end = Number.isNaN(this.#jobEnd) ? performance.now() : this.#jobEnd;
    return {
      rank: this.rank,
      timeOriginMs: performance.timeOrigin,
      jobStartMs: Number.isNaN(this.#jobStart) ? end : this.#jobStart,
      jobEndMs: end,
      calls: this.#callEvents(end),
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
