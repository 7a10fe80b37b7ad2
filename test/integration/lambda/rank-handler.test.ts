/**
 * The rank function as Lambda runs it: the esbuild bundle of functions/rank.ts, invoked
 * asynchronously through the test Lambda endpoint (a worker thread per invocation, a context
 * whose getRemainingTimeInMillis counts down), against fauxqs. The test plays the launcher by
 * hand: it creates the queues, sends the events, and reads the control queue.
 */
import { fileURLToPath } from 'node:url';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERR_TIMEOUT } from '../../../sdk/base/errors.js';
import { resolveJob } from '../../../sdk/launch/job-source.js';
import { ControlFollower } from '../../../sdk/launch/lambda/control-follower.js';
import { shipJob } from '../../../sdk/launch/lambda/ship-job.js';
import { newJobId } from '../../../sdk/launch/sqs/sqs-launcher.js';
import type { RankNotice, RankReport } from '../../../sdk/runtime/lambda/control-report.js';
import type { RankEvent, RankJobRef } from '../../../sdk/runtime/lambda/rank-event.js';
import { createJobQueues, deleteJobQueues } from '../../../sdk/transport/sqs/job-queues.js';
import { useLocalStack } from '../../helpers/lambda-stack.js';

const stack = useLocalStack();
let lambda: LambdaClient;
beforeAll(() => {
  lambda = new LambdaClient({
    endpoint: stack.lambda.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});
afterAll(() => lambda?.destroy());

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

interface Collected {
  reports: { rank: number; report: RankReport }[];
  notices: { rank: number; notice: RankNotice }[];
  byRank: (rank: number) => RankReport[];
  lines: string[];
}

/**
 * Runs one job by hand: queues, one Invoke (Event) per rank, then follows the control queue until
 * every rank reported done or failed. Deletes the queues afterwards.
 */
async function runByHand(
  size: number,
  job: RankJobRef,
  extra: Partial<RankEvent> = {},
  expectNotices = 0,
): Promise<Collected & { jobId: string }> {
  const jobId = newJobId();
  const { sqs, s3 } = stack.fauxqs;
  const queues = await createJobQueues({
    client: sqs,
    prefix: stack.queuePrefix,
    jobId,
    size,
    control: true,
  });
  const controlUrl = queues.controlUrl!;
  const reports: Collected['reports'] = [];
  const notices: Collected['notices'] = [];
  const ended = new Set<number>();
  let follower: ControlFollower | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (ended.size === size && notices.length >= expectNotices) resolve();
      };
      follower = new ControlFollower({
        sqs,
        s3,
        controlUrl,
        jobId,
        size,
        onReport: (rank, report) => {
          reports.push({ rank, report });
          if (report.type === 'done' || report.type === 'failed') {
            ended.add(rank);
            check();
          }
        },
        onNotice: (rank, notice) => {
          notices.push({ rank, notice });
          check();
        },
        onError: reject,
      });
      follower.start();
      const utf8 = new TextEncoder();
      for (let rank = 0; rank < size; rank++) {
        const event: RankEvent = {
          v: 1,
          jobId,
          rank,
          size,
          controlUrl,
          job,
          launchedAt: Date.now(),
          ...extra,
        };
        lambda
          .send(
            new InvokeCommand({
              FunctionName: stack.functionName,
              InvocationType: 'Event',
              Payload: utf8.encode(JSON.stringify(event)),
            }),
          )
          .catch(reject);
      }
    });
  } finally {
    await follower?.stop();
    await stack.lambda.idle();
    await deleteJobQueues({
      client: sqs,
      queueUrls: queues.queueUrls,
      controlUrl,
      prefix: stack.queuePrefix,
      jobId,
    });
  }
  const byRank = (rank: number) => reports.filter((r) => r.rank === rank).map((r) => r.report);
  const lines = reports.flatMap((r) => (r.report.type === 'output' ? r.report.lines.map(([, l]) => l) : []));
  return { jobId, reports, notices, byRank, lines };
}

function invocationsOf(jobId: string) {
  return stack.lambda.invocations.filter((i) => i.event.jobId === jobId);
}

describe('functions/rank.ts invoked as Lambda invokes it', () => {
  it('runs pi on 8 ranks end to end: started, output, done in order on every rank, and the right result', async () => {
    const run = await runByHand(8, { builtin: 'pi' }, { args: { samples: 200_000 } });
    for (let rank = 0; rank < 8; rank++) {
      const types = run.byRank(rank).map((r) => r.type);
      expect(types[0]).toBe('started');
      expect(types.at(-1)).toBe('done');
      expect(types.filter((t) => t === 'started')).toHaveLength(1);
    }
    const done = run.byRank(0).at(-1) as Extract<RankReport, { type: 'done' }>;
    const value = done.value as { pi: number; samples: number };
    expect(value.samples).toBe(200_000);
    expect(Math.abs(value.pi - Math.PI)).toBeLessThan(0.02);
    expect(done.usage.memoryMb).toBe(1769);
    expect(done.stats.transport?.calls.ReceiveMessage).toBeGreaterThan(0);
    expect(run.lines.some((l) => l.startsWith('Estimated π:'))).toBe(true);
    const outcomes = invocationsOf(run.jobId).map((i) => i.outcome);
    expect(outcomes).toHaveLength(8);
    for (const o of outcomes) expect(o).toMatchObject({ kind: 'returned', value: { status: 'done' } });
  });

  it('a user job shipped through S3 imports the runtime of the function bundle (same MPIError), its sibling files bundled', async () => {
    const resolved = await resolveJob(`${FIXTURES}user-job.ts`);
    try {
      const shipped = await shipJob(resolved, stack.fauxqs.s3, stack.fauxqs.bucket);
      expect(shipped.uploadedBytes).toBeGreaterThan(0);
      const run = await runByHand(3, shipped.ref, { args: { tag: 'x' } });
      for (let rank = 0; rank < 3; rank++) {
        const done = run.byRank(rank).at(-1) as Extract<RankReport, { type: 'done' }>;
        expect(done.type).toBe('done');
        expect(done.value).toEqual({ total: 6, sameInstance: true, args: { tag: 'x' } });
      }
      expect(run.lines.sort()).toEqual([0, 1, 2].map((r) => `hello through S3 from rank ${r}: total = 6`));
      // Shipping the same bundle again uploads nothing.
      expect((await shipJob(resolved, stack.fauxqs.s3, stack.fauxqs.bucket)).uploadedBytes).toBe(0);
    } finally {
      resolved.dispose();
    }
  });

  it('a duplicated delivery of an event does not run the rank twice: the second finds the claim and exits', async () => {
    stack.lambda.duplicate = (event) => event.rank === 2;
    try {
      const run = await runByHand(4, { builtin: 'hello' }, {}, 1);
      expect(run.byRank(2).filter((r) => r.type === 'started')).toHaveLength(1);
      expect(run.lines.filter((l) => l === 'Hello from process 2 out of 4')).toHaveLength(1);
      for (let rank = 0; rank < 4; rank++) expect(run.byRank(rank).at(-1)?.type).toBe('done');
      expect(run.notices.map((n) => [n.rank, n.notice.type])).toEqual([[2, 'duplicate']]);
      const rank2 = invocationsOf(run.jobId).filter((i) => i.event.rank === 2);
      expect(rank2.map((i) => (i.outcome as { value: { status: string } }).value.status).sort()).toEqual([
        'done',
        'duplicate',
      ]);
    } finally {
      stack.lambda.duplicate = undefined;
    }
  });

  it('a rank nearing its Lambda deadline reports ERR_TIMEOUT, naming itself and what it was doing, before it is killed', async () => {
    const resolved = await resolveJob(`${FIXTURES}computes-forever.ts`);
    // Each rank is told it has 8 s (ample to load the job and block in it) and stops itself a
    // margin before; it is only killed half a minute after that, so a loaded machine slowing its
    // report cannot turn "stopped itself" into "killed", while a rank that did not stop still is.
    stack.lambda.timeoutMs = 8_000;
    stack.lambda.killGraceMs = 30_000;
    try {
      const shipped = await shipJob(resolved, stack.fauxqs.s3, stack.fauxqs.bucket);
      const run = await runByHand(3, shipped.ref, { args: { wait: true } });
      const failed = run.byRank(1).at(-1) as Extract<RankReport, { type: 'failed' }>;
      expect(failed.type).toBe('failed');
      expect(failed.timeout).toBe('lambda');
      expect(failed.error.errorClass).toBe(ERR_TIMEOUT);
      expect(failed.error.message).toMatch(/^rank 1 reached its Lambda deadline while computing/);
      const waiting = run.byRank(0).at(-1) as Extract<RankReport, { type: 'failed' }>;
      expect(waiting.error.message).toMatch(/^rank 0 reached its Lambda deadline while waiting in barrier/);
      // None had to be killed at the deadline; each ended its environment, its job being left running.
      for (const i of invocationsOf(run.jobId)) expect(i.outcome).toEqual({ kind: 'exited', code: 0 });
    } finally {
      stack.lambda.timeoutMs = 60_000;
      stack.lambda.killGraceMs = 0;
      resolved.dispose();
    }
  });

  it('a job that cannot be loaded fails its rank, saying why', async () => {
    const run = await runByHand(1, { builtin: 'nope' });
    expect(run.reports.at(-1)?.report).toMatchObject({
      type: 'failed',
      error: { message: expect.stringContaining('built-in job `nope` is not in this rank function') },
    });
  });

  it('refuses an event it cannot use, telling the launcher why through the control queue', async () => {
    const jobId = newJobId();
    const { sqs, s3 } = stack.fauxqs;
    const queues = await createJobQueues({
      client: sqs,
      prefix: stack.queuePrefix,
      jobId,
      size: 1,
      control: true,
    });
    const controlUrl = queues.controlUrl!;
    let follower: ControlFollower | undefined;
    try {
      const notice = await new Promise<RankNotice>((resolve, reject) => {
        follower = new ControlFollower({
          sqs,
          s3,
          controlUrl,
          jobId,
          size: 1,
          onReport: () => reject(new Error('no report expected')),
          onNotice: (_rank, n) => resolve(n),
          onError: reject,
        });
        follower.start();
        const event = {
          v: 1,
          jobId,
          rank: 0,
          size: 1,
          controlUrl,
          job: { builtin: 'pi' },
          launchedAt: Date.now(),
          sise: 2,
        };
        lambda
          .send(
            new InvokeCommand({
              FunctionName: stack.functionName,
              InvocationType: 'Event',
              Payload: new TextEncoder().encode(JSON.stringify(event)),
            }),
          )
          .catch(reject);
      });
      expect(notice).toMatchObject({
        type: 'rejected',
        error: { name: 'RankEventError', message: expect.stringMatching(/^rank event: unknown key `sise`/) },
      });
    } finally {
      await follower?.stop();
      await stack.lambda.idle();
      await deleteJobQueues({ client: sqs, queueUrls: queues.queueUrls, controlUrl });
    }
    const inv = invocationsOf(jobId);
    expect(inv.map((i) => i.outcome?.kind)).toEqual(['threw']);
  });
});
