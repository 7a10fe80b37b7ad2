/**
 * `run(job, { backend: 'aws' })` end to end without AWS: the deployment is described by a
 * `cdk deploy --outputs-file` file written here; SQS and S3 are fauxqs; Lambda is the test
 * endpoint running the real rank function bundle (one worker thread per invocation).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { ERR_ABORTED, ERR_TIMEOUT, JobFailedError, MPIError, UsageError } from '../../../sdk/base/errors.js';
import { resolveJob } from '../../../sdk/launch/job-source.js';
import { LambdaLauncher, type LambdaLauncherOptions } from '../../../sdk/launch/lambda/lambda-launcher.js';
import type { LaunchRequest } from '../../../sdk/launch/launcher.js';
import { type RunOptions, run } from '../../../sdk/run.js';
import { FIXTURES as SHARED_FIXTURES } from '../../helpers/cli.js';
import { useLocalStack, useStackEnvironment } from '../../helpers/lambda-stack.js';
import { type TraceFile, traceCounts } from '../trace/trace-helpers.js';

const stack = useLocalStack();
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

useStackEnvironment(stack);

interface Captured {
  lines: { rank: number; line: string }[];
  progress: { phase: string; started: number; finished: number }[];
}

function awsOptions(ranks: number, extra: Partial<RunOptions> = {}): RunOptions & { captured: Captured } {
  const captured: Captured = { lines: [], progress: [] };
  return {
    ranks,
    backend: 'aws',
    endpoint: stack.fauxqs.endpoint,
    onOutput: (rank, _stream, line) => captured.lines.push({ rank, line }),
    onProgress: (e) => captured.progress.push(e),
    ...extra,
    captured,
  };
}

/** Runs with `run()` (the `captured` key is ours, not run's). */
function runAws(job: string, options: RunOptions & { captured?: Captured }) {
  const { captured: _c, ...runOptions } = options;
  return run(job, runOptions);
}

/** Runs a job file through a LambdaLauncher with explicit options (what run() cannot pass). */
async function launchWith(
  file: string,
  ranks: number,
  options: LambdaLauncherOptions,
  extra: Partial<LaunchRequest> = {},
) {
  const job = await resolveJob(file);
  try {
    return await new LambdaLauncher({ endpoint: stack.fauxqs.endpoint, ...options }).launch({
      job,
      ranks,
      args: {},
      timeoutMs: undefined,
      onOutput: () => undefined,
      ...extra,
    });
  } finally {
    job.dispose();
  }
}

async function failureOf(p: Promise<unknown>): Promise<JobFailedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(JobFailedError);
  return err as JobFailedError;
}

/** After a job: every invocation has ended (none killed unless `killed` says so) and no queue is left. */
async function expectCleanEnd(jobInvocationsFrom: number, killed = 0): Promise<void> {
  await stack.lambda.idle();
  const mine = stack.lambda.invocations.slice(jobInvocationsFrom);
  expect(mine.filter((i) => i.outcome?.kind === 'killed')).toHaveLength(killed);
  expect(await stack.queuesLeft()).toEqual([]);
}

describe('run(..., { backend: "aws" }): ranks as Lambda invocations', () => {
  it('runs pi on 8 ranks: right result, output forwarded, progress, timings and a cost report; no queue left', async () => {
    const from = stack.lambda.invocations.length;
    const o = awsOptions(8, { args: { samples: 400_000 } });
    const res = await runAws('pi', o);
    expect(res.backend).toBe('aws');
    expect(res.results).toHaveLength(8);
    const result = res.result as { pi: number; samples: number };
    expect(result.samples).toBe(400_000);
    expect(Math.abs(result.pi - Math.PI)).toBeLessThan(0.01);
    expect(o.captured.lines.some((l) => l.rank === 0 && l.line.startsWith('Estimated π:'))).toBe(true);
    expect(o.captured.progress.at(-1)).toMatchObject({ started: 8, finished: 8 });
    for (const key of [
      'preflightMs',
      'shipAndQueuesMs',
      'launchMs',
      'firstStartedMs',
      'allStartedMs',
      'computeMs',
      'teardownMs',
      'totalMs',
    ])
      expect(res.timings[key], key).toBeGreaterThanOrEqual(0);
    const { cost, aws } = res.stats as unknown as {
      cost: { lambda: { requests: number; gbSeconds: number }; sqs: { requests: number }; totalUsd: number };
      aws: { invocations: number; duplicateInvocations: number; coldStarts: number };
    };
    expect(aws).toMatchObject({ invocations: 8, duplicateInvocations: 0, coldStarts: 8 });
    expect(cost.lambda.requests).toBe(8);
    expect(cost.lambda.gbSeconds).toBeGreaterThan(0);
    expect(cost.sqs.requests).toBeGreaterThan(8 * 4);
    expect(cost.totalUsd).toBe(res.stats.costUsd);
    expect(res.stats.calls.Invoke).toBe(8);
    await expectCleanEnd(from);
  });

  it('--trace/--profile: Lambda ranks return their events in the report; every send flows to its receive', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tsmpi-aws-trace-')), 't.json');
    const res = await runAws(
      'pi-nonblocking',
      awsOptions(4, { args: { samples: 40_000, seed: 7 }, trace: file, profile: true }),
    );
    const t = JSON.parse(readFileSync(file, 'utf8')) as TraceFile;
    const c = traceCounts(t);
    expect(c.tracks).toBe(4);
    expect(c.sends).toBe(3);
    expect(c.receives).toBe(c.sends);
    expect(c.flows).toBe(c.sends);
    expect(t.otherData.backend).toBe('aws');
    expect((res.stats.profile as { calls: { call: string }[] }).calls.map((x) => x.call)).toContain(
      'Ireduce',
    );
  });

  it('--profile alone: Lambda ranks return their profile rows (the event asks for no timeline)', async () => {
    const res = await runAws(
      'pi-nonblocking',
      awsOptions(4, { args: { samples: 40_000, seed: 7 }, profile: true }),
    );
    const p = res.stats.profile as { ranks: { rank: number }[]; perRank: { rank: number; call: string }[] };
    expect(p.ranks.map((r) => r.rank)).toEqual([0, 1, 2, 3]);
    for (const rank of [0, 1, 2, 3])
      expect(p.perRank).toContainEqual(expect.objectContaining({ rank, call: 'Ireduce' }));
    for (const s of res.stats.perRank) {
      expect(s).not.toHaveProperty('trace');
      expect(s).not.toHaveProperty('profile');
    }
  });

  it('ships a user .ts job through S3 (bundled with its sibling, importing the function runtime) and runs it', async () => {
    const from = stack.lambda.invocations.length;
    const o = awsOptions(4, { args: { big: 10n } });
    const res = await runAws(`${FIXTURES}user-job.ts`, o);
    expect(res.results).toEqual(
      [0, 1, 2, 3].map(() => ({ total: 10, sameInstance: true, args: { big: 10n } })),
    );
    expect(o.captured.lines.map((l) => l.line).sort()).toEqual(
      [0, 1, 2, 3].map((r) => `hello through S3 from rank ${r}: total = 10`),
    );
    const event = stack.lambda.invocations[from]!.event as { job: { s3Key: string }; argsCodec?: string };
    expect(event.job.s3Key).toMatch(/^jobs\/[0-9a-f]{16}\.mjs$/);
    expect(event.argsCodec).toBeDefined(); // a bigint does not survive JSON
    await stack.fauxqs.s3.send(new HeadObjectCommand({ Bucket: stack.fauxqs.bucket, Key: event.job.s3Key }));
    await expectCleanEnd(from);
  });

  it('a duplicated delivery of every event still runs each rank exactly once', async () => {
    const from = stack.lambda.invocations.length;
    stack.lambda.duplicate = () => true;
    try {
      const o = awsOptions(4);
      const res = await runAws('hello', o);
      expect(res.results).toEqual([0, 1, 2, 3]);
      expect(o.captured.lines.map((l) => l.line).sort()).toEqual(
        [0, 1, 2, 3].map((r) => `Hello from process ${r} out of 4`),
      );
      await stack.lambda.idle();
      const statuses = stack.lambda.invocations
        .slice(from)
        .map((i) => [i.event.rank, (i.outcome as { value?: { status?: string } }).value?.status]);
      for (let rank = 0; rank < 4; rank++) {
        const mine = statuses.filter(([r]) => r === rank).map(([, s]) => s);
        // Each rank: two deliveries, one of which ran it; its twin found it claimed (or, if late, the job over).
        expect(mine).toHaveLength(2);
        expect(mine.filter((s) => s === 'done')).toHaveLength(1);
      }
      await expectCleanEnd(from);
    } finally {
      stack.lambda.duplicate = undefined;
    }
  });

  it('a rank reaching its Lambda deadline fails the job with ERR_TIMEOUT naming it; no queue left', async () => {
    const from = stack.lambda.invocations.length;
    stack.lambda.timeoutMs = 3_000;
    // Killed only half a minute past its deadline: the rank's margin to report, not the machine's
    // load, decides (a rank that did not stop itself would still be killed, and the test fail).
    stack.lambda.killGraceMs = 30_000;
    try {
      const err = await failureOf(runAws(`${FIXTURES}computes-forever.ts`, awsOptions(3)));
      expect(err.rank).toBe(1);
      const cause = err.cause as MPIError;
      expect(cause).toBeInstanceOf(MPIError);
      expect(cause.errorClass).toBe(ERR_TIMEOUT);
      expect(cause.message).toMatch(
        /^rank 1 reached its Lambda deadline while computing \(not in an MPI call\)/,
      );
      await expectCleanEnd(from);
    } finally {
      stack.lambda.timeoutMs = 60_000;
      stack.lambda.killGraceMs = 0;
    }
  });

  it('a rank that never yields is killed by Lambda unreported; the launcher fails the job at its deadline', async () => {
    const from = stack.lambda.invocations.length;
    stack.lambda.timeoutMs = 2_000;
    try {
      const err = await failureOf(launchWith(`${FIXTURES}spins-forever.ts`, 3, { deadlineGraceMs: 200 }));
      expect(err.rank).toBe(1);
      expect((err.cause as MPIError).errorClass).toBe(ERR_TIMEOUT);
      expect((err.cause as Error).message).toMatch(
        /^rank 1 reached its Lambda deadline .* without reporting/,
      );
      await expectCleanEnd(from, 1);
    } finally {
      stack.lambda.timeoutMs = 60_000;
    }
  });

  it('a failing rank fails the job and stops the others: none runs on to its deadline', async () => {
    const from = stack.lambda.invocations.length;
    const err = await failureOf(runAws(`${SHARED_FIXTURES}throws.ts`, awsOptions(3)));
    expect(err.rank).toBe(1);
    expect((err.cause as Error).message).toBe('boom on rank 1');
    // The rank's stack trace, through the source maps, points into the user's own file.
    expect((err.cause as Error).stack).toMatch(/throws\.ts:\d+:\d+/);
    // Ranks blocked in recv get the launcher's abort frame; one that starts after the teardown finds the job gone.
    await expectCleanEnd(from);
  });

  it('abort(code) on a rank fails the job with that code', async () => {
    const from = stack.lambda.invocations.length;
    const err = await failureOf(runAws(`${SHARED_FIXTURES}aborts.ts`, awsOptions(3)));
    expect(err.rank).toBe(2);
    expect(err.errorcode).toBe(42);
    expect((err.cause as MPIError).errorClass).toBe(ERR_ABORTED);
    // Where the job called abort, carried by the rank's control report over SQS.
    expect((err.cause as Error).stack).toMatch(/aborts\.ts:4/);
    await expectCleanEnd(from);
  });

  it('--timeout stops the job and says what every rank was waiting in', async () => {
    const from = stack.lambda.invocations.length;
    // 5 s, not less: both ranks must have started (cold stand-in invocations, job bundle over S3)
    // and be blocked before it fires, also on a loaded 2-core CI machine.
    const err = await failureOf(runAws(`${SHARED_FIXTURES}hangs.ts`, awsOptions(2, { timeoutMs: 5_000 })));
    const cause = err.cause as MPIError;
    expect(cause.errorClass).toBe(ERR_TIMEOUT);
    expect(cause.message).toMatch(/^the job timed out after 5\.0 s:/);
    expect(cause.message).toMatch(/rank 0: waiting in recv/);
    expect(cause.message).toMatch(/rank 1: waiting in bcast/);
    await expectCleanEnd(from);
  });

  it('a receive only a returned rank could serve fails the job saying so, without --timeout', async () => {
    const from = stack.lambda.invocations.length;
    // The 60 s --timeout only guards the test: without the launcher's finished notices rank 1
    // would wait in recv until it fired, and the job would fail with ERR_TIMEOUT instead.
    const err = await failureOf(
      runAws(`${SHARED_FIXTURES}recv-from-returned.ts`, awsOptions(3, { timeoutMs: 60_000 })),
    );
    expect(err.rank).toBe(1);
    expect((err.cause as MPIError).errorClass).not.toBe(ERR_TIMEOUT);
    expect((err.cause as Error).message).toBe(
      'rank 1 waits in recv(source=0, tag=5) for a message from rank 0, but rank 0 has returned ' +
        '(it sent rank 1 1 message, all received): the job would hang. Check that rank 0 sends every ' +
        'message rank 1 receives (same source, tag and communicator) and that both call the same ' +
        'collectives in the same order.',
    );
    await expectCleanEnd(from);
  });

  it('an interrupt (Ctrl-C) stops every rank and deletes the queues', async () => {
    const from = stack.lambda.invocations.length;
    const ac = new AbortController();
    const o = awsOptions(2, {
      signal: ac.signal,
      onProgress: (e) => {
        if (e.started === 2) ac.abort();
      },
    });
    const err = await failureOf(runAws(`${SHARED_FIXTURES}hangs.ts`, o));
    expect((err.cause as Error).message).toMatch(/interrupted/);
    await expectCleanEnd(from);
  });

  it('fans out through a tree of ranks when told to: heads invoke the rest from inside the region', async () => {
    const from = stack.lambda.invocations.length;
    const res = await launchWith(`${SHARED_FIXTURES}allreduce.ts`, 10, { fanOut: 'tree' });
    expect(res.results.map((r) => (r as { total: number }).total)).toEqual(new Array(10).fill(55));
    await stack.lambda.idle();
    const events = stack.lambda.invocations.slice(from).map((i) => i.event);
    const heads = events.filter((e) => e.spawn !== undefined);
    expect(heads.length).toBeGreaterThanOrEqual(2);
    expect(events.map((e) => e.rank).sort((a, b) => Number(a) - Number(b))).toEqual([...Array(10).keys()]);
    expect((res.stats as unknown as { aws: { invocations: number } }).aws.invocations).toBe(10);
    expect(res.stats.calls.Invoke).toBe(10);
    await expectCleanEnd(from);
  });

  it('preflight refuses a job the concurrency cannot hold, with the numbers, before creating anything', async () => {
    const from = stack.lambda.invocations.length;
    stack.lambda.concurrency = { account: 10, unreserved: 10 };
    try {
      const err = await runAws('pi', awsOptions(64)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe(
        '64 ranks need 64 concurrent executions; the account has 10 unreserved (of 10, GetAccountSettings): ' +
          'request a quota increase ("Concurrent executions" in Service Quotas) or run fewer ranks',
      );
      stack.lambda.concurrency = { account: 1000, unreserved: 900, reserved: 4 };
      const reserved = await runAws('pi', awsOptions(8)).catch((e: unknown) => e);
      expect((reserved as Error).message).toMatch(
        /^8 ranks need 8 concurrent executions; the rank function tsmpi-lt-rank has a reserved concurrency of 4 \(GetFunctionConcurrency\)/,
      );
      expect(stack.lambda.invocations.length).toBe(from);
      expect(await stack.queuesLeft()).toEqual([]);
    } finally {
      stack.lambda.concurrency = { account: 1000, unreserved: 1000 };
    }
  });

  it('refuses job args that would push an event over the 1 MB async-invoke limit, before invoking anything', async () => {
    const from = stack.lambda.invocations.length;
    // An argument pi takes (run() refuses one a built-in job does not), far too long for an event.
    const err = await runAws('pi', awsOptions(2, { args: { seed: 'x'.repeat(1_100_000) } })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(
      /^the Lambda event of rank 0 is \d+ bytes, over the 1048576-byte \(1 MB\) limit of an asynchronous invocation; the job's arguments take \d+ of them: pass large inputs another way/,
    );
    expect(stack.lambda.invocations.length).toBe(from);
    expect(await stack.queuesLeft()).toEqual([]);
  });

  it('without a deployment, says how to get one (exit 2 material: a UsageError)', async () => {
    const err = await launchWith(`${SHARED_FIXTURES}allreduce.ts`, 2, {
      outputsFile: '/nonexistent/outputs.json',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(
      /^cannot read the outputs file \/nonexistent\/outputs\.json .*cdk deploy --outputs-file/,
    );
  });
});
