/**
 * Several ranks per Lambda invocation (issue #12) on the AWS stand-ins: the rank function from the
 * synthesized template and asset (its `node-worker.mjs` included) run by aws-lambda-ric 4 in
 * Node 24 processes, SQS/S3 behind the AWS rules layer and the synthesized IAM policies (see
 * test/helpers/aws-standin.ts). One stack deployed with `memorySize: 10240` (6 vCPUs: 6 ranks per
 * invocation by default), one with the default 1769 MB (one rank per invocation by default), where
 * the same job is run with one and with six ranks per invocation for the cost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsStandin, LAMBDA_STANDIN_SKIP_REASON, startAwsStandin } from '../../helpers/aws-standin.js';
import { cli, FIXTURES } from '../../helpers/cli.js';

const skip = LAMBDA_STANDIN_SKIP_REASON;

interface Cost {
  totalUsd: number;
  lambda: { requests: number; gbSeconds: number; usd: number };
  sqs: { requests: number; usd: number };
}
/** The cost of `run pi --ranks 64` on each stack, for the comparison at the end. */
const costs: { k6?: Cost; k1?: Cost } = {};

function runOn(s: AwsStandin, job: string, ranks: number, extra: string[] = []) {
  return cli(
    [
      'run',
      job,
      '--ranks',
      String(ranks),
      '--backend',
      'aws',
      '--outputs-file',
      s.outputsFile,
      '--endpoint',
      s.proxy.endpoint,
      '--json',
      ...extra,
    ],
    { env: s.launcherEnv },
  );
}

/** The rules of the other stand-in tests: queues answer QueueDoesNotExist for a second after creation. */
const RULES = { youngQueueMs: 1_000, youngQueueRefuses: (op: string) => op !== 'GetQueueAttributes' };

describe('nodes of 6 ranks per invocation on a 10,240 MB rank function (AWS stand-ins)', () => {
  let s: AwsStandin | undefined;
  beforeAll(async () => {
    if (skip !== undefined) return;
    s = await startAwsStandin({
      memorySize: 10240,
      rules: RULES,
      // Node 1 (ranks 6..11) is delivered twice: the copy must find the node claimed.
      lambda: { duplicate: (event) => event.rank === 6, duplicateDelayMs: 1500 },
    });
  }, 180_000);
  afterAll(async () => {
    await s?.stop();
    if (s !== undefined) expect(s.lambda.liveProcesses()).toBe(0);
  }, 60_000);

  it('run pi --ranks 64: 11 invocations, 11 job queues, the tutorial output, the duplicate ran nothing', async (ctx) => {
    if (skip !== undefined) ctx.skip(skip);
    const stand = s!;
    const from = stand.lambda.invocations.length;
    const fromRequest = stand.requests.length;
    const r = await runOn(stand, 'pi', 64, ['--', '--samples', '64000']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, backend: 'aws', ranks: 64 });
    // The tutorial's two lines, from rank 0.
    expect(r.stderr).toMatch(/Estimated π: 3\.\d+/);
    expect(r.stderr).toContain('Time taken with 64 processes:');
    expect(Math.abs(out.result.pi - Math.PI)).toBeLessThan(0.05);
    expect(out.results).toHaveLength(64);
    await stand.lambda.idle();
    const invs = stand.lambda.invocations.slice(from);
    const first = invs.filter((i) => i.delivery === 1);
    expect(first).toHaveLength(11);
    expect(first.map((i) => i.event.rank).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 11 }, (_, n) => n * 6),
    );
    expect(
      first.filter((i) => i.outcome?.kind !== 'returned').map((i) => [i.outcome, i.logs.slice(-800)]),
    ).toEqual([]);
    // The duplicated node event found its node claimed and ran nothing.
    const dup = invs.filter((i) => i.delivery === 2);
    expect(dup).toHaveLength(1);
    expect(dup[0]!.outcome).toMatchObject({ kind: 'returned', value: { status: 'duplicate', rank: 6 } });
    expect(out.stats.aws).toMatchObject({
      ranksPerNode: 6,
      nodes: 11,
      invocations: 12,
      duplicateInvocations: 1,
    });
    // The job's queues as SQS saw them created: 11 node queues (`<prefix>-<job>-<node>`), the
    // control queue, and 12 claims by the nodes (the duplicate's one refused).
    const created = stand.requests
      .slice(fromRequest)
      .filter((q) => q.action === 'sqs:CreateQueue')
      .map((q) => q.resource.slice(q.resource.lastIndexOf(':') + 1));
    expect(created.filter((name) => /-\d+$/.test(name))).toHaveLength(11);
    expect(created.filter((name) => /-ctl$/.test(name))).toHaveLength(1);
    expect(new Set(created.filter((name) => /-c\d+$/.test(name))).size).toBe(11);
    expect(await stand.leftovers()).toEqual({ queues: [], objects: [] });
    expect(stand.iam.denials).toEqual([]);
    costs.k6 = out.stats.cost;
    console.log(`pi on 64 ranks, K=6 at 10240 MB: timings ${JSON.stringify(out.timings)}`);
  }, 600_000);

  it('a rank that throws inside a node fails the job within seconds, naming the rank', async (ctx) => {
    if (skip !== undefined) ctx.skip(skip);
    const stand = s!;
    const t0 = performance.now();
    const r = await runOn(stand, `${FIXTURES}throws.ts`, 12, ['--', '--rank', '8']);
    const seconds = (performance.now() - t0) / 1000;
    expect(r.code, r.stderr.slice(-3000)).not.toBe(0);
    expect(r.stderr).toContain('boom on rank 8');
    expect(r.stderr).toMatch(/rank 8/);
    // Start-up (cold Node 24 processes), failure, abort and teardown; ranks blocked in recv do not wait for a deadline.
    expect(seconds).toBeLessThan(45);
    await stand.lambda.idle();
    expect(stand.lambda.invocations.filter((i) => i.outcome?.kind === 'killed')).toEqual([]);
    expect(await stand.leftovers()).toEqual({ queues: [], objects: [] });
  }, 120_000);
});

describe('the cost of the same job at the default 1,769 MB (AWS stand-ins): one rank per invocation vs nodes of 6', () => {
  let s: AwsStandin | undefined;
  beforeAll(async () => {
    if (skip !== undefined) return;
    s = await startAwsStandin({ rules: RULES });
  }, 180_000);
  afterAll(async () => {
    await s?.stop();
  }, 60_000);

  it('pi on 64 ranks in nodes of 6 costs at most half of one rank per invocation (Lambda GB-s + requests)', async (ctx) => {
    if (skip !== undefined) ctx.skip(skip);
    const stand = s!;
    const one = await runOn(stand, 'pi', 64, ['--', '--samples', '64000']);
    expect(one.code, one.stderr.slice(-3000)).toBe(0);
    const k1 = JSON.parse(one.stdout);
    // The default at 1,769 MB (one vCPU): one rank per invocation.
    expect(k1.stats.aws).toMatchObject({ ranksPerNode: 1, nodes: 64, invocations: 64 });
    await stand.lambda.idle();
    const six = await runOn(stand, 'pi', 64, ['--ranks-per-node', '6', '--', '--samples', '64000']);
    expect(six.code, six.stderr.slice(-3000)).toBe(0);
    const k6 = JSON.parse(six.stdout);
    expect(k6.stats.aws).toMatchObject({ ranksPerNode: 6, nodes: 11, invocations: 11 });
    expect(Math.abs(k6.result.pi - Math.PI)).toBeLessThan(0.05);
    costs.k1 = k1.stats.cost;
    const show = (what: string, out: { stats: { cost: Cost }; timings: Record<string, number> }) =>
      console.log(
        `pi on 64 ranks, ${what}: cost ${JSON.stringify(out.stats.cost)}; timings ${JSON.stringify(out.timings)}`,
      );
    show('K=1 at 1769 MB', k1);
    show('K=6 at 1769 MB', k6);
    if (costs.k6 !== undefined)
      console.log(`pi on 64 ranks, K=6 at 10240 MB: cost ${JSON.stringify(costs.k6)}`);
    expect(k6.stats.cost.totalUsd).toBeLessThanOrEqual(k1.stats.cost.totalUsd / 2);
  }, 600_000);
});
