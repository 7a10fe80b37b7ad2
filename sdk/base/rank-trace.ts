/**
 * What a run asks its ranks to record: `profile` adds call sites; `timeline: false` (`--profile`
 * without `--trace`) keeps no frames and sends back only the rank's profile part (absent: true).
 */
export interface RecordRequest {
  profile: boolean;
  timeline?: boolean;
}

/**
 * What one rank recorded, as it travels back to the launcher (structured-cloneable, compact).
 * Times are this rank's `performance.now()` in ms; `timeOriginMs` turns them into epoch time.
 */
export interface RankTrace {
  /** World rank. */
  rank: number;
  /** This rank's `performance.timeOrigin` (epoch ms): `timeOriginMs + t` is the epoch time of `t`. */
  timeOriginMs: number;
  /** When the job body started and ended on this rank (its clock). */
  jobStartMs: number;
  jobEndMs: number;
  /** One entry per MPI call made by the user's job (calls inside calls are not repeated). */
  calls: CallEvent[];
  /** One entry per data frame sent or released to the matching engine. */
  frames: FrameEvent[];
}

/** One MPI call: a slice of the rank's timeline. */
export interface CallEvent {
  /** Method name, e.g. `allreduce`, `Isend`, `wait`. */
  n: string;
  /** Start, end of the synchronous part, end (ms, the rank's clock). `t1` is NaN until it settles. */
  t0: number;
  ts: number;
  t1: number;
  /** Peer (communicator rank) of a point-to-point call, root of a rooted collective. */
  p?: number;
  tag?: number;
  /** Bytes the call carried (a buffer's size, a message's encoded size). */
  b?: number;
  /** Communicator: `w` for the world, `w.1`, `w.1.2` for those derived from it (a split's part with its color: `w.2:c1`). */
  c?: string;
  /** Collective algorithm chosen, e.g. `2-nomial`. */
  a?: string;
  /** Call site in the user's job (`file:line`), captured only when profiling. */
  s?: string;
}

/**
 * A data frame: `k` 0 sent to `p`, 1 received from `p` (released to matching), 2 taken by a
 * receive after it waited unexpected (only then; `c`, `tag`, `b` are empty); (`src`, `dst`, `q`)
 * names the message.
 */
export interface FrameEvent {
  k: 0 | 1 | 2;
  t: number;
  /** The other end (world rank). */
  p: number;
  /** Channel sequence number (per sender/receiver pair). */
  q: number;
  /** Context (communicator) of the message. */
  c: string;
  tag: number;
  b: number;
}
