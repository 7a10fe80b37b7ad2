import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from '../../dist/sdk/index.js';

const fixture = fileURLToPath(new URL('../fixtures/jobs/split-type.ts', import.meta.url));

describe('splitType on the local backend', () => {
  it('puts every rank (worker threads of one process) on one node', async () => {
    const res = await run(fixture, { ranks: 3, onOutput: () => {} });
    expect(res.results).toEqual([
      [3, 0],
      [3, 1],
      [3, 2],
    ]);
  });
});
