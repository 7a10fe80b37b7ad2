/**
 * `run --backend sqs` with credentials AWS would refuse some of its calls (the rules layer of
 * test/helpers/aws-rules-proxy.ts in front of fauxqs, its IAM evaluation denying one action), as
 * credentials scoped to a deployed stack are: no s3:CreateBucket, no sqs:DeleteQueue.
 */
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { DeleteQueueCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsRulesProxy, startAwsRulesProxy } from '../../helpers/aws-rules-proxy.js';
import { cli } from '../../helpers/cli.js';
import { useFauxqs } from '../../helpers/fauxqs.js';

const fx = useFauxqs();
let proxy: AwsRulesProxy;
/** Every action is allowed but these. */
let denied = new Set<string>();
/** The calls refused so far, as `action resource`. */
const refused: string[] = [];

beforeAll(async () => {
  proxy = await startAwsRulesProxy(fx.endpoint, {
    // The launcher waits out a new queue's first second itself; the rule is tested elsewhere.
    youngQueueMs: 0,
    deletedRecentlyMs: 0,
    authorize: async (_key, action, resource) => {
      if (!denied.has(action)) return true;
      refused.push(`${action} ${resource}`);
      return false;
    },
  });
});
afterAll(async () => {
  await proxy?.close();
});

const hello = ['run', 'hello', '--ranks', '2', '--backend', 'sqs', '--endpoint'];
const jobQueues = async () =>
  (await fx.sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'tsmpi-' }))).QueueUrls ?? [];
const buckets = async () => ((await fx.s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name);

describe('--backend sqs with credentials that may not do everything', () => {
  it('without s3:CreateBucket the job runs (only frames over the SQS limit would need the bucket)', async () => {
    denied = new Set(['s3:CreateBucket']);
    refused.length = 0;
    const before = await buckets();
    const r = await cli([...hello, proxy.endpoint]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Hello from process 1 out of 2');
    expect(refused).toEqual([expect.stringMatching(/^s3:CreateBucket arn:aws:s3:::tsmpi-/)]);
    expect(await buckets()).toEqual(before);
    expect(await jobQueues()).toEqual([]);
  });

  it('without sqs:DeleteQueue the job still succeeds, and says which queues it left behind', async () => {
    denied = new Set(['sqs:DeleteQueue']);
    refused.length = 0;
    const r = await cli([...hello, proxy.endpoint]);
    expect(r.code).toBe(0);
    const left = await jobQueues();
    expect(left).toHaveLength(2);
    // As the CLI's other messages, not as Node's `(node:PID) Warning: ...`.
    expect(r.stderr).toMatch(
      /^tsmpi-cloud: warning: job \w+ left queues behind: could not delete 2 of 2 queues \(.*\): .*access denied.*; delete what is left by hand/ms,
    );
    expect(r.stderr).not.toMatch(/\(node:\d+\) Warning: tsmpi-cloud/);
    for (const url of left) expect(r.stderr).toContain(url.slice(url.lastIndexOf('/') + 1));
    for (const url of left) await fx.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
  });
});
