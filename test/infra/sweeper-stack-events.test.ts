/**
 * The sweeper as the provider of the stack's `Custom::TsmpiJobQueues` resource: on `cdk destroy`
 * CloudFormation sends it a Delete request, and it deletes every job queue of the prefix, whatever
 * its age, and answers on the request's pre-signed URL. Against a real SQS-compatible server
 * (fauxqs) and a stand-in for the pre-signed URL (`response-url-server.ts`), with a mocked client
 * only for the error paths.
 */

import {
  type ServiceInputTypes as CfnInput,
  type ServiceOutputTypes as CfnOutput,
  CloudFormationClient,
  type CloudFormationClientResolvedConfig,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
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
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type CustomResourceEvent,
  CustomResourceResponseError,
  isCustomResourceEvent,
  MAX_RESPONSE_BYTES,
  respond,
  responseBody,
} from '../../functions/custom-resource.js';
import {
  ANSWER_MARGIN_MS,
  answerStackEvent,
  describeStackStatus,
  handler,
  SWEEP_ON_DELETE_STATUSES,
  SweeperConfigError,
  sweepAll,
} from '../../functions/sweeper.js';
import { EMULATOR_CREDENTIALS } from '../../sdk/base/emulator-defaults.js';
import { JOB_QUEUES_RESOURCE } from '../../sdk/base/stack-contract.js';
import { createSqsClients } from '../../sdk/transport/sqs/clients.js';
import { type AwsRulesProxy, startAwsRulesProxy } from '../helpers/aws-rules-proxy.js';
import { type Fauxqs, startFauxqs } from '../helpers/fauxqs.js';
import { EMULATORS, MOTO_SKIP_REASON, startMoto, startMotoCloudFormation } from '../helpers/moto.js';
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

  // The pauses between attempts, shortened (the deployed policy waits 0.5 to 4 s).
  const fast = { policy: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 1 } };
  /** Answers a Delete SUCCESS at `path`; resolves with the error it failed with, if any. */
  const answerDelete = (path: string) =>
    respond(request('Delete', urls.url(path)), { status: 'SUCCESS', physicalResourceId: 'p' }, fast).catch(
      (e: unknown) => e,
    );

  it('retries a 503 Slow Down until the answer is taken', async () => {
    urls.failNext(2, 503);
    await respond(request('Create', urls.url('slow')), { status: 'SUCCESS', physicalResourceId: 'p' }, fast);
    expect(urls.requests.filter((r) => r.path === '/slow').map((r) => r.status)).toEqual([503, 503, 200]);
    expect(urls.answers.filter((a) => a.path === '/slow')).toHaveLength(1);
  });

  it('gives up after its attempts, saying which request it could not answer', async () => {
    urls.failNext(4, 503);
    const err = await answerDelete('down');
    expect(err).toBeInstanceOf(CustomResourceResponseError);
    expect((err as Error).message).toMatch(
      /^Could not answer CloudFormation for TsmpiJobQueues\w+ \(Delete\) after 4 attempts: HTTP 503/,
    );
    expect(urls.requests.filter((r) => r.path === '/down').map((r) => r.status)).toEqual([
      503, 503, 503, 503,
    ]);
  });

  it('does not retry a refusal (403: an expired or altered URL)', async () => {
    urls.failNext(1, 403);
    const err = await answerDelete('refused');
    expect(err).toBeInstanceOf(CustomResourceResponseError);
    expect((err as Error).message).toMatch(
      /^CloudFormation's response URL refused the answer for TsmpiJobQueues\w+ \(Delete\): HTTP 403/,
    );
    expect(urls.requests.filter((r) => r.path === '/refused').map((r) => r.status)).toEqual([403]);
  });

  it('stands in for S3 as the guide says: a JSON content type breaks the pre-signature (403)', async () => {
    const res = await fetch(urls.url('json'), {
      method: 'PUT',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/SignatureDoesNotMatch/);
  });
});

describe('answerStackEvent (fauxqs, a real SQS-compatible server)', () => {
  let fauxqs: Fauxqs;
  let client: SQSClient;
  let urls: ResponseUrlServer;
  const names = async () =>
    ((await client.send(new ListQueuesCommand({}))).QueueUrls ?? [])
      .map((u) => u.slice(u.lastIndexOf('/') + 1))
      .sort();
  /** The queues of this prefix's jobs, of a stack whose prefix extends it, and of no stack. */
  const OURS = [`${PREFIX}-j1-0`, `${PREFIX}-j1-1`, `${PREFIX}-j1-ctl`, `${PREFIX}-j1-c1`, `${PREFIX}-j2-0`];
  const THEIRS = [`${PREFIX}-x-j1-0`, `${PREFIX}-x-j1-ctl`, 'tsmpi-abcd-j1-0', 'other'];

  beforeAll(async () => {
    fauxqs = await startFauxqs();
    client = fauxqs.sqs;
    urls = await startResponseUrlServer();
  });
  afterAll(async () => {
    await fauxqs?.stop();
    await urls?.close();
  });
  beforeEach(async () => {
    for (const q of await names()) {
      const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: q }));
      await client.send(new DeleteQueueCommand({ QueueUrl }));
    }
    // Fresh queues (seconds old): the schedule would keep all of them.
    for (const q of [...OURS, ...THEIRS]) await client.send(new CreateQueueCommand({ QueueName: q }));
  });
  const deps = (status = 'DELETE_IN_PROGRESS') => ({
    client,
    config: () => CONFIG,
    log: quiet,
    stackStatus: (stackId: string) => {
      expect(stackId).toBe(STACK_ID);
      return Promise.resolve(status);
    },
  });
  const answerAt = (path: string) => urls.answers.find((a) => a.path === `/${path}`)?.body;

  it('Create: answers SUCCESS with the physical id every later answer keeps, and deletes nothing', async () => {
    const outcome = await answerStackEvent(request('Create', urls.url('create')), deps());
    expect(outcome).toEqual({ status: 'SUCCESS', physicalResourceId: `${PREFIX}-job-queues` });
    expect(answerAt('create')).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: `${PREFIX}-job-queues`,
      RequestId: 'req-Create',
    });
    expect(await names()).toHaveLength(OURS.length + THEIRS.length);
  });

  it('Update: keeps the physical id it was given (a new one would make CloudFormation delete the "old" queues)', async () => {
    const event = {
      ...request('Update', urls.url('update')),
      PhysicalResourceId: 'given-id',
    } as CustomResourceEvent;
    await answerStackEvent(event, deps());
    expect(answerAt('update')).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'given-id' });
    expect(await names()).toHaveLength(OURS.length + THEIRS.length);
  });

  it.each([...SWEEP_ON_DELETE_STATUSES])(
    'Delete while the stack is %s: deletes every job queue of the prefix, fresh ones included, and no other',
    async (status) => {
      const outcome = await answerStackEvent(request('Delete', urls.url(`delete-${status}`)), deps(status));
      expect(outcome).toEqual({
        status: 'SUCCESS',
        physicalResourceId: `${PREFIX}-job-queues`,
        data: { Deleted: OURS.length },
      });
      expect(answerAt(`delete-${status}`)).toMatchObject({
        Status: 'SUCCESS',
        Data: { Deleted: OURS.length },
      });
      expect(await names()).toEqual([...THEIRS].sort());
    },
  );

  it.each(['UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_COMPLETE'])(
    'Delete while the stack is %s (it stays: an update that added the resource rolled back): keeps every queue',
    async (status) => {
      const outcome = await answerStackEvent(request('Delete', urls.url(`kept-${status}`)), deps(status));
      expect(outcome.status).toBe('SUCCESS');
      expect(outcome.reason).toBe(
        `Not swept: the stack is ${status}, so it stays, and its queues may be running jobs'`,
      );
      expect(await names()).toHaveLength(OURS.length + THEIRS.length);
    },
  );

  it('Delete when the stack’s status cannot be read: keeps the queues, answers FAILED (shown), says why and what to do', async () => {
    const outcome = await answerStackEvent(request('Delete', urls.url('no-status')), {
      ...deps(),
      stackStatus: () =>
        Promise.reject(new Error('User is not authorized to perform: cloudformation:DescribeStacks')),
    });
    expect(outcome).toMatchObject({
      status: 'FAILED',
      reason:
        `Could not read the status of stack ${STACK_ID} (User is not authorized to perform: cloudformation:DescribeStacks), ` +
        'so no job queue was deleted. If the stack is being deleted, run `cdk destroy` again to retry ' +
        "(the sweeper's role needs cloudformation:DescribeStacks on it).",
    });
    expect(await names()).toHaveLength(OURS.length + THEIRS.length);
  });

  it('Delete: a second request (delivered twice, or cdk destroy again) succeeds with nothing left to delete', async () => {
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
    expect(await names()).toHaveLength(OURS.length + THEIRS.length);
  });

  it('answers even when the environment is unusable: Create FAILED with why, Delete SUCCESS (nothing known to sweep)', async () => {
    const broken = {
      ...deps(),
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
    expect(await names()).toHaveLength(OURS.length + THEIRS.length);
  });

  it('sweeps nothing for a Delete that names no prefix (no ResourceProperties)', async () => {
    const { ResourceProperties: _, ...event } = request('Delete', urls.url('no-props'));
    const outcome = await answerStackEvent(event as CustomResourceEvent, deps());
    expect(outcome).toMatchObject({ status: 'SUCCESS', reason: expect.stringMatching(/^Not swept/) });
    expect(await names()).toHaveLength(OURS.length + THEIRS.length);
  });

  it('answers FAILED, not never, when something unforeseen throws', async () => {
    const outcome = await answerStackEvent(request('Delete', urls.url('unforeseen')), {
      ...deps(),
      remainingMs: () => {
        throw new Error('no context');
      },
    });
    expect(outcome).toEqual({
      status: 'FAILED',
      reason: 'The sweeper could not handle the Delete request: no context',
      physicalResourceId: `${PREFIX}-job-queues`,
    });
    expect(answerAt('unforeseen')).toMatchObject({ Status: 'FAILED' });
  });
});

describe.each(EMULATORS)(
  'sweepAll behind the rules layer, as unkind as SQS ($emulator)',
  ({ emulator, skip }) => {
    let stop: (() => Promise<void>) | undefined;
    let proxy: AwsRulesProxy;
    let sqs: SQSClient;
    beforeAll(async () => {
      if (skip !== undefined) return;
      const upstream = emulator === 'moto' ? await startMoto() : await startFauxqs();
      stop = upstream.stop;
      // A queue is unusable for 1 s after CreateQueue (calls on it answer QueueDoesNotExist).
      proxy = await startAwsRulesProxy(upstream.endpoint);
      sqs = createSqsClients({
        endpoint: proxy.endpoint,
        region: 'us-east-1',
        credentials: { ...EMULATOR_CREDENTIALS },
      }).sqs;
    }, 60_000);
    afterAll(async () => {
      sqs?.destroy();
      await proxy?.close();
      await stop?.();
    });

    it('deletes a queue made a moment before (its first DeleteQueue answers QueueDoesNotExist), not counting it gone', async (ctx) => {
      if (skip !== undefined) return ctx.skip(skip);
      const name = `${PREFIX}-jyoung-c0`;
      await sqs.send(new CreateQueueCommand({ QueueName: name }));
      const young = proxy.fired.get('young-queue') ?? 0;
      // The rules layer lists it at once (the emulators' ListQueues is not eventually consistent).
      const report = await sweepAll(sqs, PREFIX, quiet);
      expect(proxy.fired.get('young-queue') ?? 0).toBeGreaterThan(young);
      expect(report.deleted).toEqual([{ queue: name }]);
    });
  },
);

describe('describeStackStatus (moto_server, a real CloudFormation API)', () => {
  let moto: Awaited<ReturnType<typeof startMotoCloudFormation>> | undefined;
  beforeAll(async () => {
    if (MOTO_SKIP_REASON === undefined) moto = await startMotoCloudFormation();
  }, 60_000);
  afterAll(() => moto?.stop());

  it('reads a live stack’s status, and a deleted one’s by its id (DescribeStacks describes deleted stacks by id)', async (ctx) => {
    if (moto === undefined) return ctx.skip(MOTO_SKIP_REASON);
    const { cfn } = moto;
    const template = JSON.stringify({
      Resources: { Q: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'describe-status-q' } } },
    });
    const { StackId } = await cfn.send(
      new CreateStackCommand({ StackName: 'StatusProbe', TemplateBody: template }),
    );
    expect(StackId).toBeDefined();
    expect(await describeStackStatus(cfn, StackId!)).toBe('CREATE_COMPLETE');
    expect(SWEEP_ON_DELETE_STATUSES.has('CREATE_COMPLETE')).toBe(false);
    await cfn.send(new DeleteStackCommand({ StackName: StackId! }));
    expect(await describeStackStatus(cfn, StackId!)).toBe('DELETE_COMPLETE');
    expect(SWEEP_ON_DELETE_STATUSES.has('DELETE_COMPLETE')).toBe(true);
    await expect(
      describeStackStatus(cfn, 'arn:aws:cloudformation:us-east-1:123456789012:stack/Nope/0'),
    ).rejects.toThrow(/does not exist/);
  });
});

describe('answerStackEvent (error paths, mocked SQS)', () => {
  const client = new SQSClient({ region: 'us-east-1' });
  let sqs: SqsStub;
  let urls: ResponseUrlServer;
  const url = (name: string) => `https://sqs.us-east-1.amazonaws.com/123456789012/${name}`;
  const deps = () => ({
    client,
    config: () => CONFIG,
    log: quiet,
    stackStatus: () => Promise.resolve('DELETE_IN_PROGRESS'),
  });
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
    const outcome = await answerStackEvent(request('Delete', urls.url('denied')), deps());
    expect(outcome.status).toBe('FAILED');
    const body = urls.answers.find((a) => a.path === '/denied')?.body;
    expect(body?.Status).toBe('FAILED');
    expect(body?.Reason).toBe(
      'Could not delete 1 of 2 job queue(s) of the stack; first: tsmpi-abc-j-0 (Access to the resource is denied.); ' +
        "if it keeps failing, check the sweeper role's sqs:DeleteQueue permission. " +
        'Run `cdk destroy` again to retry, or delete the queues listed by `aws sqs list-queues --queue-name-prefix tsmpi-abc-` by hand and retry.',
    );
  });

  it('never tells to destroy a stack that stays: after an update removed the resource, says the update succeeded', async () => {
    sqs.on(ListQueuesCommand).resolves({ QueueUrls: [url(`${PREFIX}-j-0`)] });
    sqs.on(DeleteQueueCommand).rejects(new Error('Access to the resource is denied.'));
    const outcome = await answerStackEvent(request('Delete', urls.url('cleanup')), {
      ...deps(),
      stackStatus: () => Promise.resolve('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'),
    });
    expect(outcome.status).toBe('FAILED');
    expect(outcome.reason).not.toMatch(/destroy/);
    expect(outcome.reason).toMatch(
      /The stack's update itself succeeded \(this resource was removed from it\); delete the queues listed by `aws sqs list-queues --queue-name-prefix tsmpi-abc-` by hand\.$/,
    );
  });

  it('answers FAILED, saying what it was doing, when the queues cannot even be listed', async () => {
    sqs.on(ListQueuesCommand).rejects(new Error('Throttled'));
    const outcome = await answerStackEvent(request('Delete', urls.url('unlisted')), deps());
    expect(outcome.reason).toBe(
      'Could not delete the job queues tsmpi-abc-*: Throttled. Run `cdk destroy` again to retry, or delete ' +
        'the queues listed by `aws sqs list-queues --queue-name-prefix tsmpi-abc-` by hand and retry.',
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
      ...deps(),
      remainingMs: () => ANSWER_MARGIN_MS,
    });
    expect(outcome.status).toBe('FAILED');
    expect(urls.answers.find((a) => a.path === '/late')?.body.Reason).toMatch(
      /^The sweeper ran out of time deleting the job queues tsmpi-abc-\*\. Run `cdk destroy` again/,
    );
  });

  it('says which step ran out of time: reading the stack’s status', async () => {
    const outcome = await answerStackEvent(request('Delete', urls.url('late-status')), {
      ...deps(),
      stackStatus: () => new Promise(() => {}),
      remainingMs: () => ANSWER_MARGIN_MS,
    });
    expect(outcome.reason).toMatch(
      new RegExp(
        `^The sweeper ran out of time reading the status of stack ${STACK_ID.replace(/[/.]/g, '\\$&')}\\. `,
      ),
    );
    expect(sqs.commandCalls(ListQueuesCommand)).toHaveLength(0);
  });
});

describe('handler', () => {
  let sqs: SqsStub;
  let cfn: AwsStub<CfnInput, CfnOutput, CloudFormationClientResolvedConfig>;
  let urls: ResponseUrlServer;
  const saved = { ...process.env };
  beforeAll(async () => {
    sqs = mockClient(SQSClient);
    cfn = mockClient(CloudFormationClient);
    urls = await startResponseUrlServer();
  });
  afterAll(async () => {
    sqs.restore();
    cfn.restore();
    process.env = saved;
    await urls?.close();
  });

  it('answers a CloudFormation request instead of running the scheduled sweep, asking for its own stack’s status', async () => {
    process.env.TSMPI_QUEUE_PREFIX = PREFIX;
    process.env.TSMPI_MAX_JOB_AGE_SECONDS = '60';
    sqs.on(ListQueuesCommand).resolves({ QueueUrls: [] });
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'TsmpiCloud', StackStatus: 'DELETE_IN_PROGRESS', CreationTime: new Date() }],
    });
    const outcome = await handler(request('Delete', urls.url('handler')), {
      getRemainingTimeInMillis: () => 300_000,
    });
    expect(outcome).toMatchObject({ status: 'SUCCESS', data: { Deleted: 0 } });
    expect(cfn.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({ StackName: STACK_ID });
    expect(urls.answers.find((a) => a.path === '/handler')?.body).toMatchObject({ Status: 'SUCCESS' });
  });
});
