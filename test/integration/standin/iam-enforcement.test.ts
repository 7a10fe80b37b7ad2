/**
 * IAM in the stand-ins denies what the synthesized policies do not grant. The end-to-end suites
 * (`run-aws-standin`, `run-aws-nodes-standin`) assert that a real job makes no denied call; that
 * alone would pass with an authorizer that allows everything. Here each role of the synthesized
 * stack signs calls its policy does not allow (a wrong action, a resource outside the stack's
 * queue prefix or bucket prefixes, an unknown key) next to calls it does allow: AWS answers the
 * former 403 AccessDenied and never performs them ("an explicit allow in an identity-based
 * policy" is needed, else the request is implicitly denied: IAM User Guide, "Policy evaluation
 * logic"; SQS and S3 answer AccessDenied), and the evaluator records each denial.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueUrlCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepAll } from '../../../functions/sweeper.js';
import { createSqsClients } from '../../../sdk/transport/sqs/clients.js';
import { type AwsRulesProxy, startAwsRulesProxy } from '../../helpers/aws-rules-proxy.js';
import { startFauxqs } from '../../helpers/fauxqs.js';
import { createIamAuthorizer, type IamAuthorizer } from '../../helpers/iam-authorizer.js';
import { EMULATORS, startMoto } from '../../helpers/moto.js';
import { REGION, type SynthesizedStack, synthesizeStack } from '../../helpers/synthesized-stack.js';

const BUCKET = 'tsmpi-iam-bucket';
const PREFIX = 'tsmpi-iam';

describe.each(EMULATORS)('IAM evaluation in the stand-ins ($emulator)', ({ emulator, skip }) => {
  let synth: SynthesizedStack;
  let iam: IamAuthorizer;
  let proxy: AwsRulesProxy;
  const clients: { sqs: SQSClient; s3: S3Client }[] = [];
  let stopUpstream: (() => Promise<void>) | undefined;
  /** Clients of the emulator itself, behind no rules: to see what a denied call left. */
  let admin: { sqs: SQSClient; s3: S3Client };
  /** SQS and S3 clients signing as `principal` (a role of the stack, or an unknown key). */
  let as: (principal: 'launcher' | 'rank' | 'sweeper' | 'stranger') => { sqs: SQSClient; s3: S3Client };

  beforeAll(async () => {
    if (skip !== undefined) return;
    synth = synthesizeStack({ stackName: 'TsmpiIam', bucket: BUCKET, props: { queuePrefix: PREFIX } });
    iam = createIamAuthorizer(synth.roles);
    const upstream = emulator === 'moto' ? await startMoto() : await startFauxqs({ bucket: BUCKET });
    stopUpstream = upstream.stop;
    proxy = await startAwsRulesProxy(upstream.endpoint, {
      youngQueueMs: 0,
      deletedRecentlyMs: 0,
      authorize: (key, action, resource) => iam.authorize(key, action, resource),
      canListBucket: (key, arn) => iam.allows(key, 's3:ListBucket', arn),
    });
    admin = createSqsClients({
      endpoint: upstream.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' },
    });
    clients.push(admin);
    if (emulator === 'moto') {
      const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
      await admin.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    }
    as = (principal) => {
      const credentials =
        principal === 'stranger'
          ? { accessKeyId: 'AKIASTRANGERXXXXXXXX', secretAccessKey: 'x' }
          : iam.credentials(principal);
      const c = createSqsClients({ endpoint: proxy.endpoint, region: REGION, credentials });
      clients.push(c);
      return c;
    };
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) {
      c.sqs.destroy();
      c.s3.destroy();
    }
    await proxy?.close();
    await stopUpstream?.();
    synth?.dispose();
  });

  const queueArn = (name: string) => `arn:aws:sqs:${REGION}:000000000000:${name}`;
  /** The call's error (AccessDenied expected), or undefined if it succeeded. */
  const denied = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: { name?: string; $metadata?: { httpStatusCode?: number } }) => ({
        name: e.name,
        status: e.$metadata?.httpStatusCode,
      }),
    );
  const ACCESS_DENIED = { name: 'AccessDenied', status: 403 };

  it('lets each role make the calls its policy grants', async (ctx) => {
    if (skip !== undefined) ctx.skip(skip);
    const before = iam.denials.length;
    const launcher = as('launcher');
    const rank = as('rank');
    const q = `${synth.queuePrefix}-jallowed-0`;
    const { QueueUrl } = await launcher.sqs.send(new CreateQueueCommand({ QueueName: q }));
    await rank.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'hello' }));
    await launcher.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'jobs/allowed.mjs', Body: 'x' }));
    await rank.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'jobs/allowed.mjs' }));
    await rank.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'payloads/jallowed/r0/1', Body: 'y' }));
    await launcher.sqs.send(new DeleteQueueCommand({ QueueUrl }));
    expect(iam.denials.slice(before)).toEqual([]);
  });

  it('answers 403 AccessDenied to each call outside a role’s policy, performs none, and records each', async (ctx) => {
    if (skip !== undefined) ctx.skip(skip);
    const before = iam.denials.length;
    const rank = as('rank');
    const sweeper = as('sweeper');
    const stranger = as('stranger');
    const outside = 'someone-elses-queue';
    const inside = `${synth.queuePrefix}-jdenied-0`;

    // A queue outside the stack's prefix: the grant is on `<prefix>-*` only.
    expect(await denied(rank.sqs.send(new CreateQueueCommand({ QueueName: outside })))).toEqual(
      ACCESS_DENIED,
    );
    // An action the role does not have at all: the sweeper may delete queues, not send to them.
    const { QueueUrl } = await as('launcher').sqs.send(new CreateQueueCommand({ QueueName: inside }));
    expect(await denied(sweeper.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' })))).toEqual(
      ACCESS_DENIED,
    );
    // S3: the rank may not list the bucket, nor write job bundles (only payloads).
    expect(await denied(rank.s3.send(new ListObjectsV2Command({ Bucket: BUCKET })))).toEqual(ACCESS_DENIED);
    expect(
      await denied(
        rank.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'jobs/planted.mjs', Body: 'x' })),
      ),
    ).toEqual(ACCESS_DENIED);
    // A key IAM does not know.
    expect(await denied(stranger.sqs.send(new GetQueueUrlCommand({ QueueName: inside })))).toEqual(
      ACCESS_DENIED,
    );

    expect(iam.denials.slice(before)).toEqual([
      { principal: 'rank', action: 'sqs:CreateQueue', resource: queueArn(outside), allowed: false },
      { principal: 'sweeper', action: 'sqs:SendMessage', resource: queueArn(inside), allowed: false },
      { principal: 'rank', action: 's3:ListBucket', resource: `arn:aws:s3:::${BUCKET}`, allowed: false },
      {
        principal: 'rank',
        action: 's3:PutObject',
        resource: `arn:aws:s3:::${BUCKET}/jobs/planted.mjs`,
        allowed: false,
      },
      {
        principal: 'unknown key AKIASTRANGERXXXXXXXX',
        action: 'sqs:GetQueueUrl',
        resource: queueArn(inside),
        allowed: false,
      },
    ]);
    // None was performed: the emulator has no such queue and no such object.
    const queue = await denied(admin.sqs.send(new GetQueueUrlCommand({ QueueName: outside })));
    expect(queue?.status).toBe(400);
    const planted = await denied(
      admin.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'jobs/planted.mjs' })),
    );
    expect(planted?.name).toBe('NoSuchKey');
    await admin.sqs.send(new DeleteQueueCommand({ QueueUrl }));
  });

  it('lets the sweeper delete every queue of the prefix at `cdk destroy`, and nothing outside it', async (ctx) => {
    if (skip !== undefined) ctx.skip(skip);
    const before = iam.denials.length;
    const inside = [`${synth.queuePrefix}-jdestroy-0`, `${synth.queuePrefix}-jdestroy-ctl`];
    for (const q of inside) await as('launcher').sqs.send(new CreateQueueCommand({ QueueName: q }));
    const { QueueUrl: outsideUrl } = await admin.sqs.send(
      new CreateQueueCommand({ QueueName: 'not-the-stacks' }),
    );
    const report = await sweepAll(as('sweeper').sqs, synth.queuePrefix, () => {});
    expect(report.deleted.map((d) => d.queue).sort()).toEqual(inside);
    expect(iam.denials.slice(before)).toEqual([]);
    for (const q of inside) {
      expect((await denied(admin.sqs.send(new GetQueueUrlCommand({ QueueName: q }))))?.status).toBe(400);
    }
    await admin.sqs.send(new DeleteQueueCommand({ QueueUrl: outsideUrl }));
  });
});
