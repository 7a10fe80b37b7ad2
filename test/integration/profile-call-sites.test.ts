import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from '../../dist/sdk/index.js';

const fixture = fileURLToPath(new URL('../fixtures/jobs/allreduce.ts', import.meta.url));

// Ranks run the runtime from the rank bundle (dist/rank/): its frames must still count as the
// runtime's, so the profile names the job's own line, not a bundle chunk.
describe('profile call sites on the local backend', () => {
  it("names the job file's line for each call, never a file of the runtime", async () => {
    const res = await run(fixture, { ranks: 2, profile: true, onOutput: () => {} });
    const sites = (res.stats.profile as { sites: { site: string; call: string }[] }).sites;
    const allreduce = sites.filter((s) => s.call === 'allreduce');
    expect(allreduce.length).toBeGreaterThan(0);
    for (const s of allreduce) expect(s.site).toMatch(/^test\/fixtures\/jobs\/allreduce\.ts:5$/);
    for (const s of sites) expect(s.site).not.toMatch(/dist\/|chunk-/);
  });
});
