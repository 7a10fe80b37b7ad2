import { availableParallelism } from 'node:os';
import { checkOptions } from '../../base/check-options.js';
import { describeValue } from '../../base/describe-value.js';
import {
  type FramePlacement,
  type FramePlacer,
  SENT,
  type Transport,
  type TransportStats,
} from '../transport.js';
import { AdaptiveSpin } from './adaptive-spin.js';
import { FramePool } from './frame-pool.js';
import { checkSpinMicros, type MemoryFabric } from './memory-fabric.js';
import { MemoryTransportError } from './memory-transport-error.js';
import { CONTROL_BYTES, Ring, WRITE_PEER_CLOSED } from './ring.js';
import { SendQueues, snapshot } from './send-queues.js';
import { sharedMicros } from './shared-clock.js';

export interface MemoryTransportOptions {
  /**
   * After each send or delivery, keep polling the inbound ring for up to this many microseconds
   * before parking on `Atomics.waitAsync`, in slices that yield to the event loop between them.
   * A spinning rank sees a frame ~1 µs after it is written; a parked one is woken through its
   * event loop, ~10-30 µs later. The window adapts below this cap: it doubles when a frame
   * arrives within it and halves (down to 5 µs) when it runs out, so a rank whose peer is not
   * running (cores shared with other work) stops stealing the CPU that peer needs.
   * A number in [0, 1e6]; 0 turns spinning off.
   * Default: the fabric's `spinMicros` if it has one; else 100 (DEFAULT_SPIN_MICROS) if the job
   * has no more threads than the machine has cores (ranks / the fabric's `ranksPerThread`) and
   * this thread runs no more open endpoints than the fabric places in one; else 0 (then spinning
   * would only steal the CPU from the rank that is to answer). Endpoints that share a thread spin
   * in short slices, taking turns.
   */
  spinMicros?: number;
  /**
   * A frame to an endpoint of the same fabric open in this thread skips the ring: it is copied
   * once into the destination's inbox and delivered from a microtask (no atomics, no futex
   * wake-up, no turn of the event loop). Ranks share threads once they outnumber cores, so most
   * hops of a collective stay in one thread. Default true; false sends everything through the
   * rings (for tests of the rings themselves).
   */
  sameThreadDirect?: boolean;
}

// For launchers that take the fabric and the endpoint from one place.
export { createMemoryFabric, type MemoryFabric, type MemoryFabricOptions } from './memory-fabric.js';

/** `readingSent` reports a reader only while this many bytes we sent it, or more, are unread. */
const READING_FROM = 16 * 1024;
/** Spinning budget when `spinMicros` is not given and spinning pays (see the option). */
export const DEFAULT_SPIN_MICROS = 100;
/** Longest stretch a spinning endpoint holds the thread before yielding to the event loop. */
const SPIN_SLICE_MS = 0.05;
/**
 * The slice where endpoints share the thread: one pass over its own ring per turn, so a frame for
 * one endpoint is never kept waiting through another's slice (they all step in each turn).
 */
const SHARED_SPIN_SLICE_MS = 0;
const OPTION_KEYS = new Set(['spinMicros', 'sameThreadDirect']);
/**
 * Same-thread deliveries chained through microtasks before one waits for the event loop's next
 * turn, so ranks of one thread that only talk to each other never starve timers and I/O.
 */
const MICROTASK_BURST = 64;
/**
 * Schedules same-thread deliveries: a reaction to a settled promise is a microtask as
 * `queueMicrotask`'s callback is, in the same order, without the AsyncResource Node makes per
 * `queueMicrotask` call (~2x its cost on Node 20).
 */
const RESOLVED = Promise.resolve();
/** Period of the keep-alive timer: it never fires in practice, it only holds the loop open. */
const KEEP_ALIVE_MS = 2 ** 31 - 1;

/** Open endpoints in this thread (module state is per thread): see auto-spin in `spinMicros`. */
let endpointsInThread = 0;
/** This thread's open endpoints by fabric (the fabric's arena, or its array of rings), by rank. */
const threadPeers = new WeakMap<object, (MemoryTransport | undefined)[]>();
/** Endpoints of this thread with frames in their inbox and a delivery scheduled. */
let inboxesDue: MemoryTransport[] = [];
/** Endpoints of this thread whose spin step runs in the next spin turn (see `#queueSpinStep`). */
let spinQueue: MemoryTransport[] = [];
let spareSpinQueue: MemoryTransport[] = [];
let spinTurnQueued = false;
let inboxFlushQueued = false;
/** Microtask deliveries since the event loop last turned (see MICROTASK_BURST). */
let burst = 0;
let burstResetQueued = false;
const resetBurst = (): void => {
  burstResetQueued = false;
  burst = 0;
};

/** receiving: idle (before start) → spinning ⇄ armed → stopped (after onError) / closed. */
type Mode = 'idle' | 'spinning' | 'armed' | 'stopped' | 'closed';

/**
 * The transport between worker threads of one machine: every rank owns an inbound ring in
 * shared memory (see `ring.ts`) that any rank appends to, so a frame crosses threads with one
 * copy in and one copy out, no postMessage.
 *
 * - `send()` resolves once the whole frame is in the destination's ring, so a completed send
 *   survives this rank closing or exiting. It never blocks the thread: a frame that does not fit
 *   waits in a per-destination FIFO, resumed when the destination frees space; frames bigger
 *   than the ring go through in chunks. Per (source, destination) frames arrive in send order.
 * - Receiving spins (see `spinMicros`) then parks on `Atomics.waitAsync`; each wake-up drains
 *   everything present and hands the completed frames to `onFrames` in one batch.
 * - Between endpoints of one fabric open in the same thread (ranks sharing a thread), a frame
 *   skips the ring (see `sameThreadDirect`): one copy into the destination's inbox, delivered
 *   after what its ring holds, and only once the ring holds none of the sender's earlier frames.
 * - While started, and while sends wait for space, the endpoint keeps its thread's event loop
 *   alive (as a listening socket does: a pending `Atomics.waitAsync` alone does not on Node 20).
 *   `close()` releases it, so a worker whose work is done exits by itself.
 *
 * @example
 * // parent: const fabric = createMemoryFabric(2); new Worker(url, { workerData: { fabric, rank } })
 * const t = new MemoryTransport(workerData.fabric, workerData.rank);
 * t.start((frames) => console.log(frames.length, 'frames'), (err) => console.error(err));
 * await t.send(1 - t.rank, new Uint8Array([1, 2, 3]));
 * await t.close();
 */
export class MemoryTransport implements Transport {
  readonly kind = 'memory';
  readonly rank: number;
  readonly size: number;
  readonly #buffers: readonly SharedArrayBuffer[];
  /** The fabric's single buffer of rings, when packed (then `#buffers` is empty). */
  readonly #arena: SharedArrayBuffer | undefined;
  readonly #ringBytes: number;
  /** Producer views of the destinations' rings, made on first use; `#rings[rank]` is `#own`. */
  readonly #rings: (Ring | undefined)[];
  readonly #own: Ring;
  readonly #spinPolicy: AdaptiveSpin;
  readonly #ranksPerThread: number;

  #mode: Mode = 'idle';
  #closed = false;
  #closing: Promise<void> | undefined;
  #onFrames: ((frames: Uint8Array[]) => void) | undefined;
  #onError: ((err: Error) => void) | undefined;
  #delivering = false;
  #spinUntil = 0;
  /** When the current (or last) spinning window began. */
  #spinFrom = 0;
  /** This endpoint's next spin step is queued for the thread's next spin turn. */
  #spinDue = false;
  /** While frames that woke this endpoint are delivered: when they came (see `arrivedAt`). */
  #arrivedAt: number | undefined;
  /** The outstanding `waitAsync` on our DATA_SEQ: at most one at a time. */
  #dataWait: Promise<void> | undefined;
  /** Open endpoints of this fabric in this thread, by rank (undefined: same-thread path off). */
  readonly #peers: (MemoryTransport | undefined)[] | undefined;
  /**
   * Frames from endpoints of this thread, delivered after what the ring holds, and the payloads
   * of their `sendLocal` messages: `#inboxHeads[i]` is the message's header, or undefined for a
   * frame.
   */
  #inbox: Uint8Array[] = [];
  #inboxHeads: (object | undefined)[] = [];
  /** How many of `#inbox` are `sendLocal` messages. */
  #inboxLocal = 0;
  #onLocal: ((header: object, payload: Uint8Array) => void) | undefined;
  /** Whether this endpoint is in `inboxesDue`. */
  #inboxDue = false;
  #directSent = 0;
  #directReceived = 0;

  /** Sends waiting for ring space, per destination. */
  readonly #waiting: SendQueues;
  readonly #keepAlive: NodeJS.Timeout;
  readonly #pool = new FramePool();
  /** Where large frames may go instead of the pool (see `setPlacer`). */
  #placer: FramePlacer | undefined;
  #placedFrames = 0;

  #messagesSent = 0;
  #bytesSent = 0;
  #messagesReceived = 0;
  #bytesReceived = 0;
  #wakeups = 0;
  /** The rank of the last `send`, -1 before the first (see `readingSent`). */
  #lastDst = -1;
  #spinDeliveries = 0;

  constructor(fabric: MemoryFabric, rank: number, options: MemoryTransportOptions = {}) {
    if (
      typeof fabric !== 'object' ||
      fabric === null ||
      fabric.kind !== 'tsmpi-memory-fabric' ||
      !Array.isArray(fabric.rings) ||
      (fabric.arena === undefined
        ? fabric.rings.length !== fabric.size
        : !(fabric.arena instanceof SharedArrayBuffer) || fabric.rings.length !== 0)
    ) {
      throw new TypeError(
        `Expected \`fabric\` to be made by \`createMemoryFabric\`, got ${describeValue(fabric)}`,
      );
    }
    if (!Number.isInteger(rank) || rank < 0 || rank >= fabric.size) {
      throw new RangeError(
        `Expected \`rank\` to be an integer in [0, ${fabric.size}), got ${describeValue(rank)}`,
      );
    }
    checkOptions('MemoryTransport', options, OPTION_KEYS);
    const spin = options.spinMicros ?? fabric.spinMicros;
    checkSpinMicros(spin);
    this.rank = rank;
    this.size = fabric.size;
    this.#buffers = fabric.rings;
    this.#arena = fabric.arena;
    this.#ringBytes = fabric.ringBytes;
    this.#ranksPerThread = fabric.ranksPerThread ?? 1;
    this.#rings = new Array(this.size).fill(undefined);
    this.#own = this.#ring(rank);
    if (!this.#own.attach()) {
      throw new MemoryTransportError(
        'STATE',
        `Rank ${rank} of this fabric already has an endpoint (open or closed): each rank's ring ` +
          'serves one endpoint; make a new fabric for a new job',
      );
    }
    const explicitMs = spin === undefined ? undefined : spin / 1000;
    const perThread = this.#ranksPerThread;
    const autoSpin = Math.ceil(this.size / perThread) <= availableParallelism();
    // Auto-spin needs this thread to run no more endpoints than the launcher placed in it.
    this.#spinPolicy = new AdaptiveSpin(
      () => explicitMs ?? (autoSpin && endpointsInThread <= perThread ? DEFAULT_SPIN_MICROS / 1000 : 0),
    );
    this.#waiting = new SendQueues(this.size, {
      rank,
      ring: (dst) => this.#ring(dst),
      peerClosedError: (dst) => this.#peerClosedError(dst),
      onBlockedChange: () => this.#updateKeepAlive(),
    });
    this.#keepAlive = setInterval(() => {}, KEEP_ALIVE_MS);
    this.#keepAlive.unref();
    endpointsInThread++;
    if (options.sameThreadDirect !== false) {
      const key = fabric.arena ?? fabric.rings;
      let peers = threadPeers.get(key);
      if (peers === undefined) threadPeers.set(key, (peers = []));
      peers[rank] = this;
      this.#peers = peers;
    }
  }

  /**
   * Writes `frame` into `dst`'s ring (it may be `rank` itself). Resolves when all of it is there;
   * the transport keeps a reference to `frame` until then, so do not modify it. Rejects with a
   * MemoryTransportError: 'CLOSED' if this endpoint is closed before that, 'PEER_CLOSED' if
   * `dst`'s endpoint is (a destination that has not opened yet is fine: frames wait for it).
   */
  /** Every rank of the job runs in this process, so all share one node. */
  nodeOf(_rank: number): number {
    return 0;
  }

  /** The thread rank `rank` runs in, as the launcher placed it (see `ranksPerThread`). */
  threadOf(rank: number): number {
    return Math.floor(rank / this.#ranksPerThread);
  }

  send(dst: number, frame: Uint8Array): Promise<void> {
    if (!(frame instanceof Uint8Array)) {
      return Promise.reject(
        new TypeError(`Expected \`frame\` to be a Uint8Array, got ${describeValue(frame)}`),
      );
    }
    return this.#send(dst, [frame], frame.length, false);
  }

  /**
   * Sends the concatenation of `parts` as one frame, copying each byte once (straight into the
   * destination's ring when it has room). What cannot be written at once is copied before this
   * returns, so the caller may modify `parts` as soon as it has returned.
   */
  sendv(dst: number, parts: readonly Uint8Array[]): Promise<void> {
    let length = 0;
    for (const p of parts) {
      if (!(p instanceof Uint8Array)) {
        return Promise.reject(
          new TypeError(`Expected \`parts\` to hold Uint8Arrays, got ${describeValue(p)}`),
        );
      }
      length += p.length;
    }
    return this.#send(dst, parts, length, true);
  }

  /** Hands back a received frame whose bytes nobody will read again: its buffer is reused. */
  release(frame: Uint8Array): void {
    this.#pool.release(frame);
  }

  /**
   * Asks `placer` where each large frame goes as it starts to come (see `Transport.setPlacer`):
   * a placed frame is copied once, from the ring into the placement, instead of into a pooled
   * buffer and from there wherever the receiver wanted it. Frames of this thread's other
   * endpoints (`sameThreadDirect`) and frames under 16 KiB that fit one ring record are not
   * offered (see `Ring.drain`).
   */
  setPlacer(placer: FramePlacer): void {
    this.#placer = placer;
  }

  /** `#placer`, counted: a placed frame's body bytes never pass through `#deliver`. */
  readonly #place = (src: number, first: Uint8Array, total: number): FramePlacement | undefined => {
    const placed = this.#placer!(src, first, total);
    if (placed !== undefined) {
      this.#placedFrames++;
      this.#bytesReceived += placed.body.length;
    }
    return placed;
  };

  #send(dst: number, frame: readonly Uint8Array[], length: number, borrowed: boolean): Promise<void> {
    if (!Number.isInteger(dst) || dst < 0 || dst >= this.size) {
      return Promise.reject(
        new RangeError(`Expected \`dst\` to be an integer in [0, ${this.size}), got ${describeValue(dst)}`),
      );
    }
    if (this.#closed) return Promise.reject(this.#closedError(`send to rank ${dst}`));
    this.#messagesSent++;
    this.#bytesSent += length;
    this.#lastDst = dst;
    this.#kick();
    let offset = 0;
    if (!this.#waiting.has(dst)) {
      const peer = this.#peers?.[dst];
      if (peer !== undefined && this.#ringConsumedBy(dst, peer)) {
        this.#directSent++;
        peer.#accept(copyParts(frame, length, peer.#pool.take), undefined);
        return SENT;
      }
      const ring = this.#ring(dst);
      for (;;) {
        const next = ring.write(this.rank, frame, length, offset);
        if (next === WRITE_PEER_CLOSED) return Promise.reject(this.#peerClosedError(dst));
        if (next < 0) break;
        offset = next;
        if (offset === length) return SENT;
      }
    }
    // It waits: keep a private copy of what is left of a borrowed frame.
    if (borrowed) frame = [snapshot(frame, length, offset)];
    return this.#waiting.enqueue(dst, frame, length, offset);
  }

  /**
   * Whether `peer` (open in this thread) has consumed every record we wrote to its ring, so a
   * frame handed to it directly cannot overtake one of ours still in the ring. Before `peer`
   * opened, or while sends to it waited for space, our frames went through its ring.
   */
  #ringConsumedBy(dst: number, peer: MemoryTransport): boolean {
    const ring = this.#rings[dst];
    if (ring === undefined || !ring.wrote) return true;
    // Signed distance: positions wrap at 2^32. A stale "not yet" only sends through the ring.
    if (((peer.#own.head - ring.lastWriteEnd) | 0) < 0) return false;
    ring.wrote = false;
    return true;
  }

  /**
   * See `Transport.sendLocal`. Taken where a frame would skip the ring (see `sameThreadDirect`)
   * and the destination was started with `onLocal`; the payload is copied as a frame would be.
   */
  sendLocal(dst: number, header: object, payload: Uint8Array | readonly Uint8Array[]): boolean {
    if (this.#closed || this.#waiting.has(dst)) return false;
    const peer = this.#peers?.[dst];
    if (peer === undefined || peer.#onLocal === undefined || !this.#ringConsumedBy(dst, peer)) return false;
    let copy: Uint8Array;
    if (payload instanceof Uint8Array) {
      copy = peer.#pool.take(payload.length);
      copy.set(payload);
    } else {
      let length = 0;
      for (const p of payload) length += p.length;
      copy = copyParts(payload, length, peer.#pool.take);
    }
    this.#messagesSent++;
    this.#bytesSent += copy.length;
    this.#lastDst = dst;
    this.#kick();
    this.#directSent++;
    peer.#accept(copy, header);
    return true;
  }

  /**
   * A frame (or, with `header`, a `sendLocal` payload) from an endpoint of this thread: delivered
   * from a microtask (or when we start).
   */
  #accept(frame: Uint8Array, header: object | undefined): void {
    // A receiver that failed delivers nothing more (as its ring would not): do not hoard frames.
    if (this.#mode === 'stopped') return;
    this.#inbox.push(frame);
    this.#inboxHeads.push(header);
    if (header !== undefined) this.#inboxLocal++;
    if (this.#inboxDue || (this.#mode !== 'spinning' && this.#mode !== 'armed')) return;
    this.#inboxDue = true;
    inboxesDue.push(this);
    if (inboxFlushQueued) return;
    inboxFlushQueued = true;
    if (burst < MICROTASK_BURST) {
      burst++;
      if (!burstResetQueued) {
        burstResetQueued = true;
        setImmediate(resetBurst);
      }
      RESOLVED.then(MemoryTransport.#flushInboxes);
    } else {
      setImmediate(MemoryTransport.#flushInboxes);
    }
  }

  static readonly #flushInboxes = (): void => {
    inboxFlushQueued = false;
    const due = inboxesDue;
    inboxesDue = [];
    // Nothing here throws: `poll` reports a failure through `onError`.
    for (const t of due) {
      t.#inboxDue = false;
      // `poll` delivers only while receiving (before start, frames wait for the first step).
      if (t.#inbox.length > 0) t.poll();
    }
  };

  start(
    onFrames: (frames: Uint8Array[]) => void,
    onError: (err: Error) => void,
    onLocal?: (header: object, payload: Uint8Array) => void,
  ): void {
    if (
      typeof onFrames !== 'function' ||
      typeof onError !== 'function' ||
      (onLocal !== undefined && typeof onLocal !== 'function')
    ) {
      throw new TypeError('Expected `onFrames`, `onError` and `onLocal` (if given) to be functions');
    }
    if (this.#closed) {
      throw new MemoryTransportError('STATE', `start() on closed rank ${this.rank}: make a new transport`);
    }
    if (this.#mode !== 'idle') {
      throw new MemoryTransportError('STATE', `start() called twice on rank ${this.rank}`);
    }
    this.#onFrames = onFrames;
    this.#onError = onError;
    this.#onLocal = onLocal;
    // The first step runs from the event loop: frames that arrived before start() are not
    // delivered from inside start().
    this.#openWindow(performance.now());
    this.#spin();
    this.#updateKeepAlive();
  }

  /** Delivers what is in the ring now, synchronously. False while `onFrames` runs (no re-entry). */
  poll(): boolean {
    if ((this.#mode !== 'spinning' && this.#mode !== 'armed') || this.#delivering) return false;
    return this.#deliver();
  }

  /**
   * Stops receiving, rejects sends still waiting for space (their frames are dropped; a frame
   * half through its chunks stays incomplete at the destination), cancels every pending wait and
   * releases the event loop. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    endpointsInThread--;
    if (this.#peers?.[this.rank] === this) this.#peers[this.rank] = undefined;
    this.#clearInbox();
    this.#stopReceiving('closed');
    this.#own.detach();
    const spaceWaits = this.#waiting.close((dst) => this.#closedError(`send to rank ${dst}`));
    const waits = [this.#dataWait, ...spaceWaits].filter((w) => w !== undefined);
    // The loop stays referenced until the cancelled waits have settled, so `await close()`
    // always returns.
    this.#keepAlive.ref();
    this.#closing = Promise.all(waits).then(() => clearInterval(this.#keepAlive));
    return this.#closing;
  }

  stats(): TransportStats {
    return {
      calls: {},
      messagesSent: this.#messagesSent,
      bytesSent: this.#bytesSent,
      messagesReceived: this.#messagesReceived,
      bytesReceived: this.#bytesReceived,
      /** Sends that found the ring full (or locked) and waited in the local queue. */
      queuedSends: this.#waiting.queuedSends,
      /** Times this endpoint parked on a destination's SPACE_SEQ. */
      spaceWaits: this.#waiting.spaceWaits,
      /** Times a parked receiver was woken by `Atomics.waitAsync`. */
      wakeups: this.#wakeups,
      /** Batches delivered by the spinning loop (without a wake-up). */
      spinDeliveries: this.#spinDeliveries,
      /** The adaptive spinning window now, in µs (0: spinning is off). */
      spinWindowMicros: Math.round(this.#spinPolicy.window() * 1000),
      /** Large frames received into a reused buffer. */
      pooledFrames: this.#pool.reused,
      /** Large frames received straight into the buffer of a waiting receive (see `setPlacer`). */
      placedFrames: this.#placedFrames,
      /** Frames sent to / received from endpoints of this thread without the ring. */
      directSent: this.#directSent,
      directReceived: this.#directReceived,
    };
  }

  // ---------------------------------------------------------------- sending

  #ring(rank: number): Ring {
    let ring = this.#rings[rank];
    if (ring === undefined && this.#arena !== undefined) {
      this.#rings[rank] = ring = new Ring(this.#arena, rank * (CONTROL_BYTES + this.#ringBytes));
    }
    if (ring === undefined) {
      const sab = this.#buffers[rank];
      if (!(sab instanceof SharedArrayBuffer)) {
        throw new TypeError(
          `Expected \`fabric.rings[${rank}]\` to be a SharedArrayBuffer, got ${describeValue(sab)}`,
        );
      }
      this.#rings[rank] = ring = new Ring(sab);
    }
    return ring;
  }

  #peerClosedError(dst: number): MemoryTransportError {
    return new MemoryTransportError(
      'PEER_CLOSED',
      `Cannot send to rank ${dst}: its memory transport is closed (the rank finished or failed)`,
    );
  }

  #closedError(what: string): MemoryTransportError {
    return new MemoryTransportError(
      'CLOSED',
      `Cannot ${what}: the memory transport of rank ${this.rank} is closed`,
    );
  }

  // ---------------------------------------------------------------- receiving

  /** Activity: (re)opens the spinning window, since an answer is likely to follow. */
  #kick(): void {
    if (this.#mode !== 'armed' && this.#mode !== 'spinning') return;
    const ms = this.#spinPolicy.window();
    if (ms === 0) return;
    const now = performance.now();
    this.#spinFrom = now;
    this.#spinUntil = now + ms;
    if (this.#mode === 'armed') this.#spin();
  }

  /** Starts a spinning window at `now`. */
  #openWindow(now: number): void {
    this.#spinFrom = now;
    this.#spinUntil = now + this.#spinPolicy.window();
  }

  #spin(): void {
    this.#mode = 'spinning';
    this.#own.setSleeping(false);
    this.#queueSpinStep();
  }

  /**
   * Queues this endpoint's next spin step. Every endpoint of the thread that spins takes its step
   * in one turn, from one immediate: the endpoints of a thread that runs many ranks cost one
   * event-loop callback per turn, not one each.
   */
  #queueSpinStep(): void {
    if (this.#spinDue) return;
    this.#spinDue = true;
    spinQueue.push(this);
    MemoryTransport.#queueSpinTurn();
  }

  static #queueSpinTurn(): void {
    if (spinTurnQueued) return;
    spinTurnQueued = true;
    setImmediate(MemoryTransport.#spinTurn);
  }

  static readonly #spinTurn = (): void => {
    spinTurnQueued = false;
    const due = spinQueue;
    spinQueue = spareSpinQueue;
    let i = 0;
    try {
      for (; i < due.length; i++) {
        const t = due[i]!;
        if (!t.#spinDue) continue;
        t.#spinDue = false;
        t.#spinStep();
      }
    } finally {
      // A step that threw must not strand the endpoints after it: they step in the next turn.
      if (i + 1 < due.length) {
        for (let j = i + 1; j < due.length; j++) if (due[j]!.#spinDue) spinQueue.push(due[j]!);
        MemoryTransport.#queueSpinTurn();
      }
      due.length = 0;
      spareSpinQueue = due;
    }
  };

  /**
   * One slice of spinning: deliver if something is READY, else poll until the slice ends. After
   * `woken`, what is READY came through the wait, not the spin: it does not widen the window.
   */
  readonly #spinStep = (woken?: boolean): void => {
    if (this.#mode !== 'spinning') return;
    const own = this.#own;
    let now = performance.now();
    let ready = this.#inbox.length > 0 || own.hasReady();
    if (!ready && now < this.#spinUntil) {
      const sliceEnd = Math.min(
        this.#spinUntil,
        now + (endpointsInThread > 1 ? SHARED_SPIN_SLICE_MS : SPIN_SLICE_MS),
      );
      do {
        for (let i = 0; i < 64 && !ready; i++) ready = own.hasReady();
        if (this.#waiting.blocked) this.#waiting.resumeFreed();
        now = performance.now();
      } while (!ready && now < sliceEnd && this.#mode === 'spinning');
    }
    if (ready) {
      if (woken !== true) this.#spinPolicy.adapt(true);
      if (this.#deliver() && woken !== true) this.#spinDeliveries++;
      if (this.#mode !== 'spinning') return;
      now = performance.now();
      const ms = this.#spinPolicy.window();
      if (ms > 0) {
        this.#spinFrom = now;
        this.#spinUntil = now + ms;
      }
    }
    if (now < this.#spinUntil) {
      this.#queueSpinStep();
      return;
    }
    if (!ready) this.#spinPolicy.adapt(false);
    this.#arm();
  };

  /** Parks on DATA_SEQ (sleep flag, read, check, wait: see `ring.ts`). */
  #arm(): void {
    const own = this.#own;
    this.#mode = 'armed';
    own.setSleeping(true);
    for (;;) {
      const seq = own.dataSeq();
      if (this.#inbox.length > 0 || own.hasReady()) {
        this.#spin();
        return;
      }
      // A wait that is still registered is woken by the next notify: no need for another.
      if (this.#dataWait !== undefined) return;
      const wait = own.waitData(seq);
      if (wait.async) {
        this.#dataWait = wait.value.then(this.#onDataWake);
        return;
      }
      // DATA_SEQ moved since `seq`: a record was committed meanwhile; look again.
    }
  }

  readonly #onDataWake = (): void => {
    this.#dataWait = undefined;
    if (this.#mode !== 'armed') return;
    this.#wakeups++;
    const now = performance.now();
    // The window ran out before this frame came: was it just too short? (see AdaptiveSpin.late)
    // Judged by when the frame came, which the waking producer stamped: our own wake-up takes
    // 30-50 µs on a VM, and counting it made every reply look late once both sides slept.
    const stamped = this.#own.wokenAt();
    const arrived =
      stamped === undefined
        ? now
        : Math.min(now, this.#spinFrom + ((stamped - sharedMicros(this.#spinFrom)) | 0) / 1000);
    this.#spinPolicy.late(arrived - this.#spinFrom);
    this.#openWindow(now);
    this.#mode = 'spinning';
    this.#own.setSleeping(false);
    this.#arrivedAt = arrived;
    try {
      this.#spinStep(true);
    } finally {
      this.#arrivedAt = undefined;
    }
  };

  /**
   * See `Transport.readingSent`: the last destination's HEAD (its reading position) while 16 KiB
   * or more of what we wrote to it is unread, or sends to it wait for space in its ring.
   */
  readingSent(): number | undefined {
    const dst = this.#lastDst;
    const ring = dst < 0 ? undefined : this.#rings[dst];
    if (ring === undefined) return undefined;
    const head = ring.consumedPosition();
    return ((ring.lastWriteEnd - head) | 0) >= READING_FROM || this.#waiting.has(dst) ? head : undefined;
  }

  /** See `Transport.arrivedAt`. */
  arrivedAt(): number | undefined {
    return this.#arrivedAt;
  }

  /** Drains the ring and hands completed frames to `onFrames`. Returns whether any were. */
  #deliver(): boolean {
    const frames: Uint8Array[] = [];
    try {
      this.#own.drain(frames, this.#pool.take, this.#placer === undefined ? undefined : this.#place);
    } catch (err) {
      this.#fail(err);
      return false;
    }
    // After the ring: a same-thread sender's ring frames were consumed before it sent directly.
    let direct: Uint8Array[] | undefined;
    let heads: (object | undefined)[] | undefined;
    if (this.#inbox.length > 0) {
      direct = this.#inbox;
      this.#inbox = [];
      this.#directReceived += direct.length;
      if (this.#inboxLocal === 0) {
        for (const f of direct) frames.push(f);
        direct = undefined;
        this.#inboxHeads.length = 0;
      } else {
        // Frames here came before the endpoint started (or are unsequenced aborts): they go first.
        heads = this.#inboxHeads;
        this.#inboxHeads = [];
        this.#inboxLocal = 0;
        for (let i = 0; i < direct.length; i++) if (heads[i] === undefined) frames.push(direct[i]!);
      }
    }
    if (frames.length === 0 && direct === undefined) return false;
    this.#delivering = true;
    try {
      if (frames.length > 0) {
        this.#messagesReceived += frames.length;
        for (const f of frames) this.#bytesReceived += f.length;
        this.#onFrames!(frames);
      }
      if (direct !== undefined) {
        const onLocal = this.#onLocal!;
        for (let i = 0; i < direct.length; i++) {
          const header = heads![i];
          if (header === undefined) continue;
          const payload = direct[i]!;
          this.#messagesReceived++;
          this.#bytesReceived += payload.length;
          onLocal(header, payload);
        }
      }
    } catch (err) {
      this.#fail(err);
    } finally {
      this.#delivering = false;
    }
    return true;
  }

  #clearInbox(): void {
    this.#inbox = [];
    this.#inboxHeads = [];
    this.#inboxLocal = 0;
  }

  /** A corrupt ring or a throwing `onFrames`: report once, deliver nothing more. */
  #fail(err: unknown): void {
    if (this.#mode === 'stopped' || this.#mode === 'closed') return;
    this.#stopReceiving('stopped');
    this.#onError?.(err instanceof Error ? err : new Error(String(err)));
  }

  #stopReceiving(mode: 'stopped' | 'closed'): void {
    this.#mode = mode;
    this.#clearInbox();
    this.#spinDue = false;
    this.#own.setSleeping(false);
    // Only this endpoint waits on its own DATA_SEQ: this cancels exactly our wait.
    if (this.#dataWait !== undefined) this.#own.notifyData();
    this.#updateKeepAlive();
  }

  /** Holds the event loop open while receiving or while sends wait for space. */
  #updateKeepAlive(): void {
    if (this.#closed) return;
    if (this.#mode === 'spinning' || this.#mode === 'armed' || this.#waiting.blocked) this.#keepAlive.ref();
    else this.#keepAlive.unref();
  }
}

/**
 * One copy of the concatenation of `parts` (`length` bytes), into a buffer from `take` (small
 * frames come from a slab: a `slice` of its own would cost an ArrayBuffer when it is read, see
 * `takeFromSlab`).
 */
function copyParts(
  parts: readonly Uint8Array[],
  length: number,
  take: (n: number) => Uint8Array,
): Uint8Array {
  const out = take(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
