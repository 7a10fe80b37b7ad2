/**
 * The sweeper as the provider of the stack's `Custom::TsmpiJobQueues` resource: on `cdk destroy`
 * CloudFormation sends it a Delete request, and it deletes every job queue of the prefix, whatever
 * its age, and answers on the request's pre-signed URL. Against a real SQS-compatible server
 * (fauxqs) and a stand-in for the pre-signed URL (`response-url-server.ts`), with a mocked client
 * only for the error paths.
 */
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ListQueuesCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  SQSClient,
  type SQSClientResolvedConfig,
} from '@aws-sdk/client-sqs';
import { type AwsStub, mockClient } from 'aws-sdk-client-mock';
import { buildApp } from 'fauxqs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type CustomResourceEvent,
  CustomResourceResponseError,
  isCustomResourceEvent,
  MAX_RESPONSE_BYTES,
  respond,
  responseBody,
} from '../../functions/custom-resource.js';
import { ANSWER_MARGIN_MS, answerStackEvent, handler, SweeperConfigError } from '../../functions/sweeper.js';
import { JOB_QUEUES_RESOURCE } from '../../sdk/base/stack-contract.js';
import { type ResponseUrlServer, startResponseUrlServer } from '../helpers/response-url-server.js';

type SqsStub = AwsStub<ServiceInputTypes, ServiceOutputTypes, SQSClientResolvedConfig>;

const PREFIX = 'tsmpi-abc';
const CONFIG = { queuePrefix: PREFIX, maxJobAgeSeconds: 7200 };
const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/TsmpiCloud/1b2c3d4e';
const quiet = () => {};

/** A request as CloudFormation sends it (CloudFormation User Guide, "Custom resource request objects"). */
function request(
  type: 'Create' | 'Update' | 'Delete',
  responseURL: string,
  props: Record<string, unknown> = { [JOB_QUEUES_RESOURCE.prefixProperty]: PREFIX },
): CustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:tsmpi-abc-sweeper',
    ResponseURL: responseURL,
    StackId: STACK_ID,
    RequestId: `req-${type}`,
    LogicalResourceId: 'TsmpiJobQueuestsmpiabcA1B2C3D4',
    ResourceType: JOB_QUEUES_RESOURCE.type,
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:tsmpi-abc-sweeper',
      ...props,
    },
  };
  if (type === 'Create') return { ...common, RequestType: 'Create' };
  if (type === 'Update')
    return {
      ...common,
      RequestType: 'Update',
      PhysicalResourceId: `${PREFIX}-job-queues`,
      OldResourceProperties: common.ResourceProperties,
    };
  return { ...common, RequestType: 'Delete', PhysicalResourceId: `${PREFIX}-job-queues` };
}

describe('isCustomResourceEvent', () => {
  it('tells a CloudFormation request from the schedule’s event and from nothing', () => {
    expect(isCustomResourceEvent(request('Delete', 'https://example/x'))).toBe(true);
    const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };
    expect(isCustomResourceEvent(scheduled)).toBe(false);
    expect(isCustomResourceEvent(undefined)).toBe(false);
    expect(isCustomResourceEvent({ ...request('Delete', 'https://example/x'), RequestType: 'Remove' })).toBe(
      false,
    );
  });
});

describe('responseBody', () => {
  it('copies the ids CloudFormation checks and gives a FAILED answer a reason', () => {
    const body = JSON.parse(
      responseBody(request('Delete', 'https://example/x'), { status: 'FAILED', physicalResourceId: 'p' }),
    );
    expect(body).toEqual({
      Status: 'FAILED',
      Reason: 'failed (no reason given)',
      PhysicalResourceId: 'p',
      StackId: STACK_ID,
      RequestId: 'req-Delete',
      LogicalResourceId: 'TsmpiJobQueuestsmpiabcA1B2C3D4',
      NoEcho: false,
    });
  });

  it('cuts an over-long reason so the answer stays within 4,096 bytes', () => {
    const reason = `first: ${'q'.repeat(3000)} and ${'"é'.repeat(2000)}`;
    const text = responseBody(request('Delete', 'https://example/x'), {
      status: 'FAILED',
      reason,
      physicalResourceId: 'p',
    });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    // As much of the reason as fits: one more character would not.
    expect(Buffer.byteLength(text)).toBeGreaterThan(MAX_RESPONSE_BYTES - 8);
    const body = JSON.parse(text) as { Reason: string };
    expect(body.Reason.endsWith('…')).toBe(true);
    expect(reason.startsWith(body.Reason.slice(0, -1))).toBe(true);
    expect(body.Reason.length).toBeGreaterThan(1000);
  });
});

describe('respond (the pre-signed URL stand-in)', () => {
  let urls: ResponseUrlServer;
  beforeAll(async () => {
    urls = await startResponseUrlServer();
  });
  afterAll(() => urls?.close());

  it('PUTs with an empty content type, which the pre-signed URL accepts', async () => {
    await respond(request('Create', urls.url('empty-type')), { status: 'SUCCESS', physicalResourceId: 'p' });
    expect(urls.requests.filter((r) => r.path === '/empty-type')).toEqual([
      { method: 'PUT', path: '/empty-type', contentType: '', status: 200 },
    ]);
  });

  it('retries a 503 Slow Down until the answer is taken', async () => {
    urls.failNext(2, 503);
    await respond(request('Create', urls.url('slow')), { status: 'SUCCESS', physicalResourceId: 'p' });
    expect(urls.requests.filter((r) => r.path === '/slow').map((r) => r.status)).toEqual([503, 503, 200]);
    expect(urls.answers.filter((a) => a.path === '/slow')).toHaveLength(1);
  });

  it('does not retry a refusal, and says which request it could not answer', async () => {
    // A JSON content type breaks the pre-signature, as on S3: one attempt, then the error.
    const put = async (url: string, body: string) => {
      const res = await fetch(url, { method: 'PUT', body, headers: { 'content-type': 'application/json' } });
      if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status });
    };
    const err = await respond(
      request('Delete', urls.url('json')),
      { status: 'SUCCESS', physicalResourceId: 'p' },
      put,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CustomResourceResponseError);
    expect((err as Error).message).toMatch(
      /^CloudFormation refused the answer for TsmpiJobQueues\w+ \(Delete\): HTTP 403/,
    );
    expect(urls.requests.filter((r) => r.path === '/json').map((r) => r.status)).toEqual([403]);
  });
});

describe('answerStackEvent (fauxqs, a real SQS-compatible server)', () => {
  let server: ReturnType<typeof buildApp>;
  let client: SQSClient;
  let urls: ResponseUrlServer;
  const names = async () =>
    ((await client.send(new ListQueuesCommand({}))).QueueUrls ?? [])
      .map((u) => u.slice(u.lastIndexOf('/') + 1))
      .sort();

  beforeAll(async () => {
    server = buildApp({ logger: false });
    const endpoint = (await server.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
    client = new SQSClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    urls = await startResponseUrlServer();
  });
  afterAll(async () => {
    client?.destroy();
    await server?.close();
    await urls?.close();
  });
  beforeEach(async () => {
    for (const q of await names()) {
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: q }));
      await client.send(new DeleteQueueCommand({ QueueUrl }));
    }
    // Fresh queues (seconds old): the schedule would keep all of them.
    for (const q of [
      `${PREFIX}-j1-0`,
      `${PREFIX}-j1-1`,
      `${PREFIX}-j1-ctl`,
      `${PREFIX}-j2-0`,
      'tsmpi-abcd-j1-0',
      'other',
    ]) {
      await client.send(new CreateQueueCommand({ QueueName: q }));
    }
  });
  const deps = () => ({ client, config: () => CONFIG, log: quiet });
  const answerAt = (path: string) => urls.answers.find((a) => a.path === `/${path}`)?.body;

  it('Create: answers SUCCESS with the physical id every later answer keeps, and deletes nothing', async () => {
    const outcome = await answerStackEvent(request('Create', urls.url('create')), deps());
    expect(outcome).toEqual({ status: 'SUCCESS', physicalResourceId: `${PREFIX}-job-queues` });
    expect(answerAt('create')).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: `${PREFIX}-job-queues`,
      RequestId: 'req-Create',
    });
    expect(await names()).toHaveLength(6);
  });

  it('Update: keeps the physical id it was given (a new one would make CloudFormation delete the "old" queues)', async () => {
    const event = {
      ...request('Update', urls.url('update')),
      PhysicalResourceId: 'given-id',
    } as CustomResourceEvent;
    await answerStackEvent(event, deps());
    expect(answerAt('update')).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'given-id' });
    expect(await names()).toHaveLength(6);
  });

  it('Delete: deletes every queue of the prefix, fresh ones included, and no other', async () => {
    const outcome = await answerStackEvent(request('Delete', urls.url('delete')), deps());
    expect(outcome).toEqual({
      status: 'SUCCESS',
      physicalResourceId: `${PREFIX}-job-queues`,
      data: { Deleted: 4 },
    });
    expect(answerAt('delete')).toMatchObject({ Status: 'SUCCESS', Data: { Deleted: 4 } });
    expect(await names()).toEqual(['other', 'tsmpi-abcd-j1-0']);
  });

  it('Delete: a second request (CloudFormation retried, or cdk destroy again) succeeds with nothing left to delete', async () => {
    await answerStackEvent(request('Delete', urls.url('delete-1')), deps());
    const again = await answerStackEvent(request('Delete', urls.url('delete-2')), deps());
    expect(again).toMatchObject({ status: 'SUCCESS', data: { Deleted: 0 } });
  });

  it('Delete: sweeps nothing when the resource names another prefix than the function has', async () => {
    const event = request('Delete', urls.url('other-prefix'), {
      [JOB_QUEUES_RESOURCE.prefixProperty]: 'tsmpi-abcd',
    });
    const outcome = await answerStackEvent(event, deps());
    expect(outcome.status).toBe('SUCCESS');
    expect(outcome.reason).toMatch(
      /Not swept: the resource names queue prefix "tsmpi-abcd", the function tsmpi-abc/,
    );
    expect(await names()).toHaveLength(6);
  });

  it('answers even when the environment is unusable: Create FAILED with why, Delete SUCCESS (nothing known to sweep)', async () => {
    const broken = {
      client,
      log: quiet,
      config: () => {
        throw new SweeperConfigError('TSMPI_QUEUE_PREFIX is required');
      },
    };
    const created = await answerStackEvent(request('Create', urls.url('broken-create')), broken);
    expect(created.status).toBe('FAILED');
    expect(answerAt('broken-create')).toMatchObject({
      Status: 'FAILED',
      Reason: "The sweeper function's environment is not usable: TSMPI_QUEUE_PREFIX is required",
      PhysicalResourceId: 'TsmpiJobQueuestsmpiabcA1B2C3D4',
    });
    const deleted = await answerStackEvent(request('Delete', urls.url('broken-delete')), broken);
    expect(deleted.status).toBe('SUCCESS');
    expect(await names()).toHaveLength(6);
  });
});

describe('answerStackEvent (error paths, mocked SQS)', () => {
  const client = new SQSClient({ region: 'us-east-1' });
  let sqs: SqsStub;
  let urls: ResponseUrlServer;
  const url = (name: string) => `https://sqs.us-east-1.amazonaws.com/123456789012/${name}`;
  beforeAll(async () => {
    sqs = mockClient(client);
    urls = await startResponseUrlServer();
  });
  afterEach(() => sqs.reset());
  afterAll(async () => {
    sqs.restore();
    await urls?.close();
  });

  it('answers FAILED, naming the queue and what to do, when a queue cannot be deleted', async () => {
    sqs.on(ListQueuesCommand).resolves({ QueueUrls: [url(`${PREFIX}-j-0`), url(`${PREFIX}-j-1`)] });
    sqs
      .on(DeleteQueueCommand, { QueueUrl: url(`${PREFIX}-j-0`) })
      .rejects(new Error('Access to the resource is denied.'));
    sqs.on(DeleteQueueCommand, { QueueUrl: url(`${PREFIX}-j-1`) }).resolves({});
    const outcome = await answerStackEvent(request('Delete', urls.url('denied')), {
      client,
      config: () => CONFIG,
      log: quiet,
    });
    expect(outcome.status).toBe('FAILED');
    const body = urls.answers.find((a) => a.path === '/denied')?.body;
    expect(body?.Status).toBe('FAILED');
    expect(body?.Reason).toMatch(
      /^Could not delete 1 of 2 job queue\(s\) of the stack; first: tsmpi-abc-j-0 \(Access to the resource is denied\.\)\. Run `cdk destroy` again/,
    );
  });

  it('answers FAILED, saying what it was doing, when the queues cannot even be listed', async () => {
    sqs.on(ListQueuesCommand).rejects(new Error('Throttled'));
    const outcome = await answerStackEvent(request('Delete', urls.url('unlisted')), {
      client,
      config: () => CONFIG,
      log: quiet,
    });
    expect(outcome.reason).toBe(
      'Could not delete the job queues tsmpi-abc-*: Throttled. Run `cdk destroy` again to retry.',
    );
    expect(urls.answers.find((a) => a.path === '/unlisted')?.body).toMatchObject({
      Status: 'FAILED',
      Reason: outcome.reason,
    });
  });

  it('answers FAILED before the function’s own timeout when the sweep does not finish', async () => {
    // ListQueues never answers; the function has exactly the margin left.
    sqs.on(ListQueuesCommand).callsFake(() => new Promise(() => {}));
    const outcome = await answerStackEvent(request('Delete', urls.url('late')), {
      client,
      config: () => CONFIG,
      log: quiet,
      remainingMs: () => ANSWER_MARGIN_MS,
    });
    expect(outcome.status).toBe('FAILED');
    expect(urls.answers.find((a) => a.path === '/late')?.body.Reason).toMatch(
      /did not finish within the sweeper's timeout\. Run `cdk destroy` again/,
    );
  });
});

describe('handler', () => {
  let sqs: SqsStub;
  let urls: ResponseUrlServer;
  const saved = { ...process.env };
  beforeAll(async () => {
    sqs = mockClient(SQSClient);
    urls = await startResponseUrlServer();
  });
  afterAll(async () => {
    sqs.restore();
    process.env = saved;
    await urls?.close();
  });

  it('answers a CloudFormation request instead of running the scheduled sweep', async () => {
    process.env.TSMPI_QUEUE_PREFIX = PREFIX;
    process.env.TSMPI_MAX_JOB_AGE_SECONDS = '60';
    sqs.on(ListQueuesCommand).resolves({ QueueUrls: [] });
    const outcome = await handler(request('Delete', urls.url('handler')), {
      getRemainingTimeInMillis: () => 300_000,
    });
    expect(outcome).toMatchObject({ status: 'SUCCESS', data: { Deleted: 0 } });
    expect(urls.answers.find((a) => a.path === '/handler')?.body).toMatchObject({ Status: 'SUCCESS' });
  });
});
