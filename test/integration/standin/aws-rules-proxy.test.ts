/**
 * The AWS rules layer (test/helpers/aws-rules-proxy.ts) in front of fauxqs and of moto_server:
 * each rule answers as AWS documents it, whichever emulator is behind.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsClients } from '../../../sdk/transport/sqs/clients.js';
import { type AwsRulesProxy, startAwsRulesProxy } from '../../helpers/aws-rules-proxy.js';
import { startFauxqs } from '../../helpers/fauxqs.js';
import { EMULATORS, startMoto } from '../../helpers/moto.js';

const BUCKET = 'tsmpi-rules';

describe.each(EMULATORS)('the AWS rules layer ($emulator)', ({ emulator, skip }) => {
  let proxy: AwsRulesProxy;
  let sqs: SQSClient;
  let s3: S3Client;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    if (skip !== undefined) return;
    const upstream = emulator === 'moto' ? await startMoto() : await startFauxqs({ bucket: BUCKET });
    proxy = await startAwsRulesProxy(upstream.endpoint, { youngQueueMs: 0, deletedRecentlyMs: 0 });
    const clients = createSqsClients({
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'x' },
    });
    sqs = clients.sqs;
    s3 = clients.s3;
    if (emulator === 'moto') {
      const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
      await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    }
    stop = async () => {
      sqs.destroy();
      s3.destroy();
      await proxy.close();
      await upstream.stop();
    };
  }, 60_000);
  afterAll(async () => {
    await stop?.();
  });

  const name = (what: string) => `rules-${what}-${Math.random().toString(36).slice(2, 8)}`;
  /** An S3 client that does not retry: the test sees the rule's first answer. */
  const noRetryS3 = async () => {
    const { S3Client: Client } = await import('@aws-sdk/client-s3');
    return new Client({
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
  };
  const code = (e: unknown) => (e as { name?: string }).name;

  it('refuses a queue for youngQueueMs after CreateQueue with QueueDoesNotExist, then serves it', async (ctx) => {
    if (skip !== undefined) ctx.skip(skip);
    proxy.rules.youngQueueMs = 60_000;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name('young') }));
    const early = await sqs
      .send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))
      .catch((e) => e);
    expect(code(early)).toBe('QueueDoesNotExist');
    proxy.rules.youngQueueMs = 0;
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
  });

  it('refuses to recreate a queue deleted less than deletedRecentlyMs ago with QueueDeletedRecently', async (ctx) => {
    if (skip !== undefined) ctx.skip(skip);
    proxy.rules.deletedRecentlyMs = 60_000;
    const q = name('deleted');
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: q }));
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    const again = await sqs.send(new CreateQueueCommand({ QueueName: q })).catch((e) => e);
    proxy.rules.deletedRecentlyMs = 0;
    expect(code(again)).toBe('QueueDeletedRecently');
  });

  it('answers 403 AccessDenied, not 404, for a missing key when the caller cannot ListBucket', async (ctx) => {
    if (skip !== undefined) ctx.skip(skip);
    const get = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'payloads/gone' })).catch((e) => e);
    expect(code(get)).toBe('AccessDenied');
    const head = await s3
      .send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'jobs/gone.mjs' }))
      .catch((e) => e);
    expect((head as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(403);
    proxy.rules.canListBucket = async () => true;
    const listed = await s3
      .send(new GetObjectCommand({ Bucket: BUCKET, Key: 'payloads/gone' }))
      .catch((e) => e);
    proxy.rules.canListBucket = undefined;
    expect(code(listed)).toBe('NoSuchKey');
  });

  it('throttles CreateQueue over the chosen rate with RequestThrottled', async (ctx) => {
    if (skip !== undefined) ctx.skip(skip);
    proxy.rules.createQueuesPerSecond = 0;
    const { SQSClient } = await import('@aws-sdk/client-sqs');
    const noRetry = new SQSClient({
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    const r = await noRetry.send(new CreateQueueCommand({ QueueName: name('throttled') })).catch((e) => e);
    proxy.rules.createQueuesPerSecond = undefined;
    noRetry.destroy();
    expect(code(r)).toBe('RequestThrottled');
  });

  it('answers 503 SlowDown to the chosen S3 requests', async (ctx) => {
    if (skip !== undefined) ctx.skip(skip);
    const noRetry = await noRetryS3();
    proxy.rules.slowDown = (method) => method === 'PUT';
    const r = await noRetry
      .send(new PutObjectCommand({ Bucket: BUCKET, Key: 'payloads/x', Body: 'x' }))
      .catch((e) => e);
    proxy.rules.slowDown = undefined;
    noRetry.destroy();
    expect(code(r)).toBe('SlowDown');
  });

  it('answers 503 SlowDown to PUTs over the per-prefix rate', async (ctx) => {
    if (skip !== undefined) ctx.skip(skip);
    const noRetry = await noRetryS3();
    proxy.rules.putsPerPrefixPerSecond = 1;
    // Five PUTs in a row: at least two fall in one second, unless each took a second.
    const answers: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      answers.push(
        await noRetry
          .send(new PutObjectCommand({ Bucket: BUCKET, Key: `payloads/rate/${i}`, Body: 'x' }))
          .then(
            () => 'ok',
            (e) => code(e),
          ),
      );
    }
    proxy.rules.putsPerPrefixPerSecond = undefined;
    noRetry.destroy();
    expect(answers[0]).toBe('ok');
    expect(answers).toContain('SlowDown');
  });

  it('delivers a received message again later, even after it was deleted', async (ctx) => {
    if (skip !== undefined) ctx.skip(skip);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name('dup') }));
    proxy.rules.duplicate = (_q, body) => body === 'twice';
    // Late: not on the next receive, which gets what was sent after it, but some time later.
    proxy.rules.duplicateDelayMs = 3_600_000;
    const fired = () => proxy.fired.get('duplicate') ?? 0;
    const firedBefore = fired();
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'twice' }));
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5 }));
    const m = first.Messages?.[0];
    expect(m?.Body).toBe('twice');
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m?.ReceiptHandle }));
    proxy.rules.duplicate = undefined;
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'next' }));
    const next = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5 }));
    expect(next.Messages?.map((x) => x.Body)).toEqual(['next']);
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: next.Messages?.[0]?.ReceiptHandle }));
    expect(fired()).toBe(firedBefore);
    // The delay has passed.
    expect(proxy.releaseDuplicates()).toBe(1);
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(again.Messages?.map((x) => [x.MessageId, x.Body])).toEqual([[m?.MessageId, 'twice']]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: again.Messages?.[0]?.ReceiptHandle }));
  });
});
