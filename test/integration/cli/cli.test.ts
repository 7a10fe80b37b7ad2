import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERR_ABORTED } from '../../../sdk/index.js';
import { cli, FIXTURES } from '../../helpers/cli.js';

const job = (name: string) => `${FIXTURES}${name}`;

describe('the CLI as a user runs it', () => {
  it('runs pi on the default local backend and prints the estimate and the time (--details: the error and rate)', async () => {
    const r = await cli(['run', 'pi', '--ranks', '4', '--', '--samples', '200000', '--details']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Estimated π: 3\.1\d*$/m);
    expect(r.stdout).toMatch(/^Error vs Math\.PI: /m);
    expect(r.stdout).toMatch(/million samples\/s/);
    expect(r.stdout).toMatch(/^Time taken with 4 processes: \d+\.\d{4} seconds$/m);
  });

  it('hello prints the tutorial line once per rank', async () => {
    const r = await cli(['run', 'hello', '--ranks', '4']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').sort();
    expect(lines).toEqual([0, 1, 2, 3].map((i) => `Hello from process ${i} out of 4`));
  });

  it('the tutorial jobs print what the tutorial shows', async () => {
    const sr = await cli(['run', 'send-recv', '--ranks', '2']);
    expect(sr.stdout).toContain('Process 0 sent data to Process 1');
    expect(sr.stdout).toContain("Process 1 received data: {'key': 'value', 'rank': 0}");
    const bc = await cli(['run', 'broadcast', '--ranks', '3']);
    for (let i = 0; i < 3; i++) expect(bc.stdout).toContain(`Process ${i} received data: Broadcast message`);
    const sg = await cli(['run', 'scatter-gather', '--ranks', '4']);
    expect(sg.stdout).toContain('Process 3 received: 6');
    expect(sg.stdout).toContain('Root process gathered: [1, 3, 5, 7]');
    const rd = await cli(['run', 'reduce', '--ranks', '4']);
    expect(rd.stdout).toContain('The maximum value is: 7');
    const nb = await cli(['run', 'pi-nonblocking', '--ranks', '2', '--', '--samples', '100000']);
    expect(nb.stdout).toMatch(/Time taken with 2 processes \(non-blocking\): \d+\.\d{4} seconds/);
    for (const r of [sr, bc, sg, rd, nb]) expect(r.code).toBe(0);
  });

  it('--json prints exactly one JSON object on stdout and rank output on stderr', async () => {
    const r = await cli([
      'run',
      job('allreduce.ts'),
      '--ranks',
      '3',
      '--json',
      '--',
      '--alpha',
      '2',
      '--fast',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(
      expect.arrayContaining(['ok', 'backend', 'ranks', 'result', 'results', 'timings', 'stats']),
    );
    expect(out.ok).toBe(true);
    expect(out.backend).toBe('local');
    expect(out.ranks).toBe(3);
    expect(out.result).toEqual({ total: 6, args: { alpha: 2, fast: true } });
    expect(out.results).toHaveLength(3);
    expect(out.stats.messages).toBeGreaterThan(0);
    expect(r.stderr).toContain('hi from a sibling module: total = 6');
  });

  it('--tag-output prefixes each line with its rank', async () => {
    const r = await cli(['run', 'hello', '--ranks', '2', '--tag-output']);
    expect(r.stdout).toContain('[1] Hello from process 1 out of 2');
    expect(r.stdout).toContain('[0] Hello from process 0 out of 2');
  });

  it('a job file gets the runtime module instance, so instanceof MPIError holds', async () => {
    const r = await cli(['run', job('identity.mjs'), '--ranks', '2', '--json']);
    expect(JSON.parse(r.stdout).results).toEqual([
      { sameInstance: true, sum: 2 },
      { sameInstance: true, sum: 2 },
    ]);
  });

  it('list names every built-in job; --help and --version answer', async () => {
    const l = await cli(['list']);
    for (const name of [
      'pi',
      'hello',
      'send-recv',
      'broadcast',
      'scatter-gather',
      'reduce',
      'pi-nonblocking',
    ]) {
      expect(l.stdout).toMatch(new RegExp(`^${name}\\s`, 'm'));
    }
    const h = await cli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--ranks N');
    const v = await cli(['--version']);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('failures stop every rank and exit 1 with one readable paragraph', () => {
  it('a rank that throws fails the job, naming the rank and the error, no stack without --verbose', async () => {
    const r = await cli(['run', job('throws.ts'), '--ranks', '4']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rank 1');
    expect(r.stderr).toContain('boom on rank 1');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    const v = await cli(['run', job('throws.ts'), '--ranks', '4', '--verbose']);
    expect(v.stderr).toMatch(/^\s+at /m);
  });

  it.each([
    ['throws', []],
    ['aborts', ['--abort']],
  ])(
    "every line printed before a rank %s reaches the user, its own and the other ranks'",
    async (_, extra) => {
      const r = await cli([
        'run',
        job('prints-then-fails.ts'),
        '--ranks',
        '2',
        '--',
        '--lines',
        '300',
        ...extra,
      ]);
      expect(r.code).toBe(1);
      for (const rank of [0, 1]) {
        const got = r.stdout.split('\n').filter((l) => l.startsWith(`rank ${rank} line `));
        expect(got).toEqual(Array.from({ length: 300 }, (_, i) => `rank ${rank} line ${i}`));
      }
    },
  );

  it('names the kind of a built-in error a rank threw (TypeError: ...), as a Python traceback ends', async () => {
    const r = await cli(['run', job('throws.ts'), '--ranks', '2', '--', '--type-error']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "the job failed on rank 1: TypeError: Cannot read properties of null (reading 'x')",
    );
  });

  it('a return value that cannot reach the launcher fails its rank, saying where in the value the problem is', async () => {
    const r = await cli(['run', job('returns-function.ts'), '--ranks', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'the job failed on rank 1: rank 1 returned a value that cannot be sent back to the launcher: cannot send a function (f) at `value.nested.f`',
    );
  });

  it('a rank that throws a non-Error value is reported with its type and value', async () => {
    const r = await cli(['run', job('throws.ts'), '--ranks', '2', '--json', '--', '--non-error']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.error.rank).toBe(1);
    expect(out.error.message).toContain('non-Error value (object)');
    expect(out.error.message).toContain('not an Error');
  });

  it('abort(code) on any rank fails the job with that errorcode', async () => {
    const r = await cli(['run', job('aborts.ts'), '--ranks', '4', '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.error.errorcode).toBe(42);
    expect(out.error.rank).toBe(2);
    expect(out.error.errorClass).toBe(ERR_ABORTED);
    expect(out).toMatchObject({ ok: false, backend: 'local', ranks: 4, result: null });
    expect(Object.keys(out)).toEqual([
      'ok',
      'backend',
      'ranks',
      'result',
      'results',
      'timings',
      'stats',
      'error',
    ]);
  });

  it('process.exit in a rank and an unhandled rejection fail the job', async () => {
    const e = await cli(['run', job('exits.ts'), '--ranks', '2']);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/rank 1 exited with code 3/);
    const u = await cli(['run', job('unhandled.ts'), '--ranks', '2']);
    expect(u.code).toBe(1);
    expect(u.stderr).toContain('nobody caught me');
  });

  it('--timeout ends a hung job and says what each rank was blocked in', async () => {
    // The clock starts at launch: leave room for the ranks to start and block on a loaded
    // machine (1.6 s at a load of 20 on 2 cores), so the report, not the load, decides.
    const r = await cli(['run', job('hangs.ts'), '--ranks', '3', '--timeout', '8']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('timed out');
    expect(r.stderr).toMatch(/rank 0: waiting in recv\(source=1, tag=7\)/);
    expect(r.stderr).toMatch(/rank 1: waiting in bcast\(root=0\)/);
  });

  it('bad MPI arguments inside a job are MPIErrors with the right class', async () => {
    const cases: [string, number, RegExp][] = [
      ['root', 7, /root/],
      ['scatter', 2, /exactly 2 entries/],
      ['function', 3, /function/],
      ['truncate', 15, /does not fit/],
    ];
    for (const [name, errorClass, msg] of cases) {
      const r = await cli(['run', job('bad-args.ts'), '--ranks', '2', '--json', '--', '--case', name]);
      const res = JSON.parse(r.stdout).result;
      expect(res.errorClass, name).toBe(errorClass);
      expect(res.message).toMatch(msg);
    }
  });
});

describe('bad usage exits 2 with a message that says what to do', () => {
  const usage: [string[], RegExp][] = [
    [['run', 'pi', '--ranks', '0'], /--ranks.*integer in \[1, 4096\], got `0`/],
    [['run', 'pi', '--ranks', '-1'], /--ranks.*integer in \[1, 4096\], got `-1`/],
    [['run', 'pi', '--ranks', 'abc'], /got `abc`/],
    [['run', 'pi', '--ranks', '1.5'], /got `1\.5`/],
    [['run', 'pi', '--ranks', '1e9'], /got `1e9`/],
    [['run', 'pi', '--backend', 'aws'], /missing --ranks/],
    [['run', 'nope', '--ranks', '2'], /unknown job `nope`.*built-in jobs are/],
    [['run', './missing.ts', '--ranks', '2'], /job file not found/],
    [['run', `${FIXTURES}syntax-error.ts`, '--ranks', '2'], /could not be built: .*syntax-error\.ts:3/],
    [['run', `${FIXTURES}no-default.ts`, '--ranks', '2'], /no default export/],
    [
      ['run', `${FIXTURES}not-a-job.ts`, '--ranks', '2'],
      /^tsmpi-cloud: job .*not-a-job\.ts: its default export is a number, not a job: wrap the body in defineJob/,
    ],
    [['run', 'pi', '--ranks', '2', '--frobnicate'], /frobnicate/],
    [['run', 'pi', '--ranks', '2', '--backend', 'gpu'], /--backend/],
    [['run', 'pi', '--ranks', '2', '--timeout', 'soon'], /--timeout/],
    [['run', 'pi', '--ranks', '2', '--ranks-per-node', '0'], /--ranks-per-node.*whole number >= 1.*got `0`/],
    [['run', 'pi', '--ranks', '2', '--ranks-per-node', 'x'], /--ranks-per-node.*got `x`/],
    [['run', 'pi', '--ranks', '8', '--ranks-per-node', '4'], /all ranks share one node.*--backend sqs/],
    [
      ['run', 'pi', '--ranks', '2', '--ranks', '4'],
      /--ranks is given twice, as `--ranks 2` and as `--ranks 4`: give it once/,
    ],
    [['frob'], /unknown command `frob`/],
    [
      ['doctor', '--endpoint', 'foo'],
      /Expected --endpoint to be a URL like http:\/\/127\.0\.0\.1:4566, got `foo`/,
    ],
    [
      ['run', 'pi', '--ranks', '2', '--', '--samples', '1e20'],
      /Expected job argument `--samples` to be a whole number in \[1, 9007199254740991\], got `100000000000000000000`/,
    ],
    [
      ['run', 'pi', '--ranks', '2', '--', '--seed', '4294967297'],
      /Expected job argument `--seed` to be a whole number in \[1, 4294967295\], got `4294967297`/,
    ],
    [
      ['run', `${FIXTURES}not-an-object-job.ts`, '--ranks', '2'],
      /its default export is an object, not a job/,
    ],
    [['run', `${FIXTURES}class-job.ts`, '--ranks', '2'], /its default export is a class \(Job\), not a job/],
    [
      [
        'run',
        'hello',
        '--ranks',
        '2',
        '--backend',
        'sqs',
        '--endpoint',
        'http://127.0.0.1:9',
        '--region',
        'Bad_Region',
      ],
      /Expected --region to be an AWS region such as us-east-1, got `Bad_Region`/,
    ],
    [
      ['run', `${FIXTURES}aborts`, '--ranks', '2'],
      /job file not found: .*aborts; did you mean .*aborts\.ts\?/,
    ],
    [
      ['run', `${FIXTURES}abrots.ts`, '--ranks', '2'],
      /job file not found: .*abrots\.ts; did you mean .*aborts\.ts\?/,
    ],
    [
      ['run', `${FIXTURES}no-such-dir/x.ts`, '--ranks', '2'],
      /its folder .*no-such-dir does not exist either; check the path/,
    ],
    [
      ['run', 'hello', '--ranks', '2', '--output-filename', `${FIXTURES}throws.ts/out`],
      /Cannot use --output-filename `.*throws\.ts\/out`: `.*throws\.ts` is a file, not a folder/,
    ],
    [
      ['run', 'hello', '--ranks', '2', '--trace', `${FIXTURES}throws.ts/t.json`],
      /Cannot write the trace to `.*throws\.ts\/t\.json`: `.*throws\.ts` is a file, not a folder/,
    ],
  ];
  it('refuses a --trace path it could not write after the run, or that is the job file itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsmpi-trace-'));
    try {
      const jobFile = join(dir, 'job.ts');
      copyFileSync(`${FIXTURES}throws.ts`, jobFile);
      const before = readFileSync(jobFile, 'utf8');
      const self = await cli(['run', jobFile, '--ranks', '2', '--trace', jobFile]);
      expect(self.code).toBe(2);
      expect(self.stderr).toContain('it is the job file itself; choose another path');
      expect(readFileSync(jobFile, 'utf8')).toBe(before);
      const proc = await cli(['run', 'hello', '--ranks', '2', '--trace', '/proc/tsmpi-trace.json']);
      expect(proc.code).toBe(2);
      expect(proc.stderr).toMatch(
        /Cannot write the trace to `\/proc\/tsmpi-trace\.json` \(ENOENT.*\): choose another path/,
      );
      expect(proc.stdout).toBe(''); // refused before any rank ran
      // A path that can be written is left as it was found: no empty file from the check.
      const ok = await cli(['run', 'hello', '--ranks', '1', '--trace', join(dir, 't.json')]);
      expect(ok.code).toBe(0);
      expect(JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')).traceEvents.length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(usage)('%j', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
  });
});

describe('--optimize on the local backend', () => {
  it("reaches the ranks' cost model: every collective of the run is chosen by it", async () => {
    const r = await cli([
      'run',
      'pi',
      '--ranks',
      '4',
      '--optimize',
      'cost',
      '--json',
      '--',
      '--samples',
      '1000',
    ]);
    expect(r.code).toBe(0);
    const collectives = JSON.parse(r.stdout).stats.collectives as { selectedBy: string }[];
    expect(collectives.length).toBeGreaterThan(0);
    expect(collectives.map((c) => c.selectedBy)).toEqual(collectives.map(() => 'cost'));
  });
});
