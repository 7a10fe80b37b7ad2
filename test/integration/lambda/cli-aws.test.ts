/**
 * The CLI as a user runs it (a child process of the built package) against the local stand-in
 * of a deployed stack: `run --backend aws` and `doctor`.
 */
import { afterEach, describe, expect, it } from 'vitest';
// The built CLI (main reads its version from the package.json next to dist/), as bin/ runs it.
import { main } from '../../../dist/sdk/cli/main.js';
import { cli } from '../../helpers/cli.js';
import { useLocalStack } from '../../helpers/lambda-stack.js';

const stack = useLocalStack();
const env = () => ({ AWS_ENDPOINT_URL_LAMBDA: stack.lambda.url, TSMPI_OUTPUTS_FILE: '' });
afterEach(() => {
  stack.lambda.concurrency = { account: 1000, unreserved: 1000 };
});

describe('tsmpi-cloud run --backend aws', () => {
  it('runs pi and prints one JSON object with the cost report; rank output on stderr; no queue left', async () => {
    const r = await cli(
      [
        'run',
        'pi',
        '--ranks',
        '4',
        '--backend',
        'aws',
        '--outputs-file',
        stack.outputsFile,
        '--endpoint',
        stack.fauxqs.endpoint,
        '--json',
        '--',
        '--samples',
        '100000',
      ],
      { env: env() },
    );
    expect(r.stderr).toContain('Estimated π');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, backend: 'aws', ranks: 4 });
    expect(out.result.pi).toBeGreaterThan(3);
    expect(out.stats.cost.totalUsd).toBeGreaterThan(0);
    expect(out.stats.aws).toMatchObject({
      stack: 'TsmpiLambdaTest',
      functionName: 'tsmpi-lt-rank',
      invocations: 4,
    });
    await stack.lambda.idle();
    expect(await stack.queuesLeft()).toEqual([]);
  });

  it('refuses, with exit status 2 and the numbers, when the concurrency is short', async () => {
    stack.lambda.concurrency = { account: 10, unreserved: 3 };
    const r = await cli(
      [
        'run',
        'hello',
        '--ranks',
        '5',
        '--backend',
        'aws',
        '--outputs-file',
        stack.outputsFile,
        '--endpoint',
        stack.fauxqs.endpoint,
      ],
      { env: env() },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('5 ranks need 5 concurrent executions; the account has 3 unreserved');
  });
});

describe('the progress line', () => {
  it('shows ranks started/finished on a terminal, redrawn around output lines, and clears it at the end', async () => {
    const saved = { lambda: process.env.AWS_ENDPOINT_URL_LAMBDA, outputs: process.env.TSMPI_OUTPUTS_FILE };
    process.env.AWS_ENDPOINT_URL_LAMBDA = stack.lambda.url;
    let stdout = '';
    let stderr = '';
    try {
      const code = await main(
        [
          'run',
          'hello',
          '--ranks',
          '3',
          '--backend',
          'aws',
          '--outputs-file',
          stack.outputsFile,
          '--endpoint',
          stack.fauxqs.endpoint,
        ],
        { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stderrIsTTY: true },
      );
      expect(code).toBe(0);
    } finally {
      for (const [key, value] of [
        ['AWS_ENDPOINT_URL_LAMBDA', saved.lambda],
        ['TSMPI_OUTPUTS_FILE', saved.outputs],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    const clear = '\r\u001b[2K';
    expect(stdout.split('\n').filter(Boolean).sort()).toEqual(
      [0, 1, 2].map((r) => `Hello from process ${r} out of 3`),
    );
    expect(stderr).toContain(`${clear}ranks started 1/3, finished 0/3`);
    expect(stderr).toContain(`${clear}ranks started 3/3, finished 3/3`);
    expect(stderr.endsWith(clear)).toBe(true);
  });
});

describe('tsmpi-cloud doctor', () => {
  it('prints a ✓ line per check and exits 0 when the deployment can run jobs', async () => {
    const r = await cli(
      ['doctor', '--outputs-file', stack.outputsFile, '--endpoint', stack.fauxqs.endpoint],
      {
        env: env(),
      },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('✓')).map((l) => l.split(/[ :]/)[1])).toEqual([
      'stack',
      'credentials',
      'concurrency',
      'rank',
      'SQS',
      'S3',
    ]);
    expect(r.stdout).toContain('✓ concurrency: up to 1000 ranks at once');
    // What `cdk deploy` would accept as a reservation (Lambda keeps 100 unreserved), and the prop to set.
    expect(r.stdout).toContain(
      'a reservation for the rank function may be at most 900 (Lambda keeps 100 unreserved; synthesize with `accountConcurrency: 1000`)',
    );
    expect(lines.at(-1)).toMatch(/^All checks passed/);
  });

  it('exits 1 with a ✗ line and what to fix when the concurrency cannot hold --ranks', async () => {
    stack.lambda.concurrency = { account: 1000, unreserved: 1000, reserved: 2 };
    const r = await cli(
      ['doctor', '--outputs-file', stack.outputsFile, '--endpoint', stack.fauxqs.endpoint, '--ranks', '8'],
      { env: env() },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "✗ concurrency: 8 ranks need 8 concurrent executions; the function's reserved concurrency (2) allows 2",
    );
    expect(r.stdout).toContain('→ request a "Concurrent executions" quota increase');
  });

  it('counts one concurrent execution per node with --ranks-per-node', async () => {
    stack.lambda.concurrency = { account: 1000, unreserved: 1000, reserved: 2 };
    try {
      const doctor = (ranks: number) =>
        cli(
          [
            'doctor',
            '--outputs-file',
            stack.outputsFile,
            '--endpoint',
            stack.fauxqs.endpoint,
            '--ranks',
            String(ranks),
            '--ranks-per-node',
            '4',
          ],
          { env: env() },
        );
      const fits = await doctor(8);
      expect(fits.code, fits.stdout).toBe(0);
      expect(fits.stdout).toContain('✓ concurrency: up to 2 invocations at once, 8 ranks in nodes of 4');
      const short = await doctor(9);
      expect(short.code).toBe(1);
      expect(short.stdout).toContain(
        "✗ concurrency: 9 ranks in nodes of 4 need 3 concurrent executions; the function's reserved concurrency (2) allows 2",
      );
    } finally {
      stack.lambda.concurrency = { account: 1000, unreserved: 1000 };
    }
  });

  it('exits 1 saying how to deploy when the stack cannot be found', async () => {
    const r = await cli(['doctor', '--outputs-file', '/nonexistent/outputs.json'], { env: env() });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /✗ stack TsmpiCloud\n {2}→ cannot read the outputs file \/nonexistent\/outputs\.json/,
    );
  });
});
