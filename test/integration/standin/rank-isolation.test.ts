/**
 * What a rank meets on Lambda beyond its own job, run on the Lambda stand-in (aws-lambda-ric 4 in
 * Node 24 processes, one warm environment reused by every job since the concurrency is 1):
 * - stray errors: aws-lambda-ric 4 registers no process-level listener, so a rejection or an
 *   exception nothing handles would end the environment without a word to /error; the rank must
 *   fail the job within seconds instead (the function timeout, 15 min, and the launcher's start
 *   timeout, 90 s, are both far above these tests' own limit);
 * - warm reuse: a later job must never see an earlier job's module state, globals, temp files,
 *   timers, late output or late rejections.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsStandin, LAMBDA_STANDIN_SKIP_REASON, startAwsStandin } from '../../helpers/aws-standin.js';
import { cli } from '../../helpers/cli.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
/** Each job must end well within this (the function timeout and the launcher's backstops are far longer). */
const JOB_LIMIT_MS = 45_000;

describe('a rank on the Lambda stand-in, in one warm environment', () => {
  let s: AwsStandin | undefined;
  beforeAll(async () => {
    if (LAMBDA_STANDIN_SKIP_REASON !== undefined) return;
    s = await startAwsStandin({
      rules: { youngQueueMs: 0 },
      lambda: { concurrency: { account: 1000, unreserved: 1 } },
    });
    expect(s.lambda.fn.timeoutSeconds * 1000).toBeGreaterThan(10 * JOB_LIMIT_MS);
  }, 180_000);
  afterAll(async () => {
    await s?.stop();
    if (s !== undefined) expect(s.lambda.liveProcesses()).toBe(0);
  }, 60_000);

  /** Runs a job file on one rank; resolves with its --json result and how long the CLI took. */
  async function run(job: string, extra: string[] = []) {
    const t0 = Date.now();
    const r = await cli(
      [
        'run',
        `${FIXTURES}${job}`,
        '--ranks',
        '1',
        '--backend',
        'aws',
        '--outputs-file',
        s!.outputsFile,
        '--endpoint',
        s!.proxy.endpoint,
        '--json',
        ...extra,
      ],
      { env: s!.launcherEnv },
    );
    const ms = Date.now() - t0;
    console.log(`${job}: exit ${r.code} after ${ms} ms`);
    await s!.lambda.idle();
    return { ...r, ms, out: JSON.parse(r.stdout) as Record<string, any> };
  }

  /** What a job left in the stack; job bundles (`jobs/`) stay on purpose, a cache for the next run. */
  async function leftovers() {
    const l = await s!.leftovers();
    return { ...l, objects: l.objects.filter((k) => !k.startsWith('jobs/')) };
  }

  const skip = LAMBDA_STANDIN_SKIP_REASON;

  it(
    'fails the job, with the error, when the job module rejects while it loads',
    async (ctx) => {
      if (skip !== undefined) ctx.skip(skip);
      const r = await run('rejects-at-load.ts');
      expect(r.code, r.stderr.slice(-3000)).toBe(1);
      expect(r.out.error.message).toContain('rejected while the job module loads');
      expect(await leftovers()).toEqual({ queues: [], objects: [] });
    },
    JOB_LIMIT_MS,
  );

  it(
    'fails the job, with the error, when a timer of the job throws while the rank runs',
    async (ctx) => {
      if (skip !== undefined) ctx.skip(skip);
      const r = await run('rejects-while-running.ts');
      expect(r.code, r.stderr.slice(-3000)).toBe(1);
      expect(r.out.error.message).toContain('thrown by a timer while the rank runs');
      expect(await leftovers()).toEqual({ queues: [], objects: [] });
    },
    JOB_LIMIT_MS,
  );

  it(
    'sets -x variables for that job only: the next job in the same warm environment sees none',
    async (ctx) => {
      if (skip !== undefined) ctx.skip(skip);
      const withEnv = await run('reads-env.ts', ['-x', 'JOB_COLOR=blue']);
      expect(withEnv.code, withEnv.stderr.slice(-3000)).toBe(0);
      expect(withEnv.out.result).toEqual({ color: 'blue' });
      await s!.lambda.idle();
      await s!.lambda.warm();
      const without = await run('reads-env.ts');
      expect(without.code, without.stderr.slice(-3000)).toBe(0);
      expect(without.out.result).toEqual({ color: null });
      expect(s!.lambda.invocations.at(-1)?.cold).toBe(false);
      expect(await leftovers()).toEqual({ queues: [], objects: [] });
    },
    2 * JOB_LIMIT_MS,
  );

  it(
    'keeps what a job leaves behind (state, globals, /tmp, timers, output, a late rejection) from the next job',
    async (ctx) => {
      if (skip !== undefined) ctx.skip(skip);
      const first = await run('leaves-a-mess.ts');
      expect(first.code, first.stderr.slice(-3000)).toBe(0);
      expect(first.out.result).toEqual({ runs: 1, fileWasThere: false });
      const envs = s!.lambda.environmentsStarted();
      // Until its environment asks for the next event, Lambda would start another one.
      await s!.lambda.idle();
      await s!.lambda.warm();

      const next = await run('looks-around.ts');
      expect(next.code, next.stderr.slice(-3000)).toBe(0);
      expect(next.out.result).toEqual({ global: null, file: false });
      expect(`${next.stdout}${next.stderr}`).toContain('looks-around ran');
      expect(`${next.stdout}${next.stderr}`).not.toContain('LATE');

      // The same job again in the same environment: a fresh module, an empty temp dir.
      await s!.lambda.idle();
      await s!.lambda.warm();
      const again = await run('leaves-a-mess.ts');
      expect(again.code, again.stderr.slice(-3000)).toBe(0);
      expect(again.out.result).toEqual({ runs: 1, fileWasThere: false });
      // The later two ran warm in the first one's environment: nothing was killed or recycled.
      expect(s!.lambda.environmentsStarted()).toBe(envs);
      const [, second, third] = s!.lambda.invocations.slice(-3);
      expect([second?.cold, third?.cold]).toEqual([false, false]);
      // The first job's late rejection reached a later invocation in that environment, which contained it.
      expect(`${second?.logs}${third?.logs}`).toContain('stray-error-contained');
    },
    3 * JOB_LIMIT_MS,
  );
});
