/**
 * Signals stop a `--backend sqs` run the way Ctrl-C does: SIGINT, SIGTERM (`kill`, `timeout`, CI
 * cancellation) and SIGHUP (a closed terminal) all abort the ranks and delete the job's queues,
 * its bucket and its temporary job bundle; a second signal does not cut the teardown short; a
 * third exits at once, saying what may be left. Exit statuses are 128 + the signal's number.
 *
 * The CLI talks to fauxqs through a small proxy that can hold DeleteQueue calls, so the test can
 * send a second signal while the teardown is certainly still running (no sleeps).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteBucketCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { DeleteQueueCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES } from '../../helpers/cli.js';
import { useFauxqs } from '../../helpers/fauxqs.js';

const fx = useFauxqs();

/** A forwarding proxy to fauxqs that, while `hold` is on, parks DeleteQueue calls until `release()`. */
interface HoldingProxy {
  endpoint: string;
  hold: boolean;
  /** Resolves at the first DeleteQueue call parked since the last `release()`. */
  held(): Promise<void>;
  release(): void;
  close(): Promise<void>;
}

async function startHoldingProxy(upstream: string): Promise<HoldingProxy> {
  const target = new URL(upstream);
  let parked: (() => void)[] = [];
  let onHeld: (() => void) | undefined;
  let heldOnce = false;
  const forward = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    const up = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  };
  const server: Server = createServer((req, res) => {
    if (proxy.hold && req.headers['x-amz-target'] === 'AmazonSQS.DeleteQueue') {
      req.pause();
      parked.push(() => {
        req.resume();
        forward(req, res);
      });
      heldOnce = true;
      onHeld?.();
      return;
    }
    forward(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const proxy: HoldingProxy = {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold: false,
    held: () => (heldOnce ? Promise.resolve() : new Promise<void>((r) => (onHeld = r))),
    release() {
      proxy.hold = false;
      heldOnce = false;
      const go = parked;
      parked = [];
      for (const f of go) f();
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return proxy;
}

let proxy: HoldingProxy;
beforeAll(async () => {
  proxy = await startHoldingProxy(fx.endpoint);
});
afterAll(async () => {
  await proxy.close();
});

let tmp: string;
afterEach(() => {
  proxy.release();
  rmSync(tmp, { recursive: true, force: true });
});

/** What a job could leave: its queues, its own bucket, its temporary job bundle. */
async function leftovers() {
  const queues = (await fx.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'tsmpi-' }))).QueueUrls ?? [];
  const buckets = ((await fx.s3.send(new ListBucketsCommand({}))).Buckets ?? [])
    .map((b) => b.Name ?? '')
    .filter((name) => name !== fx.bucket);
  let bundles: string[] = [];
  try {
    bundles = readdirSync(join(tmp, 'tsmpi-cloud-jobs'));
  } catch {
    // never created
  }
  return { queues, buckets, bundles };
}

/** Starts `run ready-then-hang.ts` on 2 ranks over SQS; resolves once every rank runs (past a barrier). */
async function startRun() {
  tmp = mkdtempSync(join(tmpdir(), 'tsmpi-signals-'));
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
      proxy.endpoint,
    ],
    // The job bundle goes to <os.tmpdir()>/tsmpi-cloud-jobs: a directory of this test's own.
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } },
  );
  const io = { stderr: '', stdout: '' };
  const closed = new Promise<number | null>((r) => child.on('close', r));
  child.stderr?.on('data', (d: Buffer) => (io.stderr += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      io.stdout += d;
      if (io.stdout.includes('ready 0') && io.stdout.includes('ready 1')) resolve();
    });
    child.on('close', () => reject(new Error(`the run ended before its ranks ran: ${io.stderr}`)));
  });
  return { child, io, closed };
}

/** Resolves once the child's stderr contains `text`. */
function stderrSays(child: ChildProcess, io: { stderr: string }, text: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (io.stderr.includes(text)) {
        child.stderr?.off('data', check);
        resolve();
      }
    };
    child.stderr?.on('data', check);
    check();
  });
}

describe('tsmpi-cloud run --backend sqs, stopped by a signal', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
    ['SIGINT', 130],
  ] as const)(
    '%s aborts the ranks and deletes the queues, the bucket and the job bundle (exit %d)',
    async (signal, status) => {
      const { child, io, closed } = await startRun();
      expect((await leftovers()).queues).toHaveLength(2);
      expect((await leftovers()).bundles).toHaveLength(1);
      child.kill(signal);
      expect(await closed).toBe(status);
      expect(io.stderr).toContain(`interrupted (${signal})`);
      expect(await leftovers()).toEqual({ queues: [], buckets: [], bundles: [] });
    },
  );

  it('a second Ctrl-C during the teardown says so and lets the teardown finish', async () => {
    const { child, io, closed } = await startRun();
    proxy.hold = true;
    child.kill('SIGINT');
    await proxy.held(); // the teardown is deleting the queues, and waits on us
    child.kill('SIGINT');
    await stderrSays(child, io, 'SIGINT while stopping: the teardown goes on');
    proxy.release();
    expect(await closed).toBe(130);
    expect(await leftovers()).toEqual({ queues: [], buckets: [], bundles: [] });
  });

  it('a third signal exits at once, saying what may be left', async () => {
    const { child, io, closed } = await startRun();
    proxy.hold = true;
    child.kill('SIGINT');
    await proxy.held();
    child.kill('SIGTERM');
    await stderrSays(child, io, 'SIGTERM while stopping');
    child.kill('SIGINT');
    expect(await closed).toBe(130);
    expect(io.stderr).toContain("may be left: the job's queues");
    // It did leave them: clean up after it.
    const { queues, buckets } = await leftovers();
    expect(queues.length).toBeGreaterThan(0);
    proxy.release();
    for (const url of queues) await fx.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    for (const bucket of buckets) await fx.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  });
});
