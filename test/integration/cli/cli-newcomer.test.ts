/**
 * What a newcomer runs into on the command line (issue 11, section 2), and mpiexec's habits
 * (section 3): each behaviour as a user sees it, through the built CLI in a child process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, FIXTURES } from '../../helpers/cli.js';

const job = (name: string) => `${FIXTURES}${name}`;
/** Every backtick-quoted piece of a message is closed. */
const balanced = (s: string) => (s.match(/`/g) ?? []).length % 2 === 0;

describe('argument parser messages say what was wrong and what to do', () => {
  it('a negative --ranks is a range error, not "argument is ambiguous"', async () => {
    const r = await cli(['run', 'hello', '--ranks', '-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tsmpi-cloud: Expected --ranks to be an integer in [1, 4096], got `-1`\n');
  });

  it('an unknown flag suggests the closest one, with every quote closed', async () => {
    const r = await cli(['run', 'hello', '--ranks', '2', '--jsno']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option `--jsno` for `run`; did you mean `--json`?');
    expect(balanced(r.stderr)).toBe(true);
  });

  it('a job argument given without `--` says that job arguments go after `--`', async () => {
    const r = await cli(['run', 'pi', '--ranks', '2', '--samples', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "pi's own arguments go after `--`: `tsmpi-cloud run pi --ranks 2 -- --samples 3`",
    );
    expect(balanced(r.stderr)).toBe(true);
  });

  it('a misspelled argument of a built-in job is an error that suggests the right one', async () => {
    const r = await cli(['run', 'pi', '--ranks', '2', '--', '--sample', '1000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown job argument `--sample` for pi; did you mean `--samples`?');
  });

  it('options a backend does not use are refused, not ignored', async () => {
    const r = await cli(['run', 'hello', '--ranks', '1', '--endpoint', 'http://127.0.0.1:4566']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--endpoint applies to --backend sqs or aws, not local');
    const p = await cli(['run', 'hello', '--ranks', '1', '--backend', 'sqs', '--stack', 'S']);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('--stack applies to --backend aws, not sqs');
  });

  it('an option of another command is refused, naming whose it is', async () => {
    const r = await cli(['list', '--ranks', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--ranks is not an option of `list`');
  });

  it('list --json prints the built-in jobs as JSON with their arguments', async () => {
    const r = await cli(['list', '--json']);
    expect(r.code).toBe(0);
    const jobs = JSON.parse(r.stdout) as { name: string; args: Record<string, string> }[];
    expect(jobs.map((j) => j.name)).toContain('pi');
    expect(Object.keys(jobs.find((j) => j.name === 'pi')!.args)).toEqual(['samples', 'seed', 'details']);
  });

  it('each command has its own --help, and `help <command>` shows the same', async () => {
    const run = await cli(['run', '--help']);
    const list = await cli(['list', '--help']);
    const doctor = await cli(['doctor', '--help']);
    const global = await cli(['--help']);
    for (const r of [run, list, doctor, global]) expect(r.code).toBe(0);
    expect(run.stdout).toContain('--output-filename DIR');
    expect(run.stdout).not.toEqual(global.stdout);
    expect(list.stdout).not.toContain('--ranks');
    expect(doctor.stdout).toContain('--stack S');
    expect(doctor.stdout).not.toContain('--tag-output');
    expect((await cli(['help', 'run'])).stdout).toEqual(run.stdout);
    // With a built-in job: its own arguments follow the run help.
    const pi = await cli(['run', 'pi', '--help']);
    expect(pi.code).toBe(0);
    expect(pi.stdout.startsWith(run.stdout.trimEnd())).toBe(true);
    expect(pi.stdout).toMatch(
      /pi's job arguments \(after `--`.*\):\n {2}--samples {2}N \(default 1e7\)\n {2}--seed /,
    );
    expect((await cli(['run', 'hello', '--help'])).stdout).toContain('hello takes no job arguments.');
  });

  it('-v is --verbose (as mpiexec), and alone prints the version (as node -v)', async () => {
    const alone = await cli(['-v']);
    expect(alone.code).toBe(0);
    expect(alone.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const r = await cli(['run', job('throws.ts'), '--ranks', '2', '-v']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^\s+at /m);
  });
});

describe('--timeout', () => {
  it('a timeout longer than Node can time is refused instead of firing after a second', async () => {
    const r = await cli(['run', 'hello', '--ranks', '1', '--timeout', '3000000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Expected --timeout to be at most 2147483 seconds');
    expect(r.stderr).not.toContain('TimeoutOverflowWarning');
    // The largest one allowed lets a quick job finish.
    const ok = await cli(['run', 'hello', '--ranks', '1', '--timeout', '2147483']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });
});

describe('a rank that ends with a code', () => {
  it('abort(code) shows the code in the message', async () => {
    const r = await cli(['run', job('aborts.ts'), '--ranks', '4']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the job failed on rank 2 (abort code 42)');
  });

  it('process.exit(code) shows the code and carries it as error.errorcode', async () => {
    const r = await cli(['run', job('exits.ts'), '--ranks', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the job failed on rank 1 (exit code 3)');
    const j = await cli(['run', job('exits.ts'), '--ranks', '2', '--json']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout).error).toMatchObject({ rank: 1, errorcode: 3 });
  });
});

describe('job files', () => {
  it('a CommonJS job runs like an ES module job, with the runtime module instance', async () => {
    const r = await cli(['run', job('commonjs.cjs'), '--ranks', '2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).results).toEqual([
      { total: 3, sameInstance: true },
      { total: 3, sameInstance: true },
    ]);
  });

  it('a directory as the job says it is a directory and names job files in it', async () => {
    const r = await cli(['run', FIXTURES, '--ranks', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is a directory, not a job file: .*e\.g\. .*aborts\.ts/);
    expect(r.stderr).not.toContain('not found');
  });
});

/** Runs `node <args>` as a user would; resolves with its exit code and output. */
function node(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('a job file run with plain node is one rank, as `python hello.py` is', () => {
  it('runs as rank 0 of 1 with its arguments from the command line', async () => {
    const r = await node([job('script.mjs'), '--greeting', 'Hi']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Hi from process 0 out of 1, total 1\n');
  });

  it('a failure exits 1 with the error; abort(code) exits with code', async () => {
    const f = await node([job('script.mjs'), '--fail']);
    expect(f.code).toBe(1);
    expect(f.stderr).toContain('failed as asked');
    const a = await node([job('script.mjs'), '--abort', '4']);
    expect(a.code).toBe(4);
  });

  it('a job module imported by another script does not run', async () => {
    const r = await node([job('imports-script.mjs')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('imported a job: function\n');
  });

  it('under the launcher the same file runs on every rank, once each', async () => {
    const r = await cli(['run', job('script.mjs'), '--ranks', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').sort()).toEqual([
      'Hello from process 0 out of 2, total 3',
      'Hello from process 1 out of 2, total 3',
    ]);
  });
});

describe('the built-in pi jobs', () => {
  it('pi prints the tutorial lines only, a new seed each run unless --seed', async () => {
    const runs = await Promise.all(
      [1, 2].map(() => cli(['run', 'pi', '--ranks', '2', '--json', '--', '--samples', '1000'])),
    );
    const [a, b] = runs.map((r) => JSON.parse(r.stdout).result as { seed: number; pi: number });
    expect(a!.seed).not.toBe(b!.seed);
    const again = await Promise.all(
      [1, 2].map(() =>
        cli(['run', 'pi', '--ranks', '2', '--json', '--', '--samples', '1000', '--seed', '7']),
      ),
    );
    const [c, d] = again.map((r) => JSON.parse(r.stdout).result as { seed: number; pi: number });
    expect(c).toMatchObject({ seed: 7, pi: d!.pi });
    const plain = await cli(['run', 'pi', '--ranks', '2', '--', '--samples', '1000']);
    expect(plain.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^Estimated π: \d\.\d+$/),
      expect.stringMatching(/^Time taken with 2 processes: \d+\.\d{4} seconds$/),
    ]);
  });

  it('pi --details gives sampling rates that add up: per rank × ranks = the total', async () => {
    const r = await cli(['run', 'pi', '--ranks', '4', '--', '--samples', '400000', '--details']);
    expect(r.code).toBe(0);
    const m = r.stdout.match(/at (\d+\.\d) million samples\/s \((\d+\.\d) million per rank\)/);
    expect(m).not.toBeNull();
    const [total, perRank] = [Number(m![1]), Number(m![2])];
    // Both are printed to one decimal: four per-rank roundings add at most 4 × 0.05.
    expect(Math.abs(perRank * 4 - total)).toBeLessThanOrEqual(0.25);
    expect(r.stdout).toMatch(
      /^Seed: \d+ \(repeat this run with --ranks 4 -- --samples 400000 --seed \d+\)$/m,
    );
  });

  it('pi-nonblocking --details prints what `list` promises for it: the error, the seed and the sampling rate', async () => {
    const r = await cli(['run', 'pi-nonblocking', '--ranks', '2', '--', '--samples', '100000', '--details']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Error vs Math\.PI: /m);
    expect(r.stdout).toMatch(
      /^Seed: \d+ \(repeat this run with --ranks 2 -- --samples 100000 --seed \d+\)$/m,
    );
    expect(r.stdout).toMatch(/^Samples: 100000 at \d+\.\d million samples\/s \(\d+\.\d million per rank\)$/m);
  });

  it('pi-nonblocking with fewer samples than ranks still estimates a number', async () => {
    const r = await cli(['run', 'pi-nonblocking', '--ranks', '4', '--json', '--', '--samples', '3']);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout).result;
    expect(Number.isFinite(res.pi)).toBe(true);
    expect(res.samples).toBe(3);
    expect(r.stderr).not.toContain('NaN');
  });
});

describe('mpiexec conventions', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('--ranks defaults to the number of cores on the local backend', async () => {
    const r = await cli(['run', 'hello']);
    expect(r.code).toBe(0);
    const n = availableParallelism();
    expect(r.stdout.trim().split('\n').sort()).toEqual(
      Array.from({ length: n }, (_, i) => `Hello from process ${i} out of ${n}`).sort(),
    );
  });

  it('--ranks is still required on the remote backends', async () => {
    const r = await cli(['run', 'hello', '--backend', 'sqs']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing --ranks N');
  });

  it('-x VAR and --env VAR=VALUE reach every rank', async () => {
    const r = await cli(
      [
        'run',
        job('env-and-output.ts'),
        '-n',
        '2',
        '--json',
        '-x',
        'TSMPI_TEST_A',
        '--env',
        'TSMPI_TEST_B=two',
      ],
      { env: { TSMPI_TEST_A: 'one' } },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).results).toEqual([
      { a: 'one', b: 'two' },
      { a: 'one', b: 'two' },
    ]);
    const unset = await cli(['run', job('env-and-output.ts'), '-n', '1', '-x', 'TSMPI_TEST_UNSET_VAR']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('TSMPI_TEST_UNSET_VAR is not set here; give its value with -x');
    // Names Lambda reserves (region, credentials) would point the rank elsewhere: refused.
    const aws = await cli(['run', 'hello', '-n', '1', '--backend', 'aws', '-x', 'AWS_REGION=eu-west-1']);
    expect(aws.code).toBe(2);
    expect(aws.stderr).toContain('cannot set AWS_REGION on the aws backend: Lambda reserves');
  });

  it('--timestamp-output and --tag-output prefix lines; --merge-stderr-to-stdout merges', async () => {
    const r = await cli([
      'run',
      job('env-and-output.ts'),
      '-n',
      '2',
      '--timestamp-output',
      '--tag-output',
      '--merge-stderr-to-stdout',
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n').sort();
    expect(lines).toHaveLength(4);
    for (const l of lines)
      expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[[01]\] (out|err) [01]/);
  });

  it('--output-filename DIR writes each rank to its own files and nothing to the terminal', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsmpi-out-'));
    dirs.push(dir);
    const out = path.join(dir, 'out');
    const r = await cli(['run', job('env-and-output.ts'), '-n', '2', '--output-filename', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    expect(readdirSync(out).sort()).toEqual(['rank.0', 'rank.1']);
    for (const rank of [0, 1]) {
      expect(readFileSync(path.join(out, `rank.${rank}`, 'stdout'), 'utf8')).toBe(`out ${rank} -\n`);
      expect(readFileSync(path.join(out, `rank.${rank}`, 'stderr'), 'utf8')).toBe(`err ${rank}\n`);
    }
  });
});
