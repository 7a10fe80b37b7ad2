import { plural } from '../base/describe-value.js';
import { ERR_OTHER, ERR_TYPE, MPIError } from '../base/errors.js';
import { allocateBytes } from './allocate.js';
import {
  DATAVIEW_KIND,
  ErrorFlag,
  LITTLE_ENDIAN_HOST,
  MAX_DEPTH,
  swapByteOrder,
  Tag,
  VERSION,
  VIEW_ELEMENT_SIZES,
  VIEW_NAMES,
} from './format.js';
import { VIEW_CONSTRUCTORS } from './typed-array.js';

const EMPTY = new Uint8Array(0);
/** Strings up to this many bytes are tried as ASCII by hand before TextDecoder is called. */
const SHORT_STRING = 16;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// 8 bytes to reassemble f64 and i64 values without a DataView per message.
const scalar = new Float64Array(1);
const scalarBytes = new Uint8Array(scalar.buffer);
const scalarBigInt = new BigInt64Array(scalar.buffer);

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

// Intrinsics, captured once, so later patches of the prototypes are never called.
const mapSet = Map.prototype.set;
const setAdd = Set.prototype.add;
const defineProperty = Object.defineProperty;

/** The constructors an ERROR may be revived with, by name; any other name gets `Error` plus that name. */
const ERROR_CONSTRUCTORS = new Map<string, ErrorConstructor>([
  ['Error', Error],
  ['EvalError', EvalError],
  ['RangeError', RangeError],
  ['ReferenceError', ReferenceError],
  ['SyntaxError', SyntaxError],
  ['TypeError', TypeError],
  ['URIError', URIError],
]);

function corrupt(message: string): MPIError {
  return new MPIError(ERR_OTHER, `corrupt message: ${message}`);
}

/**
 * Turns wire-format bytes (see format.ts) back into a value. Safe on untrusted bytes: it runs no
 * code of the message's choosing (no eval, no getters or setters, `__proto__` becomes an own
 * property), checks every length against the bytes left before allocating, caps nesting at
 * MAX_DEPTH, and fails only with MPIError. One instance is reused across calls; decoding calls no
 * user code, so it is never re-entered.
 */
const FLOAT64 = Tag.FLOAT64;

/** Where the last `readDoubles` stopped (a module variable: storing it needs no type feedback). */
let doublesEnd = 0;

/**
 * Reads consecutive FLOAT64 values at byte `p` into `a` from index `i`, up to index `n`: straight
 * from the bytes, without a call per element or a boxed number each. Returns the index it stopped
 * at and leaves the byte position in `doublesEnd`.
 */
function readDoubles(
  b: Uint8Array,
  view: DataView,
  p: number,
  end: number,
  a: unknown[],
  i: number,
  n: number,
): number {
  while (i < n && b[p] === FLOAT64 && end - p >= 9) {
    a[i++] = view.getFloat64(p + 1, true);
    p += 9;
  }
  doublesEnd = p;
  return i;
}

export class Decoder {
  #bytes: Uint8Array = EMPTY;
  #pos = 0;
  #end = 0;
  #depth = 0;
  /** Objects by reference id, in the order their tags were read. */
  #refs: unknown[] = [];
  #view: DataView | undefined;

  decode(bytes: Uint8Array): unknown {
    try {
      this.#bytes = bytes;
      this.#pos = 0;
      this.#end = bytes.length;
      this.#depth = 0;
      if (this.#end === 0) throw corrupt('empty message (no format version byte)');
      const version = bytes[0]!;
      if (version !== VERSION) {
        throw corrupt(
          `format version ${version} is not supported (this build reads version ${VERSION}): ` +
            'do all ranks and the CLI run the same tsmpi-cloud version?',
        );
      }
      this.#pos = 1;
      const value = this.#value();
      if (this.#pos !== this.#end) {
        throw corrupt(
          `${plural(this.#end - this.#pos, 'byte')} left over after the value, at byte ${this.#pos}`,
        );
      }
      return value;
    } catch (e) {
      if (e instanceof MPIError) throw e;
      // Anything else (a stack overflow, a failed allocation) still means these bytes cannot be read.
      throw new MPIError(
        ERR_OTHER,
        `corrupt message: ${String((e as Error)?.message ?? e)}, at byte ${this.#pos}`,
        {
          cause: e,
        },
      );
    } finally {
      this.#bytes = EMPTY;
      this.#view = undefined;
      this.#refs = [];
    }
  }

  /** Throws unless `n` more bytes are left. */
  #need(n: number): void {
    if (n > this.#end - this.#pos) {
      throw corrupt(
        `truncated: ${plural(n, 'byte')} needed at byte ${this.#pos}, ${this.#end - this.#pos} left`,
      );
    }
  }

  #byte(): number {
    this.#need(1);
    return this.#bytes[this.#pos++]!;
  }

  #varint(): number {
    const bytes = this.#bytes;
    let p = this.#pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (p >= this.#end) throw corrupt(`truncated: a length runs past the end, at byte ${this.#pos}`);
      const b = bytes[p++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER)
          throw corrupt(`length ${result} too large, at byte ${this.#pos}`);
        this.#pos = p;
        return result;
      }
      scale *= 0x80;
    }
    throw corrupt(`a length longer than 8 bytes, at byte ${this.#pos}`);
  }

  /** A count of items that take at least `minBytes` each, checked against the bytes left. */
  #count(minBytes: number): number {
    const at = this.#pos;
    const n = this.#varint();
    if (n * minBytes > this.#end - this.#pos) {
      throw corrupt(`length ${n} at byte ${at} exceeds the ${plural(this.#end - this.#pos, 'byte')} left`);
    }
    return n;
  }

  #enter(): void {
    if (++this.#depth > MAX_DEPTH)
      throw corrupt(`nested more than ${MAX_DEPTH} levels deep, at byte ${this.#pos}`);
  }

  #value(): unknown {
    const at = this.#pos;
    const tag = this.#byte();
    switch (tag) {
      case Tag.UNDEFINED:
        return undefined;
      case Tag.NULL:
        return null;
      case Tag.FALSE:
        return false;
      case Tag.TRUE:
        return true;
      case Tag.INT8:
        return (this.#byte() << 24) >> 24;
      case Tag.INT32: {
        this.#need(4);
        const b = this.#bytes;
        const p = this.#pos;
        this.#pos = p + 4;
        return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
      }
      case Tag.FLOAT64:
        this.#scalar();
        return scalar[0]!;
      case Tag.BIGINT64:
        this.#scalar();
        return scalarBigInt[0]!;
      case Tag.BIGINT:
        return this.#bigint();
      case Tag.STRING:
        return this.#utf8();
      case Tag.STRING16:
        return this.#utf16();
      case Tag.REF: {
        const id = this.#varint();
        if (id >= this.#refs.length)
          throw corrupt(`reference to object ${id} before it was defined, at byte ${at}`);
        return this.#refs[id];
      }
      case Tag.ARRAY:
        return this.#array();
      case Tag.OBJECT: {
        this.#enter();
        const o: Record<string, unknown> = {};
        this.#refs.push(o);
        this.#properties(o);
        this.#depth--;
        return o;
      }
      case Tag.MAP:
        return this.#map();
      case Tag.SET:
        return this.#set();
      case Tag.DATE: {
        this.#scalar();
        const d = new Date(scalar[0]!);
        this.#refs.push(d);
        return d;
      }
      case Tag.REGEXP:
        return this.#regexp();
      case Tag.ERROR:
        return this.#error();
      case Tag.ARRAYBUFFER: {
        const n = this.#count(1);
        const buffer = this.#copy(n).buffer;
        this.#refs.push(buffer);
        return buffer;
      }
      case Tag.VIEW:
        return this.#arrayBufferView();
      case Tag.BOXED:
        return this.#boxed();
      default:
        throw corrupt(`unknown tag 0x${tag.toString(16).padStart(2, '0')} at byte ${at}`);
    }
  }

  /** Moves the next 8 bytes (little-endian on the wire) into `scalar`. */
  #scalar(): void {
    this.#need(8);
    const b = this.#bytes;
    const p = this.#pos;
    if (LITTLE_ENDIAN_HOST) for (let i = 0; i < 8; i++) scalarBytes[i] = b[p + i]!;
    else for (let i = 0; i < 8; i++) scalarBytes[7 - i] = b[p + i]!;
    this.#pos = p + 8;
  }

  /** A fresh copy of the next `n` bytes (checked by the caller), in an ArrayBuffer of exactly `n` bytes. */
  #copy(n: number): Uint8Array<ArrayBuffer> {
    const copy = allocateBytes(n);
    copy.set(this.#bytes.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
    return copy;
  }

  #bigint(): bigint {
    const sign = this.#byte();
    if (sign > 1) throw corrupt(`bigint sign byte ${sign}, at byte ${this.#pos - 1}`);
    const n = this.#count(1);
    const b = this.#bytes;
    let hex = '';
    for (let i = this.#pos + n - 1; i >= this.#pos; i--) hex += HEX[b[i]!];
    this.#pos += n;
    const magnitude = n === 0 ? 0n : BigInt(`0x${hex}`);
    return sign === 1 ? -magnitude : magnitude;
  }

  #utf8(): string {
    const n = this.#count(1);
    const b = this.#bytes;
    const start = this.#pos;
    if (n <= SHORT_STRING) {
      let s = '';
      let i = 0;
      for (; i < n; i++) {
        const c = b[start + i]!;
        if (c >= 0x80) break;
        s += String.fromCharCode(c);
      }
      if (i === n) {
        this.#pos = start + n;
        return s;
      }
    }
    let s: string;
    try {
      s = utf8.decode(b.subarray(start, start + n));
    } catch {
      throw corrupt(`invalid UTF-8 in the string at byte ${start}`);
    }
    this.#pos = start + n;
    return s;
  }

  #utf16(): string {
    const n = this.#count(2);
    const b = this.#bytes;
    let p = this.#pos;
    let s = '';
    for (let i = 0; i < n; i++, p += 2) s += String.fromCharCode(b[p]! | (b[p + 1]! << 8));
    this.#pos = p;
    return s;
  }

  /** A STRING or STRING16 where only a string may stand (keys, names). */
  #string(): string {
    const at = this.#pos;
    const tag = this.#byte();
    if (tag === Tag.STRING) return this.#utf8();
    if (tag === Tag.STRING16) return this.#utf16();
    throw corrupt(`expected a string at byte ${at}, found tag 0x${tag.toString(16).padStart(2, '0')}`);
  }

  #array(): unknown[] {
    this.#enter();
    const n = this.#count(1);
    // Sized up front (n is checked against the bytes left): growing by push copies a large array
    // several times over.
    const a: unknown[] = new Array(n);
    this.#refs.push(a);
    this.#elements(a, n);
    this.#depth--;
    return a;
  }

  /**
   * The `n` elements of an array, into `a`: runs of FLOAT64 through `readDoubles`, the rest one
   * by one. Each loop here and there ends with nothing to do after it but return. On Node 20, V8
   * compiles the loop of a long first array on the stack (OSR) before any code after the loop has
   * run; such code has no type feedback, and the cached OSR code deoptimizes there again on every
   * later call (measured: once per 64 KiB message of numbers, decoding it ~3x slower).
   */
  #elements(a: unknown[], n: number): void {
    const b = this.#bytes;
    const view = this.#dataView();
    for (let i = readDoubles(b, view, this.#pos, this.#end, a, 0, n); i < n; ) {
      this.#pos = doublesEnd;
      this.#element(a, i);
      i = readDoubles(b, view, this.#pos, this.#end, a, i + 1, n);
    }
    this.#pos = doublesEnd;
  }

  /** Element `i` of an array: a value, or HOLE (the index stays absent). */
  #element(a: unknown[], i: number): void {
    if (this.#bytes[this.#pos] === Tag.HOLE) this.#pos++;
    else a[i] = this.#value();
  }

  /** A DataView of the message, made once per decode. */
  #dataView(): DataView {
    let v = this.#view;
    if (v === undefined) {
      const b = this.#bytes;
      v = this.#view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    return v;
  }

  /** A count, then key/value pairs, set as own data properties of `o`. */
  #properties(o: object): void {
    const n = this.#count(2);
    for (let i = 0; i < n; i++) {
      const key = this.#string();
      const value = this.#value();
      if (key === '__proto__') {
        // Assignment would set the prototype; the sender had an own property of that name.
        defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
      } else {
        (o as Record<string, unknown>)[key] = value;
      }
    }
  }

  #map(): Map<unknown, unknown> {
    this.#enter();
    const n = this.#count(2);
    const m = new Map<unknown, unknown>();
    this.#refs.push(m);
    for (let i = 0; i < n; i++) {
      const k = this.#value();
      mapSet.call(m, k, this.#value());
    }
    this.#depth--;
    return m;
  }

  #set(): Set<unknown> {
    this.#enter();
    const n = this.#count(1);
    const s = new Set<unknown>();
    this.#refs.push(s);
    for (let i = 0; i < n; i++) setAdd.call(s, this.#value());
    this.#depth--;
    return s;
  }

  #regexp(): RegExp {
    const at = this.#pos;
    const source = this.#string();
    const flags = this.#string();
    let re: RegExp;
    try {
      re = new RegExp(source, flags);
    } catch {
      throw corrupt(`invalid RegExp /${source.slice(0, 40)}/${flags.slice(0, 10)} at byte ${at}`);
    }
    this.#refs.push(re);
    return re;
  }

  #error(): Error {
    this.#enter();
    const name = this.#string();
    const flags = this.#byte();
    if (flags > 7) throw corrupt(`error flags 0x${flags.toString(16)}, at byte ${this.#pos - 1}`);
    const message = flags & ErrorFlag.MESSAGE ? this.#string() : undefined;
    const stack = flags & ErrorFlag.STACK ? this.#string() : undefined;
    const Ctor = ERROR_CONSTRUCTORS.get(name) ?? Error;
    const err = message === undefined ? new Ctor() : new Ctor(message);
    this.#refs.push(err);
    const hidden = { writable: true, enumerable: false, configurable: true };
    // The stack is the sender's; one captured here would only show the decoder.
    if (stack === undefined) Reflect.deleteProperty(err, 'stack');
    else defineProperty(err, 'stack', { ...hidden, value: stack });
    if (flags & ErrorFlag.CAUSE) defineProperty(err, 'cause', { ...hidden, value: this.#value() });
    this.#properties(err);
    // An own enumerable `name` (as MPIError sets) came with the properties; any other is restored here.
    if (err.name !== name) defineProperty(err, 'name', { ...hidden, value: name });
    this.#depth--;
    return err;
  }

  #arrayBufferView(): ArrayBufferView {
    const at = this.#pos;
    const kind = this.#byte();
    const name = VIEW_NAMES[kind];
    if (name === undefined) throw corrupt(`unknown view kind ${kind} at byte ${at}`);
    const n = this.#count(1);
    const size = VIEW_ELEMENT_SIZES[kind]!;
    if (n % size !== 0) throw corrupt(`a ${name} of ${n} bytes, not a multiple of ${size}, at byte ${at}`);
    const Ctor = VIEW_CONSTRUCTORS[kind];
    if (Ctor === undefined) {
      throw new MPIError(
        ERR_TYPE,
        `cannot receive a ${name}: this runtime has no ${name} (it needs Node >= 24); ` +
          'send a Float32Array instead, or run every rank on the same Node version',
      );
    }
    const copy = this.#copy(n);
    if (!LITTLE_ENDIAN_HOST && size > 1) swapByteOrder(copy, size);
    const view = new Ctor(copy.buffer);
    this.#refs.push(view);
    return view;
  }

  #boxed(): object {
    const at = this.#pos;
    const tag = this.#bytes[at];
    if (tag === undefined || tag < Tag.FALSE || tag > Tag.STRING16) {
      throw corrupt(`a boxed value must be a boolean, number, bigint or string, at byte ${at}`);
    }
    const boxed = Object(this.#value()) as object;
    this.#refs.push(boxed);
    return boxed;
  }
}

/**
 * The location of the element bytes when `bytes` is a whole message holding one TypedArray (not a
 * DataView) of a kind this runtime has, on a little-endian host; otherwise undefined. With
 * `total`, `bytes` is the start of a message of that many bytes.
 */
export function topLevelView(
  bytes: Uint8Array,
  total = bytes.length,
): { name: string; offset: number; byteLength: number } | undefined {
  if (!LITTLE_ENDIAN_HOST || bytes.length < 4 || bytes[0] !== VERSION || bytes[1] !== Tag.VIEW)
    return undefined;
  const kind = bytes[2]!;
  const name = VIEW_NAMES[kind];
  if (name === undefined || kind === DATAVIEW_KIND || VIEW_CONSTRUCTORS[kind] === undefined) return undefined;
  let p = 3;
  let n = 0;
  let scale = 1;
  for (let i = 0; ; i++) {
    if (i === 8 || p >= bytes.length) return undefined;
    const b = bytes[p++]!;
    n += (b & 0x7f) * scale;
    if (b < 0x80) break;
    scale *= 0x80;
  }
  if (p + n !== total || n % VIEW_ELEMENT_SIZES[kind]! !== 0) return undefined;
  return { name, offset: p, byteLength: n };
}
