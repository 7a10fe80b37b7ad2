import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveJob } from '../../../sdk/launch/job-source.js';

const JOB = fileURLToPath(new URL('../../fixtures/jobs/allreduce.ts', import.meta.url));

describe('resolveJob of a job file', () => {
  it('shares one bundle file between runs of the same code at once, removed by the last to end', async () => {
    // One run ending must not remove the file under another run whose ranks still import it.
    const a = await resolveJob(JOB);
    const b = await resolveJob(JOB);
    expect(b.bundlePath).toBe(a.bundlePath);
    a.dispose();
    a.dispose(); // twice is once
    expect(existsSync(b.bundlePath!)).toBe(true);
    b.dispose();
    expect(existsSync(a.bundlePath!)).toBe(false);
    // A later run writes it again.
    const c = await resolveJob(JOB);
    expect(existsSync(c.bundlePath!)).toBe(true);
    c.dispose();
    expect(existsSync(c.bundlePath!)).toBe(false);
  });
});
