/**
 * `run --backend aws` stopped by a signal, on the AWS stand-ins (Lambda stand-in with
 * aws-lambda-ric 4 in Node 24 processes, SQS/S3 behind the rules layer with IAM): SIGTERM and a
 * double Ctrl-C stop the Lambda ranks (they report and return, nothing runs on to its timeout) and
 * delete the job's queues, payload objects and temporary job bundle.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsStandin, LAMBDA_STANDIN_SKIP_REASON, startAwsStandin } from '../../helpers/aws-standin.js';
import { BIN, FIXTURES } from '../../helpers/cli.js';

const skip = LAMBDA_STANDIN_SKIP_REASON;

describe('run --backend aws on the stand-ins, stopped by a signal', () => {
  let s: AwsStandin | undefined;
  beforeAll(async () => {
    if (skip !== undefined) return;
    s = await startAwsStandin({ rules: { youngQueueMs: 0 } });
  }, 180_000);
  afterAll(async () => {
    await s?.stop();
    if (s !== undefined) expect(s.lambda.liveProcesses()).toBe(0);
  }, 60_000);

  const cases: { signals: NodeJS.Signals[]; status: number }[] = [
    { signals: ['SIGTERM'], status: 143 },
    { signals: ['SIGINT', 'SIGINT'], status: 130 },
  ];
  it.for(cases)(
    '$signals stops the Lambda ranks and leaves nothing (exit $status)',
    { timeout: 120_000 },
    async ({ signals, status }, ctx) => {
      if (skip !== undefined) ctx.skip(skip);
      const stand = s!;
      const tmp = mkdtempSync(join(tmpdir(), 'tsmpi-signals-aws-'));
      try {
        const from = stand.lambda.invocations.length;
        const child = spawn(
          process.execPath,
          [
            BIN,
            'run',
            `${FIXTURES}ready-then-hang.ts`,
            '--ranks',
            '2',
            '--backend',
            'aws',
            '--outputs-file',
            stand.outputsFile,
            '--endpoint',
            stand.proxy.endpoint,
          ],
          { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...stand.launcherEnv, TMPDIR: tmp } },
        );
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d));
        const closed = new Promise<number | null>((r) => child.on('close', r));
        // Once both ranks run (past a barrier), on Lambda.
        await new Promise<void>((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (d: Buffer) => {
            out += d;
            if (out.includes('ready 0') && out.includes('ready 1')) resolve();
          });
          child.on('close', () => reject(new Error(`the run ended before its ranks ran: ${stderr}`)));
        });
        for (const signal of signals) child.kill(signal);
        expect(await closed, stderr).toBe(status);
        expect(stderr).toContain(`interrupted (${signals[0]})`);
        await stand.lambda.idle();
        // Every rank returned having reported (none ran on to its timeout or was killed).
        const invs = stand.lambda.invocations.slice(from);
        expect(invs.map((i) => i.outcome?.kind).filter((k) => k === 'killed' || k === undefined)).toEqual([]);
        const left = await stand.leftovers();
        expect({ ...left, objects: left.objects.filter((k) => !k.startsWith('jobs/')) }).toEqual({
          queues: [],
          objects: [],
        });
        expect(readdirSync(join(tmp, 'tsmpi-cloud-jobs'))).toEqual([]);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
  );
});
