/**
 * `tsmpi-cloud run --backend aws` end to end against stand-ins that behave like AWS: the rank
 * function from the synthesized template and asset, run by aws-lambda-ric 4 in Node 24 processes
 * (warm reuse, freezing, async queue), SQS/S3 behind the AWS rules layer, and every call evaluated
 * against the synthesized IAM policy of the role that made it (see test/helpers/aws-standin.ts).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsStandin, LAMBDA_STANDIN_SKIP_REASON, startAwsStandin } from '../../helpers/aws-standin.js';
import { cli } from '../../helpers/cli.js';
import { UNOBSERVABLE_ACTIONS } from '../../helpers/iam-authorizer.js';
import { MOTO_SKIP_REASON } from '../../helpers/moto.js';

const emulators = [
  { emulator: 'fauxqs' as const, skip: LAMBDA_STANDIN_SKIP_REASON },
  { emulator: 'moto' as const, skip: LAMBDA_STANDIN_SKIP_REASON ?? MOTO_SKIP_REASON },
];

describe.each(emulators)('run --backend aws on the AWS stand-ins ($emulator)', ({ emulator, skip }) => {
  let s: AwsStandin | undefined;
  beforeAll(async () => {
    if (skip !== undefined) return;
    s = await startAwsStandin({
      emulator,
      // Queues answer QueueDoesNotExist for a second after CreateQueue (AWS: "you must wait at
      // least one second"), except to the launcher's probe: a probe that answered proves nothing.
      rules: { youngQueueMs: 1_000, youngQueueRefuses: (op) => op !== 'GetQueueAttributes' },
      lambda: { duplicate: (event) => event.rank === 7, duplicateDelayMs: 1500 },
    });
  }, 180_000);
  afterAll(async () => {
    await s?.stop();
    if (s !== undefined) expect(s.lambda.liveProcesses()).toBe(0);
  }, 60_000);

  const run = (job: string, ranks: number, extra: string[] = []) =>
    cli(
      [
        'run',
        job,
        '--ranks',
        String(ranks),
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

  it('runs pi on 64 ranks twice, the second time warm, with no IAM denial and nothing left', async (ctx) => {
    if (skip !== undefined) ctx.skip(skip);
    const stand = s!;
    for (const round of [1, 2]) {
      const r = await run('pi', 64, ['--', '--samples', '64000']);
      expect(r.code, `round ${round}: ${r.stderr.slice(-3000)}`).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ ok: true, backend: 'aws', ranks: 64 });
      expect(out.result.pi).toBeGreaterThan(3);
      await stand.lambda.idle();
      expect(await stand.leftovers()).toEqual({ queues: [], objects: [] });
    }
    const invs = stand.lambda.invocations.filter((i) => i.delivery === 1);
    expect(
      invs.filter((i) => i.outcome?.kind !== 'returned').map((i) => [i.outcome, i.logs.slice(-500)]),
    ).toEqual([]);
    // The second round ran in environments the first one left warm.
    expect(invs.slice(64).some((i) => i.cold === false)).toBe(true);
    // Each round's rank 7 was delivered twice; the copy found its rank claimed and did nothing.
    expect(stand.lambda.invocations.filter((i) => i.delivery === 2)).toHaveLength(2);
    expect(stand.iam.denials).toEqual([]);
  }, 600_000);

  it('runs pi-nonblocking and a job file that imports a sibling module, leaving nothing', async (ctx) => {
    if (skip !== undefined) ctx.skip(skip);
    const stand = s!;
    const nb = await run('pi-nonblocking', 8, ['--', '--samples', '8000']);
    expect(nb.code, nb.stderr.slice(-3000)).toBe(0);
    expect(JSON.parse(nb.stdout).result.pi).toBeGreaterThan(2.5);
    const job = fileURLToPath(new URL('../../fixtures/jobs/allreduce.ts', import.meta.url));
    const own = await run(job, 4);
    expect(own.code, own.stderr.slice(-3000)).toBe(0);
    expect(JSON.parse(own.stdout).result.total).toBe(10);
    expect(own.stderr).toContain('hi from a sibling module: total = 10');
    await stand.lambda.idle();
    expect(await stand.leftovers()).toEqual({ queues: [], objects: [] });
    expect(stand.iam.denials).toEqual([]);
  }, 600_000);

  it('reports each granted action no call used (least privilege)', async (ctx) => {
    if (skip !== undefined) ctx.skip(skip);
    const unused = Object.fromEntries(
      Object.entries(s!.iam.unusedGrants()).map(([who, actions]) => [
        who,
        actions.filter((a) => !(a in UNOBSERVABLE_ACTIONS)),
      ]),
    );
    console.log(`granted but unused by pi on 64 ranks (${emulator}): ${JSON.stringify(unused)}`);
    // Used by every run: creating, invoking and following a job, and receiving as a rank.
    expect(unused.launcher).not.toContain('sqs:CreateQueue');
    expect(unused.launcher).not.toContain('lambda:InvokeFunction');
    expect(unused.rank).not.toContain('sqs:ReceiveMessage');
    expect(unused.rank).not.toContain('sqs:SendMessage');
  });
});
