/**
 * The tsmpi-cloud wire format, version 1: how one value becomes bytes.
 *
 * Ours, not `v8.serialize`, so that a CLI on Node 20 and ranks on Node 24 read each other's
 * bytes. Every multi-byte number is little-endian. A message is
 *
 *     message := u8 VERSION (= 1)  value
 *
 * and a value is one tag byte followed by the tag's payload:
 *
 *   tag   name         payload
 *   0x00  UNDEFINED    -
 *   0x01  NULL         -
 *   0x02  FALSE        -
 *   0x03  TRUE         -
 *   0x04  INT8         i8                  integers in [-128, 127] (never -0)
 *   0x05  INT32        i32                 other integers in int32 range (never -0)
 *   0x06  FLOAT64      f64                 every other number: -0, NaN, ±Infinity kept bit-exact
 *   0x07  BIGINT64     i64                 bigints in int64 range
 *   0x08  BIGINT       u8 sign (0 = +, 1 = -), varint n, n bytes of magnitude (least significant first)
 *   0x09  STRING       varint n, n bytes of UTF-8
 *   0x0A  STRING16     varint n, n UTF-16 code units (2n bytes); used for strings with lone surrogates
 *
 * Objects. Each object tag below gives the object the next reference id (0, 1, 2, ... in the
 * order the tags appear), and `REF id` stands for an object already written: this is how shared
 * references and cycles keep their identity.
 *
 *   0x10  REF          varint id
 *   0x11  ARRAY        varint length, then `length` times (value | HOLE)
 *   0x12  OBJECT       varint count, then `count` times (key: STRING | STRING16, value)
 *   0x13  MAP          varint count, then `count` times (key value, value)
 *   0x14  SET          varint count, then `count` values
 *   0x15  DATE         f64 time value (NaN for an invalid Date)
 *   0x16  REGEXP       source (STRING | STRING16), flags (STRING)
 *   0x17  ERROR        name (STRING | STRING16), u8 flags (bit 0: message, bit 1: stack, bit 2: cause),
 *                      [message: STRING | STRING16], [stack: STRING | STRING16], [cause: value],
 *                      varint count, then `count` times (key, value): its other own enumerable properties.
 *                      The error takes its reference id before its cause is read, so a cause may refer
 *                      back to the error.
 *   0x18  ARRAYBUFFER  varint n, n bytes
 *   0x19  VIEW         u8 kind (see ViewKind), varint n, n bytes: a TypedArray or DataView copied whole
 *   0x1A  BOXED        a NUMBER/STRING/BOOLEAN/BIGINT value (one of the tags 0x02-0x0A): `Object(v)`
 *   0x1F  HOLE         only as an ARRAY element: the index is absent (a sparse array's hole)
 *
 * varint: unsigned LEB128, 7 bits per byte, least significant group first, at most 8 bytes, at most
 * 2^53 - 1. A length always precedes what it measures, so a reader checks it against the bytes left
 * before it allocates anything.
 *
 * A change to anything above is a new VERSION: readers reject versions they do not know.
 */

export const VERSION = 1;

export const Tag = {
  UNDEFINED: 0x00,
  NULL: 0x01,
  FALSE: 0x02,
  TRUE: 0x03,
  INT8: 0x04,
  INT32: 0x05,
  FLOAT64: 0x06,
  BIGINT64: 0x07,
  BIGINT: 0x08,
  STRING: 0x09,
  STRING16: 0x0a,
  REF: 0x10,
  ARRAY: 0x11,
  OBJECT: 0x12,
  MAP: 0x13,
  SET: 0x14,
  DATE: 0x15,
  REGEXP: 0x16,
  ERROR: 0x17,
  ARRAYBUFFER: 0x18,
  VIEW: 0x19,
  BOXED: 0x1a,
  HOLE: 0x1f,
} as const;

/** Bits of the ERROR flags byte. */
export const ErrorFlag = { MESSAGE: 1, STACK: 2, CAUSE: 4 } as const;

/**
 * The `kind` byte of a VIEW. Codes are fixed forever; a new view type takes a new code.
 * Index i of VIEW_NAMES is the name of kind i.
 */
export const VIEW_NAMES = [
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'Float16Array',
  'DataView',
] as const;

export type ViewName = (typeof VIEW_NAMES)[number];

/** Bytes per element of each view kind, by kind code (1 for DataView). */
export const VIEW_ELEMENT_SIZES: readonly number[] = [1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8, 2, 1];

/** The kind code of DataView: the last entry of VIEW_NAMES. */
export const DATAVIEW_KIND = VIEW_NAMES.length - 1;

/** Objects nested deeper than this are refused on encode and treated as corrupt on decode. */
export const MAX_DEPTH = 2000;

/** True on the hosts Node runs on today (x64, arm64); byte order is then copied, not converted. */
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reverses the byte order of each `size`-byte element of `bytes`, in place. Converts TypedArray
 * contents between the host's byte order and the wire's on big-endian hosts.
 */
export function swapByteOrder(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}
