import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../sdk/codec/codec.js';
import { OTHER_NODE } from '../helpers/other-node.js';

/**
 * The CLI may run on Node 20 while ranks run on Node 24 in Lambda, so codec bytes must mean the
 * same on both. This test runs the built codec under a second Node major (TSMPI_OTHER_NODE, or
 * where .ci/run installs node@24 from the npm registry) and checks both directions byte for byte.
 */
const otherNode = OTHER_NODE;
const SKIP_REASON = existsSync(otherNode)
  ? undefined
  : `no second Node major at ${otherNode} (set TSMPI_OTHER_NODE; .ci/run installs node@24 from npm): the cross-major codec test is skipped`;
const codecUrl = new URL('../../dist/sdk/codec/codec.js', import.meta.url).href;

const values = (): unknown[] => {
  const shared = { s: 1 };
  const cyclic: Record<string, unknown> = { name: 'loop' };
  cyclic.self = cyclic;
  return [
    42,
    -0,
    Number.NaN,
    2 ** 60,
    123456789012345678901234567890n,
    'π ≈ 3.14 \ud800',
    // biome-ignore lint/suspicious/noSparseArray: holes must survive the trip
    [1, , 3],
    { a: [shared, shared], m: new Map([[1, 'x']]), s: new Set(['y']), d: new Date(0), r: /x+/gi },
    new Float64Array([1.5, -2, Number.POSITIVE_INFINITY]),
    new BigInt64Array([1n, -1n]),
    new Uint8Array([0, 255]),
    cyclic,
    new RangeError('bad'),
  ];
};

const SCRIPT = `
const { encode, decode } = await import(process.argv[1]);
const input = JSON.parse(process.argv[2]);
// Decode what Node A wrote, write it again: the bytes must not change.
const again = input.map((hex) => Buffer.from(encode(decode(Buffer.from(hex, 'hex')))).toString('hex'));
console.log(JSON.stringify({ version: process.version, again }));
`;

describe('codec bytes across Node majors', () => {
  it('what this Node encodes decodes and re-encodes identically on the other major', (ctx) => {
    if (SKIP_REASON !== undefined) ctx.skip(SKIP_REASON);
    const hex = values().map((v) => Buffer.from(encode(v)).toString('hex'));
    const out = JSON.parse(
      execFileSync(otherNode, ['--input-type=module', '-e', SCRIPT, codecUrl, JSON.stringify(hex)], {
        encoding: 'utf8',
      }),
    ) as { version: string; again: string[] };
    expect(out.version.split('.')[0]).not.toBe(process.version.split('.')[0]);
    expect(out.again).toEqual(hex);
    // And the values survive the trip back.
    const back = out.again.map((h) => decode(Buffer.from(h, 'hex')));
    expect(back[4]).toBe(123456789012345678901234567890n);
    expect(Array.from(back[8] as Float64Array)).toEqual([1.5, -2, Number.POSITIVE_INFINITY]);
  });
});
