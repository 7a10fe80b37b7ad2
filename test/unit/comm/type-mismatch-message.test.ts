import { describe, expect, it } from 'vitest';
import { withArticle } from '../../../sdk/base/typed-array-name.js';
import { copyBytesInto } from '../../../sdk/comm/buffer-copy.js';

describe('a TypedArray kind in a message', () => {
  it('takes the article its sound needs', () => {
    expect(
      ['Int8Array', 'Int32Array', 'Uint8Array', 'Float64Array', 'BigInt64Array'].map(withArticle),
    ).toEqual(['an Int8Array', 'an Int32Array', 'a Uint8Array', 'a Float64Array', 'a BigInt64Array']);
  });

  it('reads right in a receive of another kind', () => {
    const bytes = new Uint8Array(new Float64Array([1, 2]).buffer);
    expect(() => copyBytesInto(new Int32Array(4), bytes, 'Float64Array', 'Recv')).toThrow(
      'Recv: received a Float64Array into an Int32Array: use the same TypedArray type on both sides',
    );
  });
});
