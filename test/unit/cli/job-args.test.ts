import { describe, expect, it } from 'vitest';
import { pyFloat, pyRepr } from '../../../sdk/jobs/py-repr.js';
import { parseJobArgs } from '../../../sdk/runtime/parse-job-args.js';

describe('job arguments', () => {
  it('parse numbers, flags, key=value, --no-x and positionals', () => {
    expect(parseJobArgs(['--samples', '1e8', '--fast'])).toEqual({ samples: 100000000, fast: true });
    expect(parseJobArgs(['--name=x', '--no-color', 'a', '2'])).toEqual({
      name: 'x',
      color: false,
      _: ['a', 2],
    });
    expect(parseJobArgs(['--offset', '-3', '--dry-run', '--max-iter', '16'])).toEqual({
      offset: -3,
      dryRun: true,
      maxIter: 16,
    });
    expect(parseJobArgs(['--flag', 'true', '--other', 'false'])).toEqual({ flag: true, other: false });
    expect(parseJobArgs([])).toEqual({});
  });

  it('make numbers of decimals as typed (100, 1e8, 0.5, -3, 1.5e-3), whatever the form of the argument', () => {
    // A fraction with more digits than a double holds is a number too, rounded (Python's float()).
    const typed = [
      '100',
      '1e8',
      '0.5',
      '-3',
      '1.5e-3',
      '0',
      '1E8',
      '9007199254740992',
      '3.14159265358979323846',
      '-0.0',
    ];
    for (const v of typed) {
      expect(parseJobArgs(['--v', v])).toEqual({ v: Number(v) });
      expect(parseJobArgs([`--v=${v}`])).toEqual({ v: Number(v) });
      expect(parseJobArgs(['--', v])).toEqual({ _: [Number(v)] });
    }
  });

  it('keep the string when a number would lose what was typed: leading zeros, +, hex, spaces, Infinity/NaN, an integer a double cannot hold', () => {
    const kept = [
      '007',
      '00',
      '-007',
      '+5',
      '0x10',
      '-0x10',
      ' 5',
      '5 ',
      'Infinity',
      'NaN',
      '1e400',
      '1e-400',
      '12345678901234567890',
      '9007199254740993',
    ];
    for (const v of kept) {
      expect(parseJobArgs(['--name', v])).toEqual({ name: v });
      expect(parseJobArgs([`--name=${v}`])).toEqual({ name: v });
      expect(parseJobArgs(['--', v])).toEqual({ _: [v] });
    }
    // A value that starts with `-` but reads as a number is still the flag's value, not a flag.
    expect(parseJobArgs(['--offset', '-007', '--fast'])).toEqual({ offset: '-007', fast: true });
    expect(parseJobArgs(['--low=-Infinity'])).toEqual({ low: '-Infinity' });
    expect(parseJobArgs(['--low', '-Infinity', '--fast'])).toEqual({ low: '-Infinity', fast: true });
  });
});

describe('python-style printing of the tutorial jobs', () => {
  it('matches what Python prints for dicts, lists, None and booleans', () => {
    expect(pyRepr({ key: 'value', rank: 0 })).toBe("{'key': 'value', 'rank': 0}");
    expect(pyRepr([1, 3, 5, 7])).toBe('[1, 3, 5, 7]');
    expect(pyRepr(null)).toBe('None');
    expect(pyRepr([true, false, 1.5])).toBe('[True, False, 1.5]');
  });

  it('prints floats as Python does (the pi jobs print a float estimate)', () => {
    // Python 3: print(0.0), print(4.0), print(3.141836), print(1e16), print(1.5e16), print(5e-05),
    // print(0.0001), print(-2.0), print(float('nan')).
    const cases: [number, string][] = [
      [0, '0.0'],
      [4, '4.0'],
      [3.141836, '3.141836'],
      [1e16, '1e+16'],
      [1.5e16, '1.5e+16'],
      [5e-5, '5e-05'],
      [0.0001, '0.0001'],
      [-2, '-2.0'],
      [Number.NaN, 'nan'],
    ];
    for (const [x, printed] of cases) expect(pyFloat(x)).toBe(printed);
  });
});
