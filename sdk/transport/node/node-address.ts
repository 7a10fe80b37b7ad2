/**
 * A frame crossing nodes travels in its node's queue with its destination rank in front of it:
 * 4 bytes, little-endian, then the frame exactly as the channel wrote it. The frame keeps its own
 * header (source, sequence number), so the node's receiver only needs the destination to route it.
 */
export const ADDRESS_BYTES = 4;

/** `parts` joined into one buffer behind the destination rank `dst` (one copy). */
export function addressFrame(dst: number, parts: readonly Uint8Array[]): Uint8Array {
  let length = ADDRESS_BYTES;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  new DataView(out.buffer).setUint32(0, dst, true);
  let at = ADDRESS_BYTES;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The destination rank and the frame (a view, no copy) of an addressed frame; undefined if too short. */
export function readAddress(bytes: Uint8Array): { dst: number; frame: Uint8Array } | undefined {
  if (bytes.length < ADDRESS_BYTES) return undefined;
  const dst = new DataView(bytes.buffer, bytes.byteOffset, ADDRESS_BYTES).getUint32(0, true);
  return { dst, frame: bytes.subarray(ADDRESS_BYTES) };
}
