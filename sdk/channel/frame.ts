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
  writeHead(out, h, cb);
  out.set(payload, HEADER_BYTES + cb.length);
  return out;
}

/** The bytes of a frame before its payload (header and context id), for a gathered send. */
export function writeFrameHead(h: FrameHeader): Uint8Array {
  const cb = ctxBytes(h.ctx);
  const out = new Uint8Array(HEADER_BYTES + cb.length);
  writeHead(out, h, cb);
  return out;
}

/** Header and context id, byte by byte (little-endian): no DataView per frame. */
function writeHead(out: Uint8Array, h: FrameHeader, cb: Uint8Array): void {
  out[0] = FRAME_VERSION;
  out[1] = h.kind;
  out[2] = cb.length & 0xff;
  out[3] = cb.length >>> 8;
  put32(out, 4, h.src);
  put32(out, 8, h.seq);
  put32(out, 12, h.tag);
  if (cb.length === 1) out[HEADER_BYTES] = cb[0]!;
  else out.set(cb, HEADER_BYTES);
}

function put32(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 24) & 0xff;
}

function get32(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);
}

/** Recently decoded context ids with their bytes: a rank talks on a few contexts, over and over. */
const CTX_CACHE_SIZE = 8;
const decodedCtxBytes: Uint8Array[] = [];
const decodedCtx: string[] = [];

/** The context id at `frame[from, to)`, decoded once per distinct id while it stays in the cache. */
function readCtx(frame: Uint8Array, from: number, to: number): string {
  const n = to - from;
  for (let i = 0; i < decodedCtxBytes.length; i++) {
    const b = decodedCtxBytes[i]!;
    if (b.length !== n) continue;
    let j = 0;
    while (j < n && b[j] === frame[from + j]) j++;
    if (j === n) return decodedCtx[i]!;
  }
  const ctx = utf8d.decode(frame.subarray(from, to));
  if (decodedCtxBytes.length === CTX_CACHE_SIZE) {
    decodedCtxBytes.pop();
    decodedCtx.pop();
  }
  decodedCtxBytes.unshift(frame.slice(from, to));
  decodedCtx.unshift(ctx);
  return ctx;
}

export interface ParsedFrame extends FrameHeader {
  payload: Uint8Array;
}

/** Parses a frame; throws an Error naming the problem on a malformed one. The payload is a view. */
export function readFrame(frame: Uint8Array): ParsedFrame {
  if (frame.length < HEADER_BYTES)
    throw new Error(`malformed frame: ${frame.length} bytes is shorter than a header`);
  if (frame[0] !== FRAME_VERSION) throw new Error(`malformed frame: unknown version ${frame[0]}`);
  const kind = frame[1] as FrameKind;
  const ctxLen = frame[2]! | (frame[3]! << 8);
  if (HEADER_BYTES + ctxLen > frame.length) throw new Error('malformed frame: context id runs past the end');
  return {
    kind,
    src: get32(frame, 4) >>> 0,
    seq: get32(frame, 8) >>> 0,
    tag: get32(frame, 12),
    ctx: readCtx(frame, HEADER_BYTES, HEADER_BYTES + ctxLen),
    payload: frame.subarray(HEADER_BYTES + ctxLen),
  };
}
