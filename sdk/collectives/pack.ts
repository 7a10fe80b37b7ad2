/** Several encoded payloads in one: u32 count, u32 length of each, then the bytes. */
export function packParts(parts: readonly Uint8Array[]): Uint8Array {
  let total = 4 + 4 * parts.length;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, parts.length, true);
  let off = 4 + 4 * parts.length;
  parts.forEach((p, i) => {
    dv.setUint32(4 + 4 * i, p.length, true);
    out.set(p, off);
    off += p.length;
  });
  return out;
}

export function unpackParts(bytes: Uint8Array): Uint8Array[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(0, true);
  const out: Uint8Array[] = [];
  let off = 4 + 4 * n;
  for (let i = 0; i < n; i++) {
    const len = dv.getUint32(4 + 4 * i, true);
    out.push(bytes.subarray(off, off + len));
    off += len;
  }
  return out;
}
