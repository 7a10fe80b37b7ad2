import { describe, expect, it } from 'vitest';
import { pyRepr } from '../../../sdk/jobs/py-repr.js';
import { parseJobArgs } from '../../../sdk/runtime/parse-job-args.js';

describe('job arguments', () => {
  it('parse numbers, flags, key=value, --no-x and positionals', () => {
    expect(parseJobArgs(['--samples', '1e8', '--fast'])).toEqual({ samples: 100000000, fast: true });
    expect(parseJobArgs(['--name=x', '--no-color', 'a', '2'])).toEqual({
      name: 'x',
      color: false,
      _: ['a', 2],
    });
    expect(parseJobArgs(['--offset', '-3', '--dry-run', '--max-iter', '0x10'])).toEqual({
      offset: -3,
      dryRun: true,
      maxIter: 16,
    });
    expect(parseJobArgs(['--flag', 'true', '--other', 'false'])).toEqual({ flag: true, other: false });
    expect(parseJobArgs([])).toEqual({});
  });
});

describe('python-style printing of the tutorial jobs', () => {
  it('matches what Python prints for dicts, lists, None and booleans', () => {
    expect(pyRepr({ key: 'value', rank: 0 })).toBe("{'key': 'value', 'rank': 0}");
    expect(pyRepr([1, 3, 5, 7])).toBe('[1, 3, 5, 7]');
    expect(pyRepr(null)).toBe('None');
    expect(pyRepr([true, false, 1.5])).toBe('[True, False, 1.5]');
  });
});
