import { types } from 'node:util';
import { ERR_TYPE, MPIError } from '../base/errors.js';
import { allocateBytes } from './allocate.js';
import {
  ErrorFlag,
  LITTLE_ENDIAN_HOST,
  MAX_DEPTH,
  swapByteOrder,
  Tag,
  VERSION,
  VIEW_ELEMENT_SIZES,
} from './format.js';
import { viewKind } from './typed-array.js';

/** The scratch buffer a fresh Encoder starts with. */
const INITIAL_SCRATCH = 8 * 1024;
/** A scratch buffer that grew past this is dropped after the call, so one big message does not pin memory. */
const KEPT_SCRATCH = 1024 * 1024;
/** Binary payloads this big skip the scratch buffer: they are copied once, straight into the output. */
const OUT_OF_BAND = 16 * 1024;
/** Strings up to this many UTF-16 code units are encoded by hand; longer ones by TextEncoder. */
const SHORT_STRING = 64;

const HINT =
  'only structured-cloneable data can be sent (plain objects, arrays, numbers, strings, TypedArrays, Map, Set, Date, ...)';

const textEncoder = new TextEncoder();

// Intrinsics, captured once: a value's own overrides (a subclass's `entries`, a shadowed `getTime`)
// must not change what is sent.
const dateGetTime = Date.prototype.getTime;
const regExpSource = Object.getOwnPropertyDescriptor(RegExp.prototype, 'source')!.get!;
const regExpFlags = Object.getOwnPropertyDescriptor(RegExp.prototype, 'flags')!.get!;
const mapEntries = Map.prototype.entries;
const setValues = Set.prototype.values;
const numberValueOf = Number.prototype.valueOf;
const stringValueOf = String.prototype.valueOf;
const booleanValueOf = Boolean.prototype.valueOf;
const bigintValueOf = BigInt.prototype.valueOf;
const isWellFormed = (String.prototype as unknown as { isWellFormed(this: string): boolean }).isWellFormed;

/**
 * Thrown inside the encoder when part of a value cannot be sent. Each container it passes through
 * on the way out adds its own step, so `path` lists the steps innermost first.
 */
class Uncloneable {
  readonly path: string[] = [];
  constructor(
    readonly what: string,
    readonly hint: string = HINT,
  ) {}
}

/**
 * Turns values into wire-format bytes (see format.ts). One instance is reused across calls: its
 * scratch buffer grows as needed and the used part is copied out, so small values cost one
 * allocation. Not re-entrant: `encode()` in codec.ts falls back to a fresh instance when a getter
 * being read calls `encode` again.
 */
export class Encoder {
  #buf: Uint8Array = new Uint8Array(INITIAL_SCRATCH);
  #view: DataView = new DataView(this.#buf.buffer);
  #pos = 0;
  #depth = 0;
  /** Every object written so far, with its reference id (ids count up from 0 in write order). */
  #refs = new Map<object, number>();
  /**
   * Large binary payloads not copied into #buf: #blobs[i] belongs at scratch offset #blobAt[i]
   * and was #blobLength[i] bytes long when visited.
   * They are read when the output is assembled, at the end of the same synchronous call (so a
   * getter that writes into one after it was visited changes what is sent; structured clone would
   * have copied it first).
   */
  #blobs: Uint8Array[] = [];
  #blobAt: number[] = [];
  #blobLength: number[] = [];
  #busy = false;

  /** True while an `encode` call is running on this instance. */
  get busy(): boolean {
    return this.#busy;
  }

  encode(value: unknown): Uint8Array {
    return this.#run(value, false)[0]!;
  }

  /**
   * The bytes `encode(value)` would return, as a list of pieces to be written one after another:
   * binary payloads of 16 KiB or more are views of the sender's own memory (not copied), the rest
   * fresh copies. Whoever takes the pieces must copy the views before anything can modify them.
   */
  encodeParts(value: unknown): Uint8Array[] {
    return this.#run(value, true);
  }

  #run(value: unknown, asParts: boolean): Uint8Array[] {
    this.#busy = true;
    try {
      this.#buf[0] = VERSION;
      this.#pos = 1;
      this.#depth = 0;
      this.#value(value);
      return asParts ? this.#parts() : [this.#output()];
    } catch (e) {
      if (e instanceof Uncloneable) {
        throw new MPIError(ERR_TYPE, `cannot send ${e.what} at \`${renderPath(e.path)}\`: ${e.hint}`);
      }
      throw e;
    } finally {
      if (this.#refs.size > 0) this.#refs.clear();
      // Only when there are blobs: setting an array's length is a builtin call (2% of a rank's CPU
      // in small-message ping-pong, where messages have none).
      if (this.#blobs.length > 0) {
        this.#blobs.length = 0;
        this.#blobAt.length = 0;
        this.#blobLength.length = 0;
      }
      if (this.#buf.length > KEPT_SCRATCH) this.#setBuffer(new Uint8Array(INITIAL_SCRATCH));
      this.#busy = false;
    }
  }

  #output(): Uint8Array {
    const buf = this.#buf;
    const end = this.#pos;
    const blobs = this.#blobs;
    if (blobs.length === 0) return buf.slice(0, end);
    let total = end;
    for (let i = 0; i < blobs.length; i++) {
      const blob = blobs[i]!;
      if (blob.length !== this.#blobLength[i]) {
        // Only a getter that shrinks or transfers a buffer mid-encode gets here.
        throw new MPIError(
          ERR_TYPE,
          'cannot send binary data whose buffer was resized or detached while it was encoded',
        );
      }
      total += blob.length;
    }
    const out = allocateBytes(total); // every byte of it is written below
    let from = 0;
    let to = 0;
    for (let i = 0; i < blobs.length; i++) {
      const at = this.#blobAt[i]!;
      const blob = blobs[i]!;
      out.set(buf.subarray(from, at), to);
      to += at - from;
      from = at;
      out.set(blob, to);
      to += blob.length;
    }
    out.set(buf.subarray(from, end), to);
    return out;
  }

  #parts(): Uint8Array[] {
    const buf = this.#buf;
    const blobs = this.#blobs;
    const parts: Uint8Array[] = [];
    let from = 0;
    for (let i = 0; i < blobs.length; i++) {
      const at = this.#blobAt[i]!;
      const blob = blobs[i]!;
      if (blob.length !== this.#blobLength[i]) {
        throw new MPIError(
          ERR_TYPE,
          'cannot send binary data whose buffer was resized or detached while it was encoded',
        );
      }
      if (at > from) parts.push(buf.slice(from, at));
      parts.push(blob);
      from = at;
    }
    if (this.#pos > from || parts.length === 0) parts.push(buf.slice(from, this.#pos));
    return parts;
  }

  #setBuffer(buf: Uint8Array): void {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer);
  }

  /** Makes room for `n` more bytes at #pos. */
  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#pos + n));
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#setBuffer(grown);
  }

  /** Writes `v` as a varint; the caller has ensured 8 bytes. */
  #varint(v: number): void {
    const buf = this.#buf;
    let p = this.#pos;
    while (v >= 0x80) {
      buf[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[p++] = v;
    this.#pos = p;
  }

  #value(v: unknown): void {
    switch (typeof v) {
      case 'number':
        this.#number(v);
        return;
      case 'string':
        this.#string(v);
        return;
      case 'object':
        if (v === null) {
          this.#ensure(1);
          this.#buf[this.#pos++] = Tag.NULL;
        } else {
          this.#object(v);
        }
        return;
      case 'boolean':
        this.#ensure(1);
        this.#buf[this.#pos++] = v ? Tag.TRUE : Tag.FALSE;
        return;
      case 'undefined':
        this.#ensure(1);
        this.#buf[this.#pos++] = Tag.UNDEFINED;
        return;
      case 'bigint':
        this.#bigint(v);
        return;
      case 'function':
        throw new Uncloneable(v.name ? `a function (${v.name})` : 'a function');
      default:
        throw new Uncloneable('a symbol');
    }
  }

  #number(v: number): void {
    this.#ensure(9);
    const buf = this.#buf;
    const p = this.#pos;
    if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
      if (v >= -128 && v <= 127) {
        buf[p] = Tag.INT8;
        buf[p + 1] = v & 0xff;
        this.#pos = p + 2;
      } else {
        buf[p] = Tag.INT32;
        this.#view.setInt32(p + 1, v, true);
        this.#pos = p + 5;
      }
    } else {
      buf[p] = Tag.FLOAT64;
      this.#view.setFloat64(p + 1, v, true);
      this.#pos = p + 9;
    }
  }

  #bigint(v: bigint): void {
    if (BigInt.asIntN(64, v) === v) {
      this.#ensure(9);
      this.#buf[this.#pos] = Tag.BIGINT64;
      this.#view.setBigInt64(this.#pos + 1, v, true);
      this.#pos += 9;
      return;
    }
    const negative = v < 0n;
    const hex = (negative ? -v : v).toString(16);
    const n = (hex.length + 1) >> 1;
    this.#ensure(10 + n);
    const buf = this.#buf;
    buf[this.#pos++] = Tag.BIGINT;
    buf[this.#pos++] = negative ? 1 : 0;
    this.#varint(n);
    // Byte i (least significant first) is hex digits [len - 2i - 2, len - 2i).
    for (let i = 0, end = hex.length; i < n; i++, end -= 2) {
      buf[this.#pos + i] = Number.parseInt(hex.slice(Math.max(0, end - 2), end), 16);
    }
    this.#pos += n;
  }

  /** Writes a STRING, or a STRING16 when `s` holds a lone surrogate (which UTF-8 cannot carry). */
  #string(s: string): void {
    const n = s.length;
    if (n <= SHORT_STRING) {
      if (!this.#shortUtf8(s)) this.#utf16(s);
      return;
    }
    if (!isWellFormed.call(s)) {
      this.#utf16(s);
      return;
    }
    const max = 3 * n;
    const width = varintSize(max);
    this.#ensure(1 + width + max);
    const at = this.#pos + 1 + width;
    const written = textEncoder.encodeInto(s, this.#buf.subarray(at, at + max)).written;
    this.#buf[this.#pos++] = Tag.STRING;
    const actual = varintSize(written);
    if (actual < width) this.#buf.copyWithin(this.#pos + actual, at, at + written);
    this.#varint(written);
    this.#pos += written;
  }

  /** UTF-8 by hand (cheaper than TextEncoder for short strings). False, having written nothing, on a lone surrogate. */
  #shortUtf8(s: string): boolean {
    const n = s.length;
    const width = n <= 42 ? 1 : 2; // 3n UTF-8 bytes at most: one varint byte below 128, two below 16384
    this.#ensure(1 + width + 3 * n);
    const buf = this.#buf;
    const start = this.#pos + 1 + width;
    let p = start;
    for (let i = 0; i < n; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        buf[p++] = c;
      } else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 0x3f);
      } else if ((c & 0xf800) !== 0xd800) {
        buf[p++] = 0xe0 | (c >> 12);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      } else {
        const d = s.charCodeAt(i + 1); // NaN past the end
        if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) return false;
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        buf[p++] = 0xf0 | (c >> 18);
        buf[p++] = 0x80 | ((c >> 12) & 0x3f);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      }
    }
    const length = p - start;
    buf[this.#pos++] = Tag.STRING;
    if (width === 2 && length < 0x80) buf.copyWithin(this.#pos + 1, start, p);
    this.#varint(length);
    this.#pos += length;
    return true;
  }

  #utf16(s: string): void {
    const n = s.length;
    this.#ensure(9 + 2 * n);
    const buf = this.#buf;
    buf[this.#pos++] = Tag.STRING16;
    this.#varint(n);
    let p = this.#pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      buf[p++] = c & 0xff;
      buf[p++] = c >> 8;
    }
    this.#pos = p;
  }

  #object(o: object): void {
    const id = this.#refs.get(o);
    if (id !== undefined) {
      this.#ensure(9);
      this.#buf[this.#pos++] = Tag.REF;
      this.#varint(id);
      return;
    }
    this.#refs.set(o, this.#refs.size);
    if (Array.isArray(o)) {
      this.#array(o);
      return;
    }
    const proto: unknown = Object.getPrototypeOf(o);
    if (proto === Object.prototype || proto === null) {
      this.#plainObject(o);
    } else if (ArrayBuffer.isView(o)) {
      this.#arrayBufferView(o);
    } else {
      this.#other(o);
    }
  }

  /** Objects that are neither arrays, plain objects nor views: brand checks, most common first. */
  #other(o: object): void {
    if (types.isDate(o)) {
      this.#ensure(9);
      this.#buf[this.#pos] = Tag.DATE;
      this.#view.setFloat64(this.#pos + 1, dateGetTime.call(o), true);
      this.#pos += 9;
    } else if (types.isMap(o)) {
      this.#map(o);
    } else if (types.isSet(o)) {
      this.#set(o);
    } else if (types.isNativeError(o)) {
      this.#error(o as Error);
    } else if (types.isArrayBuffer(o)) {
      this.#ensure(9);
      this.#buf[this.#pos++] = Tag.ARRAYBUFFER;
      this.#bytes(o as ArrayBuffer, 0, (o as ArrayBuffer).byteLength, 1);
    } else if (types.isRegExp(o)) {
      this.#ensure(1);
      this.#buf[this.#pos++] = Tag.REGEXP;
      this.#string(regExpSource.call(o));
      this.#string(regExpFlags.call(o));
    } else if (types.isBoxedPrimitive(o)) {
      this.#boxed(o);
    } else {
      const refused = refusedKind(o);
      if (refused !== undefined) throw refused;
      // Any other object (a class instance, say) is sent as its own enumerable properties, as
      // structured clone does; the receiver gets a plain object.
      this.#plainObject(o);
    }
  }

  #enter(): void {
    if (++this.#depth > MAX_DEPTH) {
      throw new Uncloneable(
        `a value nested more than ${MAX_DEPTH} levels deep`,
        'flatten it (an array of records instead of a linked chain, say) or send it in parts',
      );
    }
  }

  #array(a: unknown[]): void {
    this.#enter();
    const n = a.length;
    this.#ensure(9);
    this.#buf[this.#pos++] = Tag.ARRAY;
    this.#varint(n);
    let i = 0;
    try {
      while (i < n) {
        // Runs of numbers (the common array) in a loop of their own, room made once per chunk.
        const chunkEnd = Math.min(n, i + NUMBER_CHUNK);
        this.#ensure(9 * (chunkEnd - i));
        i = writeNumbers(a, i, chunkEnd, this.#buf, this.#view, this.#pos);
        this.#pos = numbersEnd;
        if (i === chunkEnd) continue;
        const x = numbersStop;
        numbersStop = undefined;
        if (x === undefined && !(i in a)) {
          this.#ensure(1);
          this.#buf[this.#pos++] = Tag.HOLE;
        } else {
          this.#value(x);
        }
        i++;
      }
    } catch (e) {
      if (e instanceof Uncloneable) e.path.push(`[${i}]`);
      throw e;
    }
    this.#depth--;
  }

  #plainObject(o: object): void {
    this.#ensure(1);
    this.#buf[this.#pos++] = Tag.OBJECT;
    this.#properties(o, Object.keys(o));
  }

  /** A count, then key/value pairs: the body of OBJECT and the tail of ERROR. */
  #properties(o: object, keys: string[]): void {
    this.#enter();
    const n = keys.length;
    this.#ensure(8);
    this.#varint(n);
    let i = 0;
    try {
      for (; i < n; i++) {
        const key = keys[i]!;
        this.#string(key);
        this.#value((o as Record<string, unknown>)[key]);
      }
    } catch (e) {
      if (e instanceof Uncloneable) e.path.push(keyStep(keys[i]!));
      throw e;
    }
    this.#depth--;
  }

  #map(m: Map<unknown, unknown>): void {
    this.#enter();
    // Snapshot first, as structured clone does: writing a value may run a getter that changes the Map.
    const entries: unknown[] = [];
    for (const [k, v] of mapEntries.call(m)) entries.push(k, v);
    this.#ensure(9);
    this.#buf[this.#pos++] = Tag.MAP;
    this.#varint(entries.length / 2);
    let i = 0;
    let atKey = true;
    try {
      for (; i < entries.length; i += 2) {
        atKey = true;
        this.#value(entries[i]);
        atKey = false;
        this.#value(entries[i + 1]);
      }
    } catch (e) {
      if (e instanceof Uncloneable) e.path.push(mapStep(entries[i], i / 2, atKey));
      throw e;
    }
    this.#depth--;
  }

  #set(s: Set<unknown>): void {
    this.#enter();
    const values = Array.from(setValues.call(s));
    this.#ensure(9);
    this.#buf[this.#pos++] = Tag.SET;
    this.#varint(values.length);
    let i = 0;
    try {
      for (; i < values.length; i++) this.#value(values[i]);
    } catch (e) {
      if (e instanceof Uncloneable) e.path.push(`.values()[${i}]`);
      throw e;
    }
    this.#depth--;
  }

  #error(e: Error): void {
    this.#enter();
    const name = e.name;
    const message = Object.hasOwn(e, 'message') ? e.message : undefined;
    const stack = e.stack;
    const hasCause = Object.hasOwn(e, 'cause');
    let flags = 0;
    if (typeof message === 'string') flags |= ErrorFlag.MESSAGE;
    if (typeof stack === 'string') flags |= ErrorFlag.STACK;
    if (hasCause) flags |= ErrorFlag.CAUSE;
    this.#ensure(1);
    this.#buf[this.#pos++] = Tag.ERROR;
    this.#string(typeof name === 'string' ? name : 'Error');
    this.#ensure(1);
    this.#buf[this.#pos++] = flags;
    if (flags & ErrorFlag.MESSAGE) this.#string(message as string);
    if (flags & ErrorFlag.STACK) this.#string(stack as string);
    if (hasCause) {
      try {
        this.#value(e.cause);
      } catch (err) {
        if (err instanceof Uncloneable) err.path.push('.cause');
        throw err;
      }
    }
    const keys = Object.keys(e).filter((k) => k !== 'message' && k !== 'stack' && k !== 'cause');
    this.#properties(e, keys);
    this.#depth--;
  }

  #boxed(o: object): void {
    let v: unknown;
    if (types.isNumberObject(o)) v = numberValueOf.call(o);
    else if (types.isStringObject(o)) v = stringValueOf.call(o);
    else if (types.isBooleanObject(o)) v = booleanValueOf.call(o);
    else if (types.isBigIntObject(o)) v = bigintValueOf.call(o);
    else throw new Uncloneable('a Symbol object');
    this.#ensure(1);
    this.#buf[this.#pos++] = Tag.BOXED;
    this.#value(v);
  }

  #arrayBufferView(v: ArrayBufferView): void {
    const kind = viewKind(v);
    this.#ensure(10);
    this.#buf[this.#pos++] = Tag.VIEW;
    this.#buf[this.#pos++] = kind;
    this.#bytes(v.buffer, v.byteOffset, v.byteLength, VIEW_ELEMENT_SIZES[kind]!);
  }

  /**
   * Writes a varint length and the bytes themselves: one bulk copy, never per element. The caller
   * has ensured 8 bytes for the length.
   */
  #bytes(buffer: ArrayBufferLike, offset: number, n: number, elementSize: number): void {
    this.#varint(n);
    if (n === 0) return; // also keeps a detached buffer (byteLength 0) from being viewed
    const bytes = new Uint8Array(buffer, offset, n);
    if (n >= OUT_OF_BAND && LITTLE_ENDIAN_HOST) {
      this.#blobs.push(bytes);
      this.#blobAt.push(this.#pos);
      this.#blobLength.push(n);
      return;
    }
    this.#ensure(n);
    this.#buf.set(bytes, this.#pos);
    if (!LITTLE_ENDIAN_HOST && elementSize > 1)
      swapByteOrder(this.#buf.subarray(this.#pos, this.#pos + n), elementSize);
    this.#pos += n;
  }
}

/** Elements `writeNumbers` takes at most at once (it needs 9 bytes of room for each). */
const NUMBER_CHUNK = 4096;
/** Where the last `writeNumbers` stopped writing (a module variable: storing it needs no type feedback). */
let numbersEnd = 0;
/** The element `writeNumbers` stopped at, as it read it (an element is read once: it may be a getter). */
let numbersStop: unknown;

/**
 * Writes `a[i]`, `a[i + 1]`, ... as `#number` would, up to `n` or the first element that is not a
 * number (a hole reads as undefined), into `buf` from `p` on; the caller made room for 9 bytes per
 * element. Returns the index it stopped at, leaves the byte position in `numbersEnd` and the
 * element it stopped at in `numbersStop`. A function of its own whose loop ends with nothing after
 * it but return (see the decoder's `readDoubles`). It repeats `#number`'s body on purpose: with the
 * two sharing one helper function, 8,192 doubles encoded as slowly as before this loop existed
 * (29.5–31.9 against 25.3–27.5 µs, best of 10, 5 alternated runs).
 */
function writeNumbers(
  a: readonly unknown[],
  i: number,
  n: number,
  buf: Uint8Array,
  view: DataView,
  p: number,
): number {
  for (; i < n; i++) {
    const v = a[i];
    if (typeof v !== 'number') {
      numbersStop = v;
      break;
    }
    if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
      if (v >= -128 && v <= 127) {
        buf[p] = Tag.INT8;
        buf[p + 1] = v & 0xff;
        p += 2;
      } else {
        buf[p] = Tag.INT32;
        view.setInt32(p + 1, v, true);
        p += 5;
      }
    } else {
      buf[p] = Tag.FLOAT64;
      view.setFloat64(p + 1, v, true);
      p += 9;
    }
  }
  numbersEnd = p;
  return i;
}

/** Why `o` cannot be sent, for the objects structured clone refuses; undefined when it can. */
function refusedKind(o: object): Uncloneable | undefined {
  if (types.isPromise(o)) return new Uncloneable('a Promise', `${HINT}; await it and send its value`);
  if (types.isWeakMap(o)) return new Uncloneable('a WeakMap');
  if (types.isWeakSet(o)) return new Uncloneable('a WeakSet');
  if (o instanceof WeakRef) return new Uncloneable('a WeakRef');
  if (o instanceof FinalizationRegistry) return new Uncloneable('a FinalizationRegistry');
  if (types.isSharedArrayBuffer(o)) {
    return new Uncloneable(
      'a SharedArrayBuffer',
      'memory cannot be shared between ranks; send a TypedArray view of it (its contents are copied) or an ArrayBuffer',
    );
  }
  if (types.isGeneratorObject(o)) return new Uncloneable('a generator object');
  if (types.isMapIterator(o) || types.isSetIterator(o)) {
    return new Uncloneable('an iterator', `${HINT}; spread it into an array first`);
  }
  if (types.isKeyObject(o) || types.isCryptoKey(o)) {
    return new Uncloneable('a key object', `${HINT}; export the key first`);
  }
  return undefined;
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function keyStep(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** A Map entry as a step of a path: `.get(key)` for a primitive key, else by position. */
function mapStep(key: unknown, index: number, atKey: boolean): string {
  if (atKey) return `.keys()[${index}]`;
  switch (typeof key) {
    case 'string':
      return `.get(${JSON.stringify(key)})`;
    case 'number':
      return `.get(${Object.is(key, -0) ? '-0' : String(key)})`;
    case 'bigint':
      return `.get(${key}n)`;
    case 'boolean':
    case 'undefined':
      return `.get(${String(key)})`;
    default:
      return key === null ? '.get(null)' : `.values()[${index}]`;
  }
}

/** `value.a.b[2]` from steps listed innermost first; very deep paths keep their two ends. */
function renderPath(innermostFirst: string[]): string {
  const steps = innermostFirst.slice().reverse();
  const shown = steps.length > 24 ? [...steps.slice(0, 10), '…', ...steps.slice(-10)] : steps;
  return `value${shown.join('')}`;
}
