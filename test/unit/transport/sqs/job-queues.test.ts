import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  createJobQueues,
  deleteJobQueues,
  findJobQueues,
  validateJobQueueNames,
} from '../../../../sdk/transport/sqs/job-queues.js';
import { newClients, queueGone, throttled } from './helpers.js';

const FAST = { baseDelayMs: 0, maxDelayMs: 0 };

function setup() {
  const { sqs } = newClients();
  const mock = mockClient(sqs);
  mock
    .on(CreateQueueCommand)
    .callsFake((input: { QueueName: string }) => ({ QueueUrl: `https://sqs.test/000/${input.QueueName}` }));
  mock.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: 'arn' } });
  mock.on(DeleteQueueCommand).resolves({});
  return { sqs, mock };
}

describe('queue names', () => {
  it('accepts names up to 80 characters of [A-Za-z0-9_-]', () => {
    expect(() => validateJobQueueNames('tsmpi', 'a'.repeat(72), 10)).not.toThrow(); // tsmpi-<72>-9 = 80
  });

  it('rejects a job whose longest queue name exceeds 80 characters, naming prefix and jobId', () => {
    expect(() => validateJobQueueNames('tsmpi', 'a'.repeat(72), 11)).toThrow(
      /prefix `tsmpi` \(5 chars\) and jobId `a{72}` \(72 chars\) give `tsmpi-a{72}-10` \(81 chars\) for 11 ranks: shorten the prefix or the job id/,
    );
    expect(() => validateJobQueueNames('tsmpi', 'a'.repeat(72), 1, true)).toThrow(/tsmpi-a{72}-ctl/);
  });

  it('rejects characters SQS does not allow, naming the argument', () => {
    expect(() => validateJobQueueNames('ts.mpi', 'j1', 2)).toThrow(
      'Expected `prefix` to be a non-empty string of [A-Za-z0-9_-] (it starts every SQS queue name), got `"ts.mpi"` (string)',
    );
    expect(() => validateJobQueueNames('tsmpi', 'job/1', 2)).toThrow(/Expected `jobId` .* got `"job\/1"`/);
    expect(() => validateJobQueueNames('tsmpi', 'j', 0)).toThrow(
      'Expected `size` to be an integer >= 1, got `0` (number)',
    );
  });
});

describe('createJobQueues', () => {
  it('creates every queue with the job attributes and no tags, in rank order', async () => {
    const { sqs, mock } = setup();
    const res = await createJobQueues({ client: sqs, prefix: 'p', jobId: 'j', size: 3, control: true });
    expect(res).toEqual({
      queueUrls: ['https://sqs.test/000/p-j-0', 'https://sqs.test/000/p-j-1', 'https://sqs.test/000/p-j-2'],
      controlUrl: 'https://sqs.test/000/p-j-ctl',
    });
    const input = mock.commandCalls(CreateQueueCommand)[0]!.args[0].input;
    expect(input.Attributes).toMatchObject({
      MaximumMessageSize: '1048576',
      SqsManagedSseEnabled: 'true',
      ReceiveMessageWaitTimeSeconds: '20',
      VisibilityTimeout: '60',
      MessageRetentionPeriod: '345600',
    });
    expect(input.tags).toBeUndefined();
  });

  it('waits out the window in which a new queue answers QueueDoesNotExist', async () => {
    const { sqs, mock } = setup();
    mock
      .on(GetQueueAttributesCommand)
      .rejectsOnce(queueGone())
      .rejectsOnce(queueGone())
      .resolves({ Attributes: { QueueArn: 'arn' } });
    const res = await createJobQueues({ client: sqs, prefix: 'p', jobId: 'j', size: 1 });
    expect(res.queueUrls).toHaveLength(1);
    expect(mock.commandCalls(GetQueueAttributesCommand)).toHaveLength(3);
  });

  it('retries a throttled CreateQueue', async () => {
    const { sqs, mock } = setup();
    mock
      .on(CreateQueueCommand)
      .rejectsOnce(throttled())
      .callsFake((input: { QueueName: string }) => ({ QueueUrl: `https://sqs.test/000/${input.QueueName}` }));
    await createJobQueues({ client: sqs, prefix: 'p', jobId: 'j', size: 2, retry: FAST });
    expect(mock.commandCalls(CreateQueueCommand)).toHaveLength(3);
  });

  it('deletes the queues it created when another one cannot be created', async () => {
    const { sqs, mock } = setup();
    mock
      .on(CreateQueueCommand, { QueueName: 'p-j-2' })
      .rejects(
        Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }),
      );
    await expect(createJobQueues({ client: sqs, prefix: 'p', jobId: 'j', size: 4 })).rejects.toMatchObject({
      code: 'ACCESS_DENIED',
    });
    const deleted = mock.commandCalls(DeleteQueueCommand).map((c) => c.args[0].input.QueueUrl);
    expect(deleted.sort()).toEqual([
      'https://sqs.test/000/p-j-0',
      'https://sqs.test/000/p-j-1',
      'https://sqs.test/000/p-j-3',
    ]);
  });

  it('rejects unknown option keys', async () => {
    const { sqs } = setup();
    await expect(
      createJobQueues({ client: sqs, prefix: 'p', jobId: 'j', size: 1, contol: true } as never),
    ).rejects.toThrow(/createJobQueues: unknown option `contol`/);
  });
});

describe('deleteJobQueues and findJobQueues', () => {
  it('counts a queue that is already gone as deleted, and lists the ones it could not delete', async () => {
    const { sqs, mock } = setup();
    mock.on(DeleteQueueCommand, { QueueUrl: 'u1' }).rejects(queueGone());
    mock.on(DeleteQueueCommand, { QueueUrl: 'u2' }).resolves({});
    expect(await deleteJobQueues({ client: sqs, queueUrls: ['u1', 'u2'] })).toEqual({
      deleted: ['u2'],
      alreadyGone: ['u1'],
    });
    mock
      .on(DeleteQueueCommand, { QueueUrl: 'u3' })
      .rejects(
        Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }),
      );
    await expect(deleteJobQueues({ client: sqs, queueUrls: ['u2', 'u3'] })).rejects.toThrow(
      /could not delete 1 of 2 queues \(u3\): access denied by SQS/,
    );
  });

  it('follows ListQueues pagination and keeps only names of the job', async () => {
    const { sqs, mock } = setup();
    mock
      .on(ListQueuesCommand)
      .resolvesOnce({ QueueUrls: ['https://q/000/p-j-0', 'https://q/000/p-j-1'], NextToken: 't1' })
      .resolvesOnce({
        QueueUrls: ['https://q/000/p-j-ctl', 'https://q/000/p-j-x', 'https://q/000/p-j-2-extra'],
      });
    const found = await findJobQueues({ client: sqs, prefix: 'p', jobId: 'j' });
    expect(found.map((q) => q.rank)).toEqual([0, 1, 'ctl']);
    const calls = mock.commandCalls(ListQueuesCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { QueueNamePrefix: 'p-j-', MaxResults: 1000 },
      { QueueNamePrefix: 'p-j-', MaxResults: 1000, NextToken: 't1' },
    ]);
  });
});
