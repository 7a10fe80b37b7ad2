import { describe, expect, it } from 'vitest';
import { plural } from '../../../sdk/base/describe-value.js';

describe('plural', () => {
  it('writes the noun in the singular for exactly 1 and in the plural otherwise', () => {
    expect(plural(1, 'element')).toBe('1 element');
    expect(plural(0, 'element')).toBe('0 elements');
    expect(plural(2, 'element')).toBe('2 elements');
  });

  it('takes the plural of a noun that does not add an s', () => {
    expect(plural(1, 'entry', 'entries')).toBe('1 entry');
    expect(plural(3, 'entry', 'entries')).toBe('3 entries');
  });
});
