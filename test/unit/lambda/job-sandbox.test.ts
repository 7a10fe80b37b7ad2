import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { enterJobSandbox, type JobSandbox } from '../../../sdk/runtime/lambda/job-sandbox.js';

describe('enterJobSandbox: what a job leaves in a warm environment is gone for the next one', () => {
  let sandbox: JobSandbox | undefined;
  afterEach(() => {
    sandbox?.leave();
    sandbox?.clearLeftovers();
    sandbox = undefined;
  });

  it('gives the job its own os.tmpdir(), removed afterwards, and restores TMPDIR', () => {
    const before = process.env.TMPDIR;
    sandbox = enterJobSandbox({ rank: 0, onLine: () => {}, passThrough: false });
    expect(tmpdir()).toBe(sandbox.tmp);
    writeFileSync(join(tmpdir(), 'left.txt'), 'x');
    sandbox.leave();
    expect(process.env.TMPDIR).toBe(before);
    sandbox.clearLeftovers();
    expect(existsSync(sandbox.tmp)).toBe(false);
  });

  it("sets the job's -x variables while it runs; the environment as it was afterwards", () => {
    process.env.TSMPI_SANDBOX_KEPT = 'before';
    try {
      sandbox = enterJobSandbox({
        rank: 0,
        onLine: () => {},
        passThrough: false,
        env: { JOB_COLOR: 'blue', TSMPI_SANDBOX_KEPT: 'overridden' },
      });
      expect(process.env.JOB_COLOR).toBe('blue');
      expect(process.env.TSMPI_SANDBOX_KEPT).toBe('overridden');
      process.env.SET_BY_THE_JOB = '1';
      delete process.env.TSMPI_SANDBOX_KEPT;
      sandbox.leave();
      expect(process.env.JOB_COLOR).toBeUndefined();
      expect(process.env.SET_BY_THE_JOB).toBeUndefined();
      expect(process.env.TSMPI_SANDBOX_KEPT).toBe('before');
    } finally {
      delete process.env.TSMPI_SANDBOX_KEPT;
    }
  });

  it('clears the timers the job left running, and deletes the globals it added', async () => {
    const fired: string[] = [];
    sandbox = enterJobSandbox({ rank: 0, onLine: () => {}, passThrough: false });
    setTimeout(() => fired.push('timeout'), 0);
    setInterval(() => fired.push('interval'), 0);
    setImmediate(() => fired.push('immediate'));
    (globalThis as Record<string, unknown>).addedByTheJob = 1;
    sandbox.leave();
    expect((globalThis as Record<string, unknown>).addedByTheJob).toBeUndefined();
    sandbox.clearLeftovers();
    // A timer started after the sandbox was left is not the job's: it fires.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(fired).toEqual([]);
  });

  it('does not forward lines printed by leftovers of another invocation', () => {
    const lines: string[] = [];
    let foreign = false;
    sandbox = enterJobSandbox({
      rank: 0,
      onLine: (_s, line) => lines.push(line),
      passThrough: false,
      foreign: () => foreign,
    });
    console.log('mine');
    foreign = true;
    console.log('an earlier job');
    foreign = false;
    sandbox.restoreOutput();
    expect(lines).toEqual(['mine']);
  });
});
