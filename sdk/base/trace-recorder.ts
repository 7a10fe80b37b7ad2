import type { CallEvent, FrameEvent, RankTrace } from './rank-trace.js';

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
  readonly #frames: FrameEvent[] = [];
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
    this.#frames.push({ k: 0, t: performance.now(), p: dst, q: seq, c: ctx, tag, b: bytes });
  }

  frameReceived(src: number, seq: number, ctx: string, tag: number, bytes: number): void {
    this.#frames.push({ k: 1, t: performance.now(), p: src, q: seq, c: ctx, tag, b: bytes });
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
      frames: this.#frames,
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
