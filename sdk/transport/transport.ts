/**
 * What `send` (or `sendv`) may return when it handed the frame off before returning: one shared,
 * resolved promise, so a caller that must mark every send promise as handled (collectives) can
 * tell it needs nothing.
 */
export const SENT: Promise<void> = Promise.resolve();

/**
 * The Transport interface: how one rank's frames reach another rank.
 *
 * A transport moves opaque byte frames between the ranks of one job. It may batch, delay,
 * duplicate and reorder frames (SQS standard queues do all four); it must never corrupt or
 * silently drop one. Exactly-once, in-order delivery is the channel layer's job (`sdk/channel`),
 * which sits on top of every transport, so a transport stays a thin adapter.
 */
export interface Transport {
  /** This endpoint's rank in the job (its world rank). */
  readonly rank: number;
  /** Number of ranks in the job. */
  readonly size: number;
  /** A short name for stats and logs: `memory`, `sqs`, `loopback`. */
  readonly kind: string;

  /**
   * Hands `frame` over for delivery to rank `dst` (which may equal `rank`). Resolves when the
   * transport has taken responsibility for it (buffered-send semantics): the caller may reuse
   * nothing it passed, the frame is the transport's from now on. Rejects only if delivery is
   * impossible (the peer's queue is gone, credentials are bad), with an Error that says why.
   */
  send(dst: number, frame: Uint8Array): Promise<void>;

  /**
   * Optional: sends the concatenation of `parts` as one frame, without first joining them. Unlike
   * `send`, the parts stay the caller's: the transport copies what it needs before returning.
   */
  sendv?(dst: number, parts: readonly Uint8Array[]): Promise<void>;

  /**
   * Optional: hands one data message to rank `dst`'s endpoint when it runs in this thread,
   * without building frame bytes: `header` goes as the object it is (the caller never touches it
   * again) and the payload (`payload`, or the concatenation of its parts) is copied once before
   * this returns. The receiver's transport gives both to the `onLocal` it was started with, in
   * order with what it delivers from this sender. Returns false, having done nothing, when that
   * cannot be done now (`dst` is not open in this thread or was started without `onLocal`, or
   * frames sent to it earlier are still on their way): then send the frame as usual.
   */
  sendLocal?(dst: number, header: object, payload: Uint8Array | readonly Uint8Array[]): boolean;

  /**
   * Optional: a frame delivered to `onFrames` (or any view of its buffer) whose bytes nobody will
   * read again; the transport may reuse its memory for a later frame.
   */
  release?(frame: Uint8Array): void;

  /**
   * Starts delivery of incoming frames to `onFrames`, which the transport calls with one or more
   * frames at a time, in any order. `onError` receives fatal transport failures (the rank's own
   * queue deleted mid-job, say); after it fires the transport delivers nothing more. `onLocal`
   * (transports with `sendLocal` only) receives what other endpoints of this thread sent with
   * `sendLocal`: their header object and a copy of the payload, which `release` takes back.
   */
  start(
    onFrames: (frames: Uint8Array[]) => void,
    onError: (err: Error) => void,
    onLocal?: (header: object, payload: Uint8Array) => void,
  ): void;

  /**
   * Optional: synchronously delivers whatever has already arrived (calling `onFrames`), so that
   * `iprobe` and `Request.test` can make progress without yielding to the event loop. Returns
   * whether anything was delivered.
   */
  poll?(): boolean;

  /**
   * Optional: while `onFrames` runs with frames that woke a parked receiver, when they arrived
   * (this thread's `performance.now()`), earlier than now by the wake-up's latency; otherwise
   * undefined. A caller that busy-polled and missed them judges by it how late they really were.
   */
  arrivedAt?(): number | undefined;

  /**
   * Optional: while the rank this endpoint last sent to has much of it still to read (a large
   * frame part way through), how far its reading has got: a position that moves as it reads.
   * Undefined once little or nothing is left. A receiver waiting for that rank's answer knows
   * the answer cannot come sooner, and that the rank is running while the position moves.
   */
  readingSent?(): number | undefined;

  /**
   * Optional: lets the layer above choose where large incoming frames land, so a receive that is
   * already waiting gets the bytes in its own buffer with one copy, not two (see `FramePlacer`).
   * A transport that has this calls `placer` when a large frame starts to arrive.
   */
  setPlacer?(placer: FramePlacer): void;

  /**
   * Optional: the node world rank `rank` runs on (ranks of one node share memory; see
   * `comm.splitType`). The same answer on every rank. Absent: one rank per node.
   */
  nodeOf?(rank: number): number;

  /**
   * Optional: the thread world rank `rank` runs in, where ranks share threads (the local backend
   * once ranks outnumber cores). A hop between ranks of one thread costs no wake-up, so fixed
   * collectives run in two levels over threads. The same answer on every rank.
   */
  threadOf?(rank: number): number;

  /** Stops receiving, flushes nothing further, releases timers, sockets and handles. Idempotent. */
  close(): Promise<void>;

  /** Optional counters for the run's `stats`. */
  stats?(): TransportStats;
}

export interface TransportStats {
  /** API calls by action, e.g. `{ SendMessageBatch: 12, ReceiveMessage: 30 }`. */
  calls: Record<string, number>;
  /** Frames sent by this endpoint. */
  messagesSent: number;
  /** Payload bytes sent by this endpoint. */
  bytesSent: number;
  /** Frames received (before de-duplication). */
  messagesReceived: number;
  /** Payloads offloaded to object storage. */
  offloads?: number;
  /** Other transport-specific counters. */
  [key: string]: unknown;
}

/**
 * Where the bytes of one incoming frame go, instead of a buffer of the transport's own: frame
 * bytes [0, head.length) into `head`, the rest into `body` (frame byte head.length + i into
 * body[i]). When the last byte is in, the transport delivers `head` to `onFrames` as the frame,
 * in the frame's place among the others; nothing is delivered for a frame that never completes.
 */
export interface FramePlacement {
  readonly head: Uint8Array;
  readonly body: Uint8Array;
}

/**
 * Asked when a frame of `total` bytes from rank `src` starts to arrive, once every earlier frame
 * from `src` has been delivered (frames from one source reach `onFrames` in the order they came,
 * placed or not); `first` holds the frame's first bytes (as many as the transport has at once: a
 * frame header may not be all there). Returns undefined to let the transport buffer the frame as
 * usual. `first` is only valid during the call.
 */
export type FramePlacer = (src: number, first: Uint8Array, total: number) => FramePlacement | undefined;
