/** The sweeper handler (`functions/sweeper.ts`): against a mocked client for the edge cases, and a real SQS-compatible server. */
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  QueueDoesNotExist,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  SQSClient,
  type SQSClientResolvedConfig,
} from '@aws-sdk/client-sqs';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import { buildApp } from 'fauxqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  handler,
  readSweeperConfig,
  SweepError,
  SweeperConfigError,
  sweep,
} from '../../functions/sweeper.js';

type SqsStub = AwsStub<ServiceInputTypes, ServiceOutputTypes, SQSClientResolvedConfig>;

const CONFIG = { queuePrefix: 'tsmpi-abc', maxJobAgeSeconds: 7200 };
const NOW = Date.UTC(2026, 0, 1, 12);
const url = (name: string) => `https://sqs.eu-west-1.amazonaws.com/123456789012/${name}`;
const createdAgo = (seconds: number) => ({
  Attributes: { CreatedTimestamp: String(Math.floor(NOW / 1000) - seconds) },
});
const quiet = () => {};

describe('readSweeperConfig', () => {
  it('reads the prefix and the maximum job age', () => {
    expect(readSweeperConfig({ TSMPI_QUEUE_PREFIX: 'tsmpi-abc', TSMPI_MAX_JOB_AGE_SECONDS: '7200' })).toEqual(
      CONFIG,
    );
  });

  it.each<[string, NodeJS.ProcessEnv, RegExp]>([
    [
      'no prefix',
      { TSMPI_MAX_JOB_AGE_SECONDS: '7200' },
      /^TSMPI_QUEUE_PREFIX is required: deploy the stack with `cdk deploy`/,
    ],
    [
      'no age',
      { TSMPI_QUEUE_PREFIX: 'tsmpi-abc' },
      /^TSMPI_MAX_JOB_AGE_SECONDS is required: deploy the stack/,
    ],
    [
      'an empty prefix',
      { TSMPI_QUEUE_PREFIX: '', TSMPI_MAX_JOB_AGE_SECONDS: '1' },
      /TSMPI_QUEUE_PREFIX is required/,
    ],
    [
      'a wildcard prefix',
      { TSMPI_QUEUE_PREFIX: 'tsmpi*', TSMPI_MAX_JOB_AGE_SECONDS: '1' },
      /must be lowercase.*got `tsmpi\*`/,
    ],
    [
      'a non-numeric age',
      { TSMPI_QUEUE_PREFIX: 'tsmpi-abc', TSMPI_MAX_JOB_AGE_SECONDS: '2h' },
      /must be a positive integer, got `2h`/,
    ],
    [
      'a zero age',
      { TSMPI_QUEUE_PREFIX: 'tsmpi-abc', TSMPI_MAX_JOB_AGE_SECONDS: '0' },
      /positive integer, got `0`/,
    ],
  ])('fails clearly with %s', (_what, env, message) => {
    expect(() => readSweeperConfig(env)).toThrow(SweeperConfigError);
    expect(() => readSweeperConfig(env)).toThrow(message);
  });
});

describe('sweep (mocked SQS)', () => {
  const client = new SQSClient({ region: 'eu-west-1' });
  let sqs: SqsStub;
  beforeAll(() => {
    sqs = mockClient(client);
  });
  afterEach(() => sqs.reset());
  afterAll(() => sqs.restore());

  it('deletes queues older than the maximum job age and keeps younger ones', async () => {
    sqs.on(ListQueuesCommand).resolves({ QueueUrls: [url('tsmpi-abc-j1-0'), url('tsmpi-abc-j2-0')] });
    sqs.on(GetQueueAttributesCommand, { QueueUrl: url('tsmpi-abc-j1-0') }).resolves(createdAgo(7201));
    sqs.on(GetQueueAttributesCommand, { QueueUrl: url('tsmpi-abc-j2-0') }).resolves(createdAgo(7200));
    sqs.on(DeleteQueueCommand).resolves({});
    const lines: string[] = [];
    const report = await sweep(client, CONFIG, NOW, (line) => lines.push(line));
    expect(report).toEqual({
      scanned: 2,
      deleted: [{ queue: 'tsmpi-abc-j1-0', ageSeconds: 7201 }],
      failed: [],
    });
    expect(sqs.commandCalls(DeleteQueueCommand).map((c) => c.args[0].input.QueueUrl)).toEqual([
      url('tsmpi-abc-j1-0'),
    ]);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { event: 'queue-deleted', queue: 'tsmpi-abc-j1-0', ageSeconds: 7201 },
      expect.objectContaining({ event: 'sweep-done', scanned: 2, deleted: 1, failed: [] }),
    ]);
  });

  it('lists with the "<prefix>-" name prefix and follows every page', async () => {
    sqs
      .on(ListQueuesCommand)
      .resolvesOnce({ QueueUrls: [url('tsmpi-abc-a-0')], NextToken: 'page2' })
      .resolvesOnce({ QueueUrls: [url('tsmpi-abc-b-0')] });
    sqs.on(GetQueueAttributesCommand).resolves(createdAgo(9999));
    sqs.on(DeleteQueueCommand).resolves({});
    const report = await sweep(client, CONFIG, NOW, quiet);
    expect(report.deleted.map((d) => d.queue)).toEqual(['tsmpi-abc-a-0', 'tsmpi-abc-b-0']);
    const lists = sqs.commandCalls(ListQueuesCommand).map((c) => c.args[0].input);
    expect(lists).toEqual([
      expect.objectContaining({ QueueNamePrefix: 'tsmpi-abc-', MaxResults: 1000 }),
      expect.objectContaining({ QueueNamePrefix: 'tsmpi-abc-', MaxResults: 1000, NextToken: 'page2' }),
    ]);
  });

  it('never deletes a queue outside the prefix, even if the endpoint lists one', async () => {
    sqs.on(ListQueuesCommand).resolves({ QueueUrls: [url('tsmpi-abcd-j-0'), url('other-queue')] });
    sqs.on(GetQueueAttributesCommand).resolves(createdAgo(99_999));
    const report = await sweep(client, CONFIG, NOW, quiet);
    expect(report.deleted).toEqual([]);
    expect(sqs.commandCalls(GetQueueAttributesCommand)).toHaveLength(0);
    expect(sqs.commandCalls(DeleteQueueCommand)).toHaveLength(0);
  });

  it('treats a queue that vanished meanwhile as already swept', async () => {
    sqs.on(ListQueuesCommand).resolves({ QueueUrls: [url('tsmpi-abc-gone-0')] });
    sqs
      .on(GetQueueAttributesCommand)
      .rejects(new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: {} }));
    await expect(sweep(client, CONFIG, NOW, quiet)).resolves.toEqual({ scanned: 1, deleted: [], failed: [] });
  });

  it('deletes what it can, then fails with the queues it could not delete', async () => {
    sqs.on(ListQueuesCommand).resolves({ QueueUrls: [url('tsmpi-abc-a-0'), url('tsmpi-abc-b-0')] });
    sqs.on(GetQueueAttributesCommand).resolves(createdAgo(8000));
    sqs.on(DeleteQueueCommand, { QueueUrl: url('tsmpi-abc-a-0') }).rejects(new Error('AccessDenied'));
    sqs.on(DeleteQueueCommand, { QueueUrl: url('tsmpi-abc-b-0') }).resolves({});
    const error = await sweep(client, CONFIG, NOW, quiet).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SweepError);
    expect((error as SweepError).message).toMatch(
      /Could not delete 1 of 2 stale queue\(s\); first: tsmpi-abc-a-0 \(AccessDenied\)/,
    );
    expect((error as SweepError).report.deleted.map((d) => d.queue)).toEqual(['tsmpi-abc-b-0']);
  });
});

describe('handler', () => {
  let sqs: SqsStub;
  const saved = { ...process.env };
  beforeAll(() => {
    sqs = mockClient(SQSClient);
  });
  afterAll(() => {
    sqs.restore();
    process.env = saved;
  });

  it('refuses to run without the environment the stack sets', async () => {
    delete process.env.TSMPI_QUEUE_PREFIX;
    await expect(handler()).rejects.toThrow(/TSMPI_QUEUE_PREFIX is required/);
  });

  it('sweeps with the module-scope client and the environment', async () => {
    process.env.TSMPI_QUEUE_PREFIX = 'tsmpi-abc';
    process.env.TSMPI_MAX_JOB_AGE_SECONDS = '60';
    sqs.on(ListQueuesCommand).resolves({ QueueUrls: [] });
    await expect(handler()).resolves.toEqual({ scanned: 0, deleted: [], failed: [] });
    expect(sqs.commandCalls(ListQueuesCommand)[0]?.args[0].input.QueueNamePrefix).toBe('tsmpi-abc-');
  });
});

describe('sweep (fauxqs, a real SQS-compatible server)', () => {
  let server: ReturnType<typeof buildApp>;
  let client: SQSClient;

  beforeAll(async () => {
    // On the loopback interface only (startFauxqs() would listen on every interface).
    server = buildApp({ logger: false });
    const endpoint = (await server.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
    client = new SQSClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    // tsmpi-abc-x-j1-0: a queue of a stack whose prefix (tsmpi-abc-x) extends this one's.
    for (const name of [
      'tsmpi-abc-j1-0',
      'tsmpi-abc-j1-1',
      'tsmpi-abc-j1-ctl',
      'tsmpi-abc-x-j1-0',
      'tsmpi-other-j1-0',
    ]) {
      await client.send(new CreateQueueCommand({ QueueName: name }));
    }
  });
  afterAll(async () => {
    client?.destroy();
    await server?.close();
  });

  it('keeps fresh queues, then deletes exactly the stale ones of its prefix', async () => {
    const fresh = await sweep(client, CONFIG, Date.now(), quiet);
    expect(fresh).toEqual({ scanned: 4, deleted: [], failed: [] });

    const later = await sweep(client, CONFIG, Date.now() + 7201 * 1000, quiet);
    expect(later.deleted.map((d) => d.queue).sort()).toEqual([
      'tsmpi-abc-j1-0',
      'tsmpi-abc-j1-1',
      'tsmpi-abc-j1-ctl',
    ]);
    const left = await client.send(new ListQueuesCommand({}));
    expect(left.QueueUrls?.map((u) => u.slice(u.lastIndexOf('/') + 1)).sort()).toEqual([
      'tsmpi-abc-x-j1-0',
      'tsmpi-other-j1-0',
    ]);
  });
});
