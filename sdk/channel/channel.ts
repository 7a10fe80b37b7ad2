import type { Recorder } from '../base/trace-recorder.js';
import { type FramePlacement, SENT, type Transport } from '../transport/transport.js';
import { FrameKind, type ParsedFrame, readFrame, writeFrame, writeFrameHead } from './frame.js';

/** One delivered message, in per-source order, exactly once. */
export interface Envelope {
  ctx: string;
  /** World rank of the sender. */
  src: number;
  tag: number;
  /** The message's bytes (codec), or of a placed message only those before `placed.bytes`. */
  payload: Uint8Array;
  /**
   * Set when the message's last bytes went straight into the buffer of the receive that `place`
   * chose (see `ChannelHandlers.place`): what `place` returned. The message is for that receive.
   */
  placed?: PlacedBody | undefined;
  /**
   * The message's channel sequence number, set only while the rank records (`--trace`): a
   * receive that takes it later, after it waited unexpected, records when it did.
   */
  seq?: number;
}

/**
 * Where a message's last bytes go: payload bytes [payloadOffset, payloadOffset + bytes.length),
 * which must run to the end of the payload, into `bytes`.
 */
export interface PlacedBody {
  readonly bytes: Uint8Array;
  readonly payloadOffset: number;
}

export interface ChannelHandlers {
  /** A data message, released in per-source sequence order. */
  onMessage(msg: Envelope): void;
  /** Another rank called `abort(code)`. */
  onAbort(src: number, errorcode: number): void;
  /** Rank `src` returned from its job, having sent this rank `sent` data frames in all. */
  onPeerFinished?(src: number, sent: number): void;
  /** The transport failed for good. */
  onError(err: Error): void;
  /**
   * Optional: a large data message from `src` is starting to arrive, the next one from `src` in
   * order; `payloadHead` holds its first payload bytes (maybe not all of its codec header), and
   * the payload will be `payloadLength` bytes. Returning a `PlacedBody` binds the message to a
   * receive of the handler's choosing: its last bytes go straight there, and `onMessage` gets it
   * with `placed` set. Only transports with `setPlacer` ask.
   */
  place?(
    ctx: string,
    src: number,
    tag: number,
    payloadHead: Uint8Array,
    payloadLength: number,
  ): PlacedBody | undefined;
}

export interface ChannelStats {
  messagesSent: number;
  bytesSent: number;
  messagesDelivered: number;
  duplicatesDropped: number;
  reordered: number;
}

/**
 * Reliable, ordered, exactly-once delivery over any Transport.
 *
 * Invariants: `#nextSend[dst]` is the sequence number the next frame to `dst` gets; `#nextRecv[src]`
 * is the sequence number of the next frame from `src` that may be released. A frame with a lower
 * number was released already (a duplicate: dropped); a higher one waits in `#early[src]` until the
 * gap fills. So every frame is released once, in the order it was sent, whatever the transport does.
 * Abort frames are not sequenced: they overtake on purpose.
 */
export class Channel {
  readonly #transport: Transport;
  readonly #handlers: ChannelHandlers;
  readonly #nextSend: Uint32Array;
  readonly #nextRecv: Uint32Array;
  readonly #early: (Map<number, ParsedFrame> | undefined)[];
  readonly #stats: ChannelStats = {
    messagesSent: 0,
    bytesSent: 0,
    messagesDelivered: 0,
    duplicatesDropped: 0,
    reordered: 0,
  };
  #failed: Error | undefined;
  /** Records each data frame sent and released, when the rank traces. */
  #rec: Recorder | undefined;
  /** Frames placed by `#place` and not yet in, by the head buffer the transport will deliver. */
  readonly #placed = new Map<Uint8Array, PlacedBody>();

  constructor(transport: Transport, handlers: ChannelHandlers) {
    this.#transport = transport;
    this.#handlers = handlers;
    this.#nextSend = new Uint32Array(transport.size);
    this.#nextRecv = new Uint32Array(transport.size);
    this.#early = new Array(transport.size).fill(undefined);
  }

  /** Records every data frame from now on (`--trace`, `--profile`). */
  record(rec: Recorder): void {
    this.#rec = rec;
  }

  get transport(): Transport {
    return this.#transport;
  }

  start(): void {
    if (this.#handlers.place !== undefined) this.#transport.setPlacer?.(this.#place);
    this.#transport.start(
      (frames) => {
        for (const f of frames) this.#receive(f);
      },
      (err) => {
        this.#failed = err;
        this.#handlers.onError(err);
      },
      this.#receiveLocal,
    );
  }

  /** Sends one data message; resolves when the transport accepted it. */
  send(dst: number, ctx: string, tag: number, payload: Uint8Array): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.#transport.sendLocal !== undefined && this.#sendLocal(dst, ctx, tag, payload, payload.length)) {
      return SENT;
    }
    const seq = this.#nextSend[dst]!;
    this.#nextSend[dst] = seq + 1;
    const frame = writeFrame({ kind: FrameKind.Data, src: this.#transport.rank, seq, tag, ctx }, payload);
    this.#stats.messagesSent++;
    this.#stats.bytesSent += payload.length;
    if (this.#rec !== undefined) this.#rec.frameSent(dst, seq, ctx, tag, payload.length);
    return this.#transport.send(dst, frame);
  }

  /**
   * Sends one data message given as pieces (`encodeParts`); they stay the caller's once this
   * returns. Writes header and pieces without joining them where the transport can.
   */
  sendParts(dst: number, ctx: string, tag: number, parts: readonly Uint8Array[]): Promise<void> {
    if (this.#failed) return Promise.reject(this.#failed);
    const t = this.#transport;
    if (t.sendv === undefined) return this.send(dst, ctx, tag, join(parts));
    let bytes = 0;
    for (const p of parts) bytes += p.length;
    if (t.sendLocal !== undefined && this.#sendLocal(dst, ctx, tag, parts, bytes)) return SENT;
    const seq = this.#nextSend[dst]!;
    this.#nextSend[dst] = seq + 1;
    const head = writeFrameHead({ kind: FrameKind.Data, src: t.rank, seq, tag, ctx });
    this.#stats.messagesSent++;
    this.#stats.bytesSent += bytes;
    if (this.#rec !== undefined) this.#rec.frameSent(dst, seq, ctx, tag, bytes);
    return t.sendv(dst, [head, ...parts]);
  }

  /**
   * A data message to an endpoint of this thread, as the header object and a copy of the payload
   * (see `Transport.sendLocal`): no frame bytes are written or parsed. False if the transport
   * cannot take it now.
   */
  #sendLocal(
    dst: number,
    ctx: string,
    tag: number,
    payload: Uint8Array | readonly Uint8Array[],
    bytes: number,
  ): boolean {
    const t = this.#transport;
    const seq = this.#nextSend[dst]!;
    const header: ParsedFrame = { kind: FrameKind.Data, src: t.rank, seq, tag, ctx, payload: NO_BYTES };
    if (!t.sendLocal!(dst, header, payload)) return false;
    this.#nextSend[dst] = seq + 1;
    this.#stats.messagesSent++;
    this.#stats.bytesSent += bytes;
    if (this.#rec !== undefined) this.#rec.frameSent(dst, seq, ctx, tag, bytes);
    return true;
  }

  /** A message `#sendLocal` sent from this thread: sequenced like a frame, without parsing one. */
  readonly #receiveLocal = (header: object, payload: Uint8Array): void => {
    const f = header as ParsedFrame;
    f.payload = payload;
    if (f.src >= this.#nextRecv.length) {
      this.#handlers.onError(
        new Error(`malformed frame: source rank ${f.src} is outside the job (size ${this.#nextRecv.length})`),
      );
      return;
    }
    this.#sequenced(f, undefined);
  };

  /** A frame the handlers have finished with: lets the transport reuse its memory. */
  release(payload: Uint8Array): void {
    this.#transport.release?.(payload);
  }

  /** Tells every other rank that this one aborted. Best effort: failures are ignored. */
  async broadcastAbort(errorcode: number): Promise<void> {
    const payload = new Uint8Array(4);
    new DataView(payload.buffer).setInt32(0, errorcode, true);
    const sends: Promise<void>[] = [];
    for (let dst = 0; dst < this.#transport.size; dst++) {
      if (dst === this.#transport.rank) continue;
      const frame = writeFrame(
        { kind: FrameKind.Abort, src: this.#transport.rank, seq: 0, tag: 0, ctx: '' },
        payload,
      );
      sends.push(this.#transport.send(dst, frame).catch(() => undefined));
    }
    await Promise.all(sends);
  }

  /** Makes synchronous progress when the transport supports it. */
  poll(): boolean {
    return this.#transport.poll?.() ?? false;
  }

  /** How many data messages this rank has sent to each rank so far (by world rank). */
  sentCounts(): number[] {
    return Array.from(this.#nextSend);
  }

  /** How many data messages from world rank `src` have been released here so far. */
  releasedFrom(src: number): number {
    return this.#nextRecv[src] ?? 0;
  }

  stats(): ChannelStats {
    return { ...this.#stats };
  }

  /**
   * The transport's placer (see `Transport.setPlacer`): a data frame that is the next from its
   * source may go where `handlers.place` says. Its head (frame header and the payload bytes
   * before the placed ones) comes back through `#receive` as the frame, and is matched to its
   * placement there.
   */
  readonly #place = (src: number, first: Uint8Array, total: number): FramePlacement | undefined => {
    if (this.#failed !== undefined || src >= this.#nextRecv.length) return undefined;
    let f: ParsedFrame;
    try {
      f = readFrame(first);
    } catch {
      return undefined; // #receive reports it when the whole frame is in
    }
    const early = this.#early[src];
    if (
      f.kind !== FrameKind.Data ||
      f.src !== src ||
      f.seq !== this.#nextRecv[src] ||
      (early !== undefined && early.size > 0)
    )
      return undefined;
    const payloadStart = first.length - f.payload.length;
    const body = this.#handlers.place!(f.ctx, src, f.tag, f.payload, total - payloadStart);
    if (body === undefined) return undefined;
    const head = new Uint8Array(payloadStart + body.payloadOffset);
    this.#placed.set(head, body);
    return { head, body: body.bytes };
  };

  #receive(frame: Uint8Array): void {
    let f: ParsedFrame;
    try {
      f = readFrame(frame);
    } catch (err) {
      this.#handlers.onError(err as Error);
      return;
    }
    let placed: PlacedBody | undefined;
    if (this.#placed.size > 0 && (placed = this.#placed.get(frame)) !== undefined) {
      this.#placed.delete(frame);
      // Its seq was the next from its source when `#place` saw it, and the transport delivers
      // nothing from that source in between: it is released like any frame in order.
      if (f.seq !== this.#nextRecv[f.src]) {
        this.#handlers.onError(
          new Error(
            `placed frame ${f.seq} from rank ${f.src} came out of order (expected ${this.#nextRecv[f.src]})`,
          ),
        );
        return;
      }
    }
    if (f.kind === FrameKind.Abort) {
      const code =
        f.payload.length >= 4 ? new DataView(f.payload.buffer, f.payload.byteOffset).getInt32(0, true) : 1;
      this.#handlers.onAbort(f.src, code);
      return;
    }
    if (f.kind === FrameKind.Finished) {
      if (f.payload.length < 4 || f.src >= this.#nextRecv.length) {
        this.#handlers.onError(
          new Error(`malformed frame: a finished notice of rank ${f.src} without its count`),
        );
        return;
      }
      this.#handlers.onPeerFinished?.(
        f.src,
        new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(0, true),
      );
      return;
    }
    if (f.src >= this.#nextRecv.length) {
      this.#handlers.onError(
        new Error(`malformed frame: source rank ${f.src} is outside the job (size ${this.#nextRecv.length})`),
      );
      return;
    }
    this.#sequenced(f, placed);
  }

  /** Releases a data frame in per-source order: drops a duplicate, holds an early one. */
  #sequenced(f: ParsedFrame, placed: PlacedBody | undefined): void {
    const src = f.src;
    const expected = this.#nextRecv[src]!;
    if (f.seq < expected) {
      this.#stats.duplicatesDropped++;
      return;
    }
    if (f.seq > expected) {
      let early = this.#early[src];
      if (early === undefined) this.#early[src] = early = new Map();
      if (early.has(f.seq)) this.#stats.duplicatesDropped++;
      else {
        early.set(f.seq, f);
        this.#stats.reordered++;
      }
      return;
    }
    // Advance before releasing, so a re-entrant poll() from a handler sees a consistent state.
    this.#nextRecv[src] = expected + 1;
    this.#release(f, placed);
    const early = this.#early[src];
    if (early === undefined || early.size === 0) return;
    for (let next = expected + 1, g = early.get(next); g !== undefined; g = early.get(next)) {
      early.delete(next);
      this.#nextRecv[src] = ++next;
      this.#release(g);
    }
  }

  #release(f: ParsedFrame, placed?: PlacedBody): void {
    this.#stats.messagesDelivered++;
    if (this.#rec !== undefined) {
      const bytes = f.payload.length + (placed === undefined ? 0 : placed.bytes.length);
      this.#rec.frameReceived(f.src, f.seq, f.ctx, f.tag, bytes);
      this.#handlers.onMessage({
        ctx: f.ctx,
        src: f.src,
        tag: f.tag,
        payload: f.payload,
        placed,
        seq: f.seq,
      });
      return;
    }
    this.#handlers.onMessage({ ctx: f.ctx, src: f.src, tag: f.tag, payload: f.payload, placed });
  }
}

/** The payload of a `sendLocal` header until the receiver sets it. */
const NO_BYTES = new Uint8Array(0);

function join(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
