import { existsSync } from 'node:fs';
import { availableParallelism, getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { backgroundNiceness, DEFAULT_BACKGROUND_NICE } from '../../../sdk/launch/local/background-threads.js';
import { cli, FIXTURES } from '../../helpers/cli.js';

const job = `${FIXTURES}thread-nice.ts`;
const report = (stdout: string) =>
  JSON.parse(stdout.trim().split('\n').at(-1)!).result as { main: number; self: number; lowered: number };

describe('TSMPI_BACKGROUND_NICE', () => {
  it('defaults to 10; takes 0-19; names the variable, the value and what to do otherwise', () => {
    expect(backgroundNiceness({})).toBe(DEFAULT_BACKGROUND_NICE);
    expect(backgroundNiceness({ TSMPI_BACKGROUND_NICE: '' })).toBe(10);
    expect(backgroundNiceness({ TSMPI_BACKGROUND_NICE: '0' })).toBe(0);
    expect(backgroundNiceness({ TSMPI_BACKGROUND_NICE: '19' })).toBe(19);
    for (const bad of ['20', '-1', '2.5', 'high']) {
      expect(() => backgroundNiceness({ TSMPI_BACKGROUND_NICE: bad })).toThrow(
        `Expected TSMPI_BACKGROUND_NICE to be an integer in [0, 19], got \`${bad}\``,
      );
    }
  });

  it('a bad value stops `run` before any rank starts, with exit status 2', async () => {
    const r = await cli(['run', 'hello', '--ranks', '1'], { env: { TSMPI_BACKGROUND_NICE: 'high' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Expected TSMPI_BACKGROUND_NICE to be an integer in [0, 19], got `high`');
    expect(r.stdout).not.toContain('Hello');
  });
});

// Linux keeps a nice value per thread, and shows it in /proc; elsewhere the CLI changes nothing.
// Skipped where this process already runs at nice 10 or more: there 10 would not be lower.
describe.skipIf(!existsSync('/proc/thread-self') || getPriority() >= DEFAULT_BACKGROUND_NICE)(
  '`tsmpi-cloud run` and the priority of V8’s background threads (Linux)',
  () => {
    it('lowers the threads Node started, never the main or a rank thread, when every rank has a core', async () => {
      const r = await cli(['run', job, '--ranks', '1', '--json']);
      expect(r.code).toBe(0);
      const got = report(r.stdout);
      const untouched = report(
        (await cli(['run', job, '--ranks', '1', '--json'], { env: { TSMPI_BACKGROUND_NICE: '0' } })).stdout,
      );
      expect(got.main).toBe(untouched.main);
      expect(got.self).toBe(got.main); // the rank thread runs at the process's own priority
      expect(got.lowered).toBeGreaterThan(0);
    });

    it('leaves them be with TSMPI_BACKGROUND_NICE=0, and when ranks outnumber cores', async () => {
      const off = await cli(['run', job, '--ranks', '1', '--json'], { env: { TSMPI_BACKGROUND_NICE: '0' } });
      expect(report(off.stdout).lowered).toBe(0);
      const many = await cli(['run', job, '--ranks', String(availableParallelism() + 1), '--json']);
      expect(report(many.stdout).lowered).toBe(0);
    });
  },
);
