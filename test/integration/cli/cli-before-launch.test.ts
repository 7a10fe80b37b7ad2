/**
 * What the CLI finds wrong before it starts a rank (exit 2, one paragraph, JSON under --json),
 * and how it reports what stops a job whole (a timeout, a reader of stdout that went away).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli, FIXTURES } from '../../helpers/cli.js';

describe('the CLI checks before launch', () => {
  it('a usage error the parser finds still prints one JSON object under --json', async () => {
    for (const args of [
      ['run', 'pi', '--json', '--rnaks', '2'],
      ['--json', 'frob'],
      ['run', 'pi', '--json', '--ranks'],
    ]) {
      const r = await cli(args);
      expect(r.code).toBe(2);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ ok: false, error: { rank: null, usage: true } });
    }
  });

  it("a usage error of doctor or list under --json keeps that command's shape, not run's", async () => {
    const doctor = await cli(['doctor', '--json', '--bogus']);
    expect(doctor.code).toBe(2);
    const d = JSON.parse(doctor.stdout) as Record<string, unknown>;
    expect(d).toEqual({
      ok: false,
      checks: [],
      error: { message: expect.stringMatching(/--bogus/), usage: true },
    });
    const list = await cli(['list', '--ranks', '2', '--json']);
    expect(list.code).toBe(2);
    expect(JSON.parse(list.stdout)).toEqual({
      ok: false,
      error: { message: expect.stringMatching(/--ranks is not an option of `list`/), usage: true },
    });
  });

  it('with no command, prints the help on stderr (a usage error, exit 2); asked for, on stdout', async () => {
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain('Usage:');
    const asked = await cli(['--help']);
    expect(asked.code).toBe(0);
    expect(asked.stdout).toContain('Usage:');
  });

  it('takes --timeout in decimal seconds only', async () => {
    const hex = await cli(['run', 'hello', '--ranks', '1', '--timeout', '0x10']);
    expect(hex.code).toBe(2);
    expect(hex.stderr).toContain('Expected --timeout to be a positive number of seconds, got `0x10`');
    expect((await cli(['run', 'hello', '--ranks', '1', '--timeout', '1e1'])).code).toBe(0);
  });

  it('list shows the job arguments each built-in job takes, and what it needs', async () => {
    const r = await cli(['list']);
    expect(r.stdout).toMatch(/^\s+--seed N /m);
    expect(r.stdout).toMatch(/^\s+--details /m);
    expect(r.stdout).toContain('(needs at least 2 ranks)');
  });

  it('--backend aws, not set up, says what is missing and points to doctor', async () => {
    const unset = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE'];
    const env = { AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };
    const r = await cli(['run', 'hello', '--ranks', '2', '--backend', 'aws'], { env, unset });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no AWS region is configured');
    expect(r.stderr).toContain('`tsmpi-cloud doctor`');
  });

  it('names the built-in job a mistyped name most likely meant', async () => {
    const r = await cli(['run', 'helo', '--ranks', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown job `helo`; did you mean `hello`?');
  });

  it('refuses a built-in job on fewer ranks than it needs, and argument values it would refuse', async () => {
    const few = await cli(['run', 'send-recv', '--ranks', '1']);
    expect(few.code).toBe(2);
    expect(few.stderr).toContain('send-recv needs at least 2 ranks, got 1');
    for (const bad of [
      ['--samples', '0'],
      ['--samples', 'abc'],
      ['--seed', '-5'],
      ['--details', '5'],
    ]) {
      const r = await cli(['run', 'pi', '--ranks', '2', '--', ...bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`job argument \`${bad[0]}\``);
      expect(r.stderr).not.toContain('failed on rank');
    }
    // A flag may be turned off.
    expect((await cli(['run', 'pi', '--ranks', '1', '--', '--samples', '100', '--no-details'])).code).toBe(0);
  });

  it('says that an option of run given after `--` goes before it', async () => {
    const r = await cli(['run', 'hello', '--', '--ranks', '4']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('`--ranks` is an option of `run`: put it before `--`');
  });

  it('refuses a --trace path it could not write, and an --output-filename that is a file, before the job runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsmpi-before-launch-'));
    const noFolder = await cli(['run', 'hello', '--ranks', '2', '--trace', join(dir, 'missing', 't.json')]);
    expect(noFolder.code).toBe(2);
    expect(noFolder.stderr).toContain('does not exist');
    expect(noFolder.stdout).not.toContain('Hello from process');
    const folder = await cli(['run', 'hello', '--ranks', '2', '--trace', dir]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain('a folder');
    const file = await cli(['run', 'hello', '--ranks', '2', '--output-filename', BIN]);
    expect(file.code).toBe(2);
    expect(file.stderr).toContain('Expected --output-filename to be a folder');
  });
});

describe('the CLI reports', () => {
  it('a result that contains itself under --json, as a success with [Circular] where it repeats', async () => {
    const r = await cli(['run', `${FIXTURES}returns-cycle.ts`, '--ranks', '2', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(true);
    expect(out.results).toEqual([
      { rank: 0, self: '[Circular]' },
      { rank: 1, self: '[Circular]' },
    ]);
  });

  it('a timeout as the job timing out, not as a rank failing; the trace has what each blocked rank did', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsmpi-before-launch-'));
    const trace = join(dir, 't.json');
    const r = await cli(['run', `${FIXTURES}hangs.ts`, '--ranks', '2', '--timeout', '5', '--trace', trace]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tsmpi-cloud: the job timed out after 5\.0 s:/m);
    expect(r.stderr).not.toContain('failed on rank');
    expect(r.stderr).toContain(`the trace in ${trace} has what ranks 0, 1 recorded before the job stopped`);
    // Rank 0 waits in a recv, rank 1 in a bcast: each shows as the call it was blocked in.
    expect(sliceNames(trace)).toEqual({ 0: ['recv'], 1: ['bcast'] });
    const json = await cli(['run', `${FIXTURES}hangs.ts`, '--ranks', '2', '--timeout', '5', '--json']);
    expect(JSON.parse(json.stdout).error).toMatchObject({ rank: null, errorClassName: 'ERR_TIMEOUT' });
  });

  it('a failed job’s trace has what the failed rank recorded, and says which ranks it lacks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsmpi-before-launch-'));
    const trace = join(dir, 't.json');
    const r = await cli(['run', `${FIXTURES}throws.ts`, '--ranks', '3', '--trace', trace]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `the trace in ${trace} has what rank 1 recorded before the job stopped; not ranks 0, 2 (still running when it stopped)`,
    );
    // Rank 1 threw before any MPI call: its track is there, with no slice.
    expect(trackNames(trace)).toEqual(['rank 1']);
    const view = await cli(['trace', 'view', trace]);
    expect(view.code).toBe(0);
    expect(existsSync(`${trace}.html`)).toBe(true);
  });

  it('an error nothing handles, in a thread of several ranks, as the failure of the rank that raised it', async () => {
    for (const kind of ['timer', 'reject']) {
      for (const r of [1, 3]) {
        const res = await cli(
          [
            'run',
            `${FIXTURES}stray-error.ts`,
            '--ranks',
            '4',
            '--json',
            '--',
            '--r',
            String(r),
            '--kind',
            kind,
          ],
          {
            env: { TSMPI_LOCAL_RANKS_PER_THREAD: '2' },
          },
        );
        expect(res.code).toBe(1);
        const error = JSON.parse(res.stdout).error;
        expect(error.rank).toBe(r);
        expect(error.message).toMatch(new RegExp(`by rank ${r}$`));
        // The stack still names the job's own source file (source-mapped), not its bundle.
        expect(error.stack).toContain('stray-error.ts');
      }
    }
  });

  it('stops the run quietly, exit 141 as SIGPIPE would, when the reader of stdout goes away', async () => {
    const child = spawn(process.execPath, [BIN, 'run', `${FIXTURES}floods.ts`, '--ranks', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    // Read the first line, then close the pipe, as `| head -1` does.
    await new Promise<void>((resolve) => {
      child.stdout.once('data', () => {
        child.stdout.destroy();
        resolve();
      });
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(141);
    expect(stderr).not.toMatch(/EPIPE|Unhandled|at /);
  });
});

/** The names of the MPI-call slices of a trace file, by rank (track). */
function sliceNames(file: string): Record<number, string[]> {
  const events = (
    JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: { ph: string; tid: number; name: string }[] }
  ).traceEvents;
  const out: Record<number, string[]> = {};
  for (const e of events) if (e.ph === 'X') (out[e.tid] ??= []).push(e.name);
  return out;
}

/** The tracks (rank names) of a trace file. */
function trackNames(file: string): string[] {
  const events = (
    JSON.parse(readFileSync(file, 'utf8')) as {
      traceEvents: { ph: string; name: string; args?: { name?: string } }[];
    }
  ).traceEvents;
  return events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args?.name ?? '');
}
