import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { claimAttributes, claimQueueName, claimRank } from '../../../sdk/runtime/lambda/claim-rank.js';

const sqs = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

function named(name: string): Error {
  const e = new Error(`${name}: a queue already exists`);
  e.name = name;
  return e;
}

describe('the rank claim (duplicate-delivery guard)', () => {
  it('encodes a token in three queue attributes, inside the ranges SQS allows, one value per token', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const token = new Uint8Array(8).map(() => Math.floor(Math.random() * 256));
      const a = claimAttributes(token);
      expect(Number(a.MessageRetentionPeriod)).toBeGreaterThanOrEqual(60);
      expect(Number(a.MessageRetentionPeriod)).toBeLessThanOrEqual(1_209_600);
      expect(Number(a.MaximumMessageSize)).toBeGreaterThanOrEqual(1024);
      expect(Number(a.MaximumMessageSize)).toBeLessThanOrEqual(1_048_576);
      expect(Number(a.VisibilityTimeout)).toBeLessThanOrEqual(43_200);
      expect(claimAttributes(token)).toEqual(a);
      seen.add(JSON.stringify(a));
    }
    expect(seen.size).toBe(200);
    expect(claimQueueName('tsmpi-ab', 'j1', 7)).toBe('tsmpi-ab-j1-c7');
  });

  it('claims with CreateQueue; QueueNameExists (either spelling) means another invocation owns the rank', async () => {
    const mock = mockClient(sqs);
    mock.on(CreateQueueCommand).resolvesOnce({ QueueUrl: 'u' });
    expect(await claimRank({ sqs, prefix: 'p', jobId: 'j', rank: 1 })).toEqual({
      claimed: true,
      queueName: 'p-j-c1',
    });
    const call = mock.commandCalls(CreateQueueCommand)[0]!.args[0].input;
    expect(call.QueueName).toBe('p-j-c1');
    expect(Object.keys(call.Attributes ?? {}).sort()).toEqual([
      'MaximumMessageSize',
      'MessageRetentionPeriod',
      'VisibilityTimeout',
    ]);
    for (const name of ['QueueNameExists', 'AWS.SimpleQueueService.QueueNameExists']) {
      mock.reset().on(CreateQueueCommand).rejects(named(name));
      expect(await claimRank({ sqs, prefix: 'p', jobId: 'j', rank: 1 })).toMatchObject({
        claimed: false,
        reason: 'duplicate',
      });
    }
    mock.reset().on(CreateQueueCommand).rejects(named('QueueDeletedRecently'));
    expect(await claimRank({ sqs, prefix: 'p', jobId: 'j', rank: 1 })).toMatchObject({
      claimed: false,
      reason: 'gone',
    });
    mock.reset().on(CreateQueueCommand).rejects(named('AccessDenied'));
    await expect(claimRank({ sqs, prefix: 'p', jobId: 'j', rank: 1 })).rejects.toThrow(
      /a queue already exists/,
    );
    mock.restore();
  });
});
