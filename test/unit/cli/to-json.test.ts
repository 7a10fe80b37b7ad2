import { describe, expect, it } from 'vitest';
import { toJson } from '../../../sdk/cli/to-json.js';

describe('toJson (the --json result)', () => {
  it('writes bigints as strings, TypedArrays, Maps and Sets as arrays, undefined as null', () => {
    const v = {
      b: 12345678901234567890n,
      f: new Float64Array([1.5, 2]),
      m: new Map([[1, 'x']]),
      s: new Set([3]),
      u: undefined,
    };
    expect(JSON.parse(toJson(v))).toEqual({
      b: '12345678901234567890',
      f: [1.5, 2],
      m: [[1, 'x']],
      s: [3],
      u: null,
    });
    expect(toJson([undefined, new BigInt64Array([-1n])])).toBe('[null,["-1"]]');
  });

  it('writes an Error as its name, message and own fields (JSON.stringify alone gives {})', () => {
    const e = Object.assign(new RangeError('out of range'), { code: 7 });
    expect(JSON.parse(toJson({ e }))).toEqual({
      e: { name: 'RangeError', message: 'out of range', code: 7 },
    });
  });

  it('marks a value that contains itself [Circular] where it would repeat, in objects, arrays, Maps and Sets', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    a.list = [1, a];
    expect(JSON.parse(toJson(a))).toEqual({ name: 'a', self: '[Circular]', list: [1, '[Circular]'] });
    const m = new Map<string, unknown>();
    m.set('me', m);
    const s = new Set<unknown>();
    s.add(s);
    expect(JSON.parse(toJson({ m, s }))).toEqual({ m: [['me', '[Circular]']], s: ['[Circular]'] });
  });

  it('writes an object that is only shared (not enclosing) at each place', () => {
    const shared = { x: 1 };
    expect(JSON.parse(toJson({ a: shared, b: [shared, { c: shared }] }))).toEqual({
      a: { x: 1 },
      b: [{ x: 1 }, { c: { x: 1 } }],
    });
  });
});
