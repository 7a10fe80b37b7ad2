/**
 * The wire layout of one frame, the unit a Transport carries. Little-endian, versioned:
 *
 *   offset size  field
 *   0      1     version (FRAME_VERSION)
 *   1      1     kind    (FrameKind)
 *   2      2     ctxLen  length of the context id in bytes (UTF-8)
 *   4      4     src     world rank of the sender
 *   8      4     seq     per (src, dst) sequence number, starting at 0, wrapping never (< 2^32 frames)
 *   12     4     tag     MPI tag (int32; collectives use their call number)
 *   16     ctxLen        context id: which communicator, p2p or collective traffic
 *   16+ctxLen    ...     payload: codec bytes (data) or kind-specific bytes (control)
 */
export const FRAME_VERSION = 1;
export const HEADER_BYTES = 16;

export const FrameKind = {
  /** A message for the matching engine. */
  Data: 0,
  /** `abort(code)` on the sender: payload is the int32 errorcode. Not sequenced. */
  Abort: 1,
  /**
   * Rank `src` has returned from its job, having sent the receiver `count` data frames in all:
   * payload is that uint32. Not sequenced (the count says when all of them are in). Sent by the
   * aws launcher, which alone hears that a Lambda rank returned (`FinishedNotices`).
   */
  Finished: 2,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export interface FrameHeader {
  kind: FrameKind;
  src: number;
  seq: number;
  tag: number;
  ctx: string;
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();
const ctxBytesCache = new Map<string, Uint8Array>();

function ctxBytes(ctx: string): Uint8Array {
  let b = ctxBytesCache.get(ctx);
  if (b === undefined) {
    b = utf8.encode(ctx);
    if (b.length > 0xffff) throw new RangeError(`context id too long (${b.length} bytes)`);
    ctxBytesCache.set(ctx, b);
  }
  return b;
}

/** Builds a frame: header, context id and payload in one fresh buffer. */
export function writeFrame(h: FrameHeader, payload: Uint8Array): Uint8Array {
  const cb = ctxBytes(h.ctx);
  const out = new Uint8Array(HEADER_BYTES + cb.length + payload.length);
  const dv = new DataView(out.buffer);
  out[0] = FRAME_VERSION;
  out[1] = h.kind;
  dv.setUint16(2, cb.length, true);
  dv.setUint32(4, h.src, true);
  dv.setUint32(8, h.seq, true);
  dv.setInt32(12, h.tag, true);
  out.set(cb, HEADER_BYTES);
  out.set(payload, HEADER_BYTES + cb.length);
  return out;
}

/** The bytes of a frame before its payload (header and context id), for a gathered send. */
export function writeFrameHead(h: FrameHeader): Uint8Array {
  const cb = ctxBytes(h.ctx);
  const out = new Uint8Array(HEADER_BYTES + cb.length);
  const dv = new DataView(out.buffer);
  out[0] = FRAME_VERSION;
  out[1] = h.kind;
  dv.setUint16(2, cb.length, true);
  dv.setUint32(4, h.src, true);
  dv.setUint32(8, h.seq, true);
  dv.setInt32(12, h.tag, true);
  out.set(cb, HEADER_BYTES);
  return out;
}

export interface ParsedFrame extends FrameHeader {
  payload: Uint8Array;
}

/** Parses a frame; throws an Error naming the problem on a malformed one. The payload is a view. */
export function readFrame(frame: Uint8Array): ParsedFrame {
  if (frame.length < HEADER_BYTES)
    throw new Error(`malformed frame: ${frame.length} bytes is shorter than a header`);
  if (frame[0] !== FRAME_VERSION) throw new Error(`malformed frame: unknown version ${frame[0]}`);
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const kind = frame[1] as FrameKind;
  const ctxLen = dv.getUint16(2, true);
  if (HEADER_BYTES + ctxLen > frame.length) throw new Error('malformed frame: context id runs past the end');
  return {
    kind,
    src: dv.getUint32(4, true),
    seq: dv.getUint32(8, true),
    tag: dv.getInt32(12, true),
    ctx: utf8d.decode(frame.subarray(HEADER_BYTES, HEADER_BYTES + ctxLen)),
    payload: frame.subarray(HEADER_BYTES + ctxLen),
  };
}
