import { describe, expect, it } from 'vitest';
import { ERR_TYPE, MPIError } from '../../../sdk/base/errors.js';
import { encode } from '../../../sdk/codec/codec.js';

const HINT =
  'only structured-cloneable data can be sent (plain objects, arrays, numbers, strings, TypedArrays, Map, Set, Date, ...)';

/** The MPIError that encoding `value` throws. */
function refusal(value: unknown): MPIError {
  try {
    encode(value);
  } catch (e) {
    expect(e).toBeInstanceOf(MPIError);
    expect((e as MPIError).errorClass).toBe(ERR_TYPE);
    return e as MPIError;
  }
  throw new Error('encode did not throw');
}

describe('codec refuses what cannot be sent, saying what and where', () => {
  it('names a function and its path inside nested objects and arrays', () => {
    const value = { config: { handlers: [1, 2, () => 3] } };
    expect(refusal(value).message).toBe(`cannot send a function at \`value.config.handlers[2]\`: ${HINT}`);
  });

  it('names the index of a function after a long run of numbers (past a chunk of the fast path)', () => {
    for (const at of [0, 4095, 4096, 4097, 10_000]) {
      const a: unknown[] = Array.from({ length: at }, (_, i) => i / 3);
      a.push(() => 0, 1.5);
      expect(refusal({ a }).message).toBe(`cannot send a function at \`value.a[${at}]\`: ${HINT}`);
    }
  });

  it('names the function when it has a name', () => {
    function onTick(): void {}
    expect(refusal({ onTick }).message).toBe(`cannot send a function (onTick) at \`value.onTick\`: ${HINT}`);
  });

  it('says `value` for a function sent on its own', () => {
    expect(refusal(Math.max).message).toBe(`cannot send a function (max) at \`value\`: ${HINT}`);
  });

  it('refuses a symbol, quoting keys that are not identifiers', () => {
    expect(refusal({ 'my key': [Symbol('s')] }).message).toBe(
      `cannot send a symbol at \`value["my key"][0]\`: ${HINT}`,
    );
  });

  it('locates a bad Map value by its key and a bad Map key by position', () => {
    expect(refusal({ m: new Map([['k', Symbol.iterator]]) }).message).toBe(
      `cannot send a symbol at \`value.m.get("k")\`: ${HINT}`,
    );
    expect(refusal(new Map<unknown, unknown>([[7, () => 0]])).message).toContain('at `value.get(7)`');
    expect(refusal(new Map<unknown, unknown>([[{}, () => 0]])).message).toContain('at `value.values()[0]`');
    expect(
      refusal(
        new Map<unknown, unknown>([
          ['ok', 1],
          [Symbol('k'), 1],
        ]),
      ).message,
    ).toContain('at `value.keys()[1]`');
  });

  it('locates a bad Set entry by position', () => {
    expect(refusal(new Set<unknown>([1, 'two', () => 3])).message).toContain('at `value.values()[2]`');
  });

  it('locates a bad error cause and a bad error property', () => {
    expect(refusal(new Error('x', { cause: () => 1 })).message).toContain('at `value.cause`');
    expect(refusal(Object.assign(new Error('x'), { retry: Symbol('r') })).message).toContain(
      'at `value.retry`',
    );
  });

  it.each([
    ['a Promise', Promise.resolve(1)],
    ['a WeakMap', new WeakMap()],
    ['a WeakSet', new WeakSet()],
    ['a WeakRef', new WeakRef({})],
    ['a FinalizationRegistry', new FinalizationRegistry(() => {})],
    ['a generator object', (function* gen() {})()],
    ['an iterator', new Map().keys()],
    ['a Symbol object', Object(Symbol('boxed')) as object],
  ])('refuses %s, naming it', (what, v) => {
    expect(refusal({ list: [v] }).message).toMatch(
      new RegExp(`^cannot send ${what} at \`value\\.list\\[0\\]\`: `),
    );
  });

  it('tells the sender to await a Promise', () => {
    expect(refusal(Promise.resolve(1)).message).toContain('await it and send its value');
  });

  it('refuses a bare SharedArrayBuffer and explains that memory is not shared between ranks', () => {
    const message = refusal({ buf: new SharedArrayBuffer(8) }).message;
    expect(message).toMatch(
      /^cannot send a SharedArrayBuffer at `value\.buf`: memory cannot be shared between ranks/,
    );
  });

  it('reports the first problem in encoding order', () => {
    expect(refusal([{ ok: 1 }, { bad: () => 1 }, Symbol('later')]).message).toContain('at `value[1].bad`');
  });

  it('stays usable after a refusal', () => {
    refusal({ f: () => 1 });
    expect(encode({ fine: true })).toBeInstanceOf(Uint8Array);
  });
});

describe('codec refuses binary data changed under it', () => {
  it('refuses a large view whose resizable buffer a later getter shrinks, instead of sending garbage', () => {
    // Resizable ArrayBuffers (Node 20) are newer than the TypeScript library this project targets.
    const Resizable = ArrayBuffer as unknown as new (
      n: number,
      options: { maxByteLength: number },
    ) => ArrayBuffer & { resize(n: number): void };
    const buffer = new Resizable(64 * 1024, { maxByteLength: 128 * 1024 });
    const value = {
      data: new Uint8Array(buffer, 0, 32 * 1024),
      get shrink(): number {
        buffer.resize(16);
        return 1;
      },
    };
    expect(refusal(value).message).toBe(
      'cannot send binary data whose buffer was resized or detached while it was encoded',
    );
  });
});
