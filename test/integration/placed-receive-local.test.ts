import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from '../../dist/sdk/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/jobs/${name}`, import.meta.url));

describe('large buffers between worker threads (received straight into the Recv buffer)', () => {
  it('arrive whole and exact in blocking, posted and combined receives, at any offset and size', async () => {
    const res = await run(fixture('big-buffers.ts'), { ranks: 2, onOutput: () => {} });
    expect(res.results).toEqual([[], []]);
    // Most of them skipped the transport's own buffer (the rest came while no receive waited).
    for (const rank of res.stats.perRank) {
      expect(rank.transport?.placedFrames).toBeGreaterThan(0);
    }
  });
});
