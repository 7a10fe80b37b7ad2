import { spawn } from 'node:child_process';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { BIN, cli, FIXTURES } from '../../helpers/cli.js';
import { useFauxqs } from '../../helpers/fauxqs.js';

const fx = useFauxqs();

async function queuesLeft(): Promise<string[]> {
  const res = await fx.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'tsmpi-' }));
  return res.QueueUrls ?? [];
}

describe('--backend sqs: ranks on threads, every message over SQS', () => {
  it('runs pi and reports SQS calls and a cost estimate in --json stats; leaves no queue', async () => {
    const r = await cli([
      'run',
      'pi',
      '--ranks',
      '4',
      '--backend',
      'sqs',
      '--endpoint',
      fx.endpoint,
      '--json',
      '--',
      '--samples',
      '40000',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.backend).toBe('sqs');
    expect(out.result.pi).toBeGreaterThan(3);
    expect(out.stats.calls.SendMessageBatch).toBeGreaterThan(0);
    expect(out.stats.calls.ReceiveMessage).toBeGreaterThan(0);
    expect(out.stats.costUsd).toBeGreaterThan(0);
    expect(r.stderr).toContain('Estimated π');
    expect(await queuesLeft()).toEqual([]);
  });

  it('a failing rank and abort(code) fail the job and still delete the queues', async () => {
    const t = await cli([
      'run',
      `${FIXTURES}throws.ts`,
      '--ranks',
      '3',
      '--backend',
      'sqs',
      '--endpoint',
      fx.endpoint,
    ]);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain('boom on rank 1');
    const a = await cli([
      'run',
      `${FIXTURES}aborts.ts`,
      '--ranks',
      '3',
      '--backend',
      'sqs',
      '--endpoint',
      fx.endpoint,
      '--json',
    ]);
    expect(a.code).toBe(1);
    expect(JSON.parse(a.stdout).error.errorcode).toBe(42);
    expect(await queuesLeft()).toEqual([]);
  });

  it('a timeout and Ctrl-C stop the job and delete its queues', async () => {
    const t = await cli([
      'run',
      `${FIXTURES}hangs.ts`,
      '--ranks',
      '2',
      '--backend',
      'sqs',
      '--endpoint',
      fx.endpoint,
      '--timeout',
      '1',
    ]);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain('timed out');
    expect(await queuesLeft()).toEqual([]);

    const child = spawn(
      process.execPath,
      [
        BIN,
        'run',
        `${FIXTURES}ready-then-hang.ts`,
        '--ranks',
        '2',
        '--backend',
        'sqs',
        '--endpoint',
        fx.endpoint,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    // Interrupt once a rank says it runs (past a barrier: every rank is up and blocked).
    await new Promise<void>((resolve) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        if (out.includes('ready')) resolve();
      });
    });
    expect((await queuesLeft()).length).toBe(2);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(130); // 128 + SIGINT, as shells expect
    expect(stderr).toContain('interrupted');
    expect(await queuesLeft()).toEqual([]);
  });

  it('an unreachable endpoint is a usage error naming what to set', async () => {
    const r = await cli([
      'run',
      'hello',
      '--ranks',
      '2',
      '--backend',
      'sqs',
      '--endpoint',
      'http://127.0.0.1:9',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot reach the SQS endpoint http:\/\/127\.0\.0\.1:9/);
  });
});
