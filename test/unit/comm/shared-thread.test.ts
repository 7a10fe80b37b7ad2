import { afterEach, describe, expect, it, vi } from 'vitest';
import { notePollWithoutAwait, POLL_WARN_MS, shareThread } from '../../../sdk/comm/shared-thread.js';

describe('polling without awaiting in a shared thread', () => {
  afterEach(() => vi.restoreAllMocks());

  it('warns once per rank after POLL_WARN_MS in one synchronous stretch, and not across awaits', async () => {
    let now = 1000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    });
    shareThread(0, 3);
    // Polls separated by awaits never add up to a stretch.
    for (let i = 0; i < 10; i++) {
      notePollWithoutAwait(2);
      now += POLL_WARN_MS / 2;
      await Promise.resolve();
    }
    expect(writes).toEqual([]);
    // One stretch without an await: warned once, naming the rank, its mates and the way out.
    for (let i = 0; i < 10; i++) {
      notePollWithoutAwait(2);
      now += POLL_WARN_MS / 2;
    }
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/rank 2 has polled for 5 s without awaiting .* ranks 0\.\.3/);
    expect(writes[0]).toMatch(/TSMPI_LOCAL_RANKS_PER_THREAD=1/);
  });
});
