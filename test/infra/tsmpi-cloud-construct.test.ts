import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CreateStackCommand, DeleteStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateQueueCommand, ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CfnOutput, Duration, Lazy, NestedStack, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AccountPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKET_PREFIXES, OPTIONAL_STACK_OUTPUTS, STACK_OUTPUTS } from '../../infra/stack-outputs.js';
import { RANK_QUEUE_ACTIONS, TsmpiCloud } from '../../infra/tsmpi-cloud-construct.js';
import { defaultQueuePrefix, TsmpiCloudPropsError } from '../../infra/tsmpi-cloud-props.js';
import type { TsmpiCloudStack } from '../../infra/tsmpi-cloud-stack.js';
import { JOB_QUEUES_RESOURCE } from '../../sdk/base/stack-contract.js';
import { CFN_LINT_SKIP_REASON, cfnLint } from '../helpers/cfn-lint.js';
import { type Fauxqs, startFauxqs } from '../helpers/fauxqs.js';
import { MOTO_SKIP_REASON, startMotoCloudFormation } from '../helpers/moto.js';
import { type ResponseUrlServer, startResponseUrlServer } from '../helpers/response-url-server.js';
import { testApp } from '../helpers/test-app.js';
import {
  asArray,
  cdkJsonContext,
  FIXTURE_RANK_ENTRY,
  flatten,
  policyStatements,
  synthTsmpiStack,
  wildcardResourceGrants,
} from './infra-helpers.js';

const STACK = 'TsmpiTest';
const PREFIX = defaultQueuePrefix(STACK);
const QUEUE_ARNS = `arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:${PREFIX}-*`;

let stack: TsmpiCloudStack;
let template: Template;
let assemblyDir: string;

beforeAll(() => {
  const synth = synthTsmpiStack(STACK);
  stack = synth.stack;
  template = synth.template;
  assemblyDir = synth.app.synth().directory;
});

function onlyResource(type: string, props: Record<string, unknown> = {}): [string, any] {
  const found = Object.entries(template.findResources(type, { Properties: props }));
  expect(found, `exactly one ${type} matching ${JSON.stringify(props)}`).toHaveLength(1);
  return found[0] as [string, any];
}

describe('rank function', () => {
  it('runs Node.js 24 on arm64 with one vCPU (1769 MB) and the 15-minute timeout by default', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: `${PREFIX}-rank`,
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 1769,
      Timeout: 900,
      Handler: 'index.handler',
    });
  });

  it('gets the queue prefix, bucket, stack name and source maps through its environment', () => {
    const [, fn] = onlyResource('AWS::Lambda::Function', { FunctionName: `${PREFIX}-rank` });
    const [bucketId] = onlyResource('AWS::S3::Bucket');
    expect(fn.Properties.Environment.Variables).toEqual({
      TSMPI_QUEUE_PREFIX: PREFIX,
      TSMPI_BUCKET: { Ref: bucketId },
      TSMPI_STACK: STACK,
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('has no reserved concurrency by default, so it can use the whole account pool', () => {
    const [, fn] = onlyResource('AWS::Lambda::Function', { FunctionName: `${PREFIX}-rank` });
    expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('is invoked asynchronously with no retries and a 60 s maximum event age', () => {
    const [fnId] = onlyResource('AWS::Lambda::Function', { FunctionName: `${PREFIX}-rank` });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it('logs to its own log group kept one week', () => {
    const [, fn] = onlyResource('AWS::Lambda::Function', { FunctionName: `${PREFIX}-rank` });
    const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref as string;
    expect(template.toJSON().Resources[logGroupId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 7 },
      DeletionPolicy: 'Delete',
    });
  });

  it('is bundled locally by esbuild as a minified ES module that defines require, with a source map', () => {
    const [, fn] = onlyResource('AWS::Lambda::Function', { FunctionName: `${PREFIX}-rank` });
    const hash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
    const dir = join(assemblyDir, `asset.${hash}`);
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    expect(code.startsWith("import { createRequire as __tsmpiCreateRequire } from 'node:module';")).toBe(
      true,
    );
    expect(code).toMatch(/export\s*\{/);
    expect(code).not.toContain('\n  '); // minified: no indented lines
    expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
  });
});

describe('bucket', () => {
  it('is encrypted with S3-managed keys and blocks all public access', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  it('denies every request not made over TLS 1.2 or later', () => {
    const [bucketId] = onlyResource('AWS::S3::Bucket');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
          }),
        ]),
      },
    });
  });

  it('expires job code after two days and payloads after one', () => {
    const [, bucket] = onlyResource('AWS::S3::Bucket');
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({ Prefix: BUCKET_PREFIXES.jobs, ExpirationInDays: 2, Status: 'Enabled' }),
      expect.objectContaining({ Prefix: BUCKET_PREFIXES.payloads, ExpirationInDays: 1, Status: 'Enabled' }),
    ]);
  });

  it('is emptied and deleted with the stack by default (scratch storage)', () => {
    const [, bucket] = onlyResource('AWS::S3::Bucket');
    expect(bucket.DeletionPolicy).toBe('Delete');
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
  });

  it('has no server access logs unless a log bucket is given', () => {
    const [, bucket] = onlyResource('AWS::S3::Bucket');
    expect(bucket.Properties.LoggingConfiguration).toBeUndefined();
  });
});

describe('IAM', () => {
  it('grants no queue, object or invoke action on Resource "*"', () => {
    expect(wildcardResourceGrants(template)).toEqual([]);
  });

  it('allows only sqs:ListQueues on "*" (AWS offers no narrower resource for it)', () => {
    const onStar = policyStatements(template).filter(({ statement }) =>
      asArray(statement.Resource).includes('*'),
    );
    expect(onStar.map(({ statement }) => statement.Action)).toEqual(['sqs:ListQueues']);
  });

  it("scopes every other SQS action to the stack's queue-name prefix", () => {
    const sqs = policyStatements(template).filter(({ statement }) =>
      asArray(statement.Action).some((a) => String(a).startsWith('sqs:') && a !== 'sqs:ListQueues'),
    );
    expect(sqs).toHaveLength(2); // the rank's and the sweeper's
    for (const { statement } of sqs) {
      expect(asArray(statement.Resource).map(flatten)).toEqual([QUEUE_ARNS]);
    }
  });

  it('gives the rank exactly the queue actions it needs', () => {
    const rank = policyStatements(template).find(({ statement }) => statement.Sid === 'JobQueues');
    expect(asArray(rank?.statement.Action).sort()).toEqual([...RANK_QUEUE_ACTIONS].sort());
  });

  it("confines object access to the bucket's jobs/ and payloads/ prefixes, writes to payloads/ only", () => {
    const [bucketId] = onlyResource('AWS::S3::Bucket');
    const s3 = policyStatements(template).filter(({ statement }) =>
      asArray(statement.Action).some((a) => String(a).startsWith('s3:')),
    );
    const byAction = new Map<string, string[]>();
    for (const { statement } of s3) {
      for (const action of asArray(statement.Action)) {
        byAction.set(String(action), asArray(statement.Resource).map(flatten));
      }
    }
    expect(Object.fromEntries(byAction)).toEqual({
      's3:GetObject': [`<${bucketId}.Arn>/jobs/*`, `<${bucketId}.Arn>/payloads/*`],
      's3:PutObject': [`<${bucketId}.Arn>/payloads/*`],
      's3:DeleteObject': [`<${bucketId}.Arn>/payloads/*`],
    });
  });

  it('lets ranks invoke only the rank function itself', () => {
    const invoke = policyStatements(template).filter(({ statement }) =>
      asArray(statement.Action).some((a) => String(a).startsWith('lambda:')),
    );
    expect(invoke).toHaveLength(1);
    expect(invoke[0]?.statement.Action).toBe('lambda:InvokeFunction');
    expect(asArray(invoke[0]?.statement.Resource).map(flatten)).toEqual([
      `arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:${PREFIX}-rank`,
    ]);
  });

  it('uses its own roles with inline policies only (no managed policies)', () => {
    const roles = template.findResources('AWS::IAM::Role');
    const ours = Object.entries(roles).filter(([id]) => id.startsWith('Tsmpi'));
    expect(ours).toHaveLength(2);
    for (const [, role] of ours) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('writes logs only to the function log groups', () => {
    const logs = policyStatements(template).filter(({ statement }) =>
      asArray(statement.Action).some((a) => String(a).startsWith('logs:')),
    );
    const logGroups = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    expect(logs.map(({ statement }) => flatten(statement.Resource)).sort()).toEqual(
      logGroups.map((id) => `<${id}.Arn>`).sort(),
    );
  });
});

describe('sweeper', () => {
  it('deletes every job queue of the prefix when the stack is deleted: a custom resource the sweeper serves', () => {
    const [fnId, fn] = onlyResource('AWS::Lambda::Function', { FunctionName: `${PREFIX}-sweeper` });
    const [id, resource] = onlyResource(JOB_QUEUES_RESOURCE.type);
    expect(resource.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [fnId, 'Arn'] },
      ServiceTimeout: '360',
      [JOB_QUEUES_RESOURCE.prefixProperty]: PREFIX,
    });
    expect(resource.DeletionPolicy).toBe('Delete');
    // Its id carries the prefix (a ServiceToken cannot be updated: a new prefix is a new resource).
    expect(id).toMatch(new RegExp(`^TsmpiJobQueues${PREFIX.replace(/-/g, '')}`));
    // Deleted before what the sweeper needs to delete queues: its role's policy and log group.
    const policyId = Object.keys(template.findResources('AWS::IAM::Policy')).find((p) =>
      p.startsWith(String(fn.Properties.Role['Fn::GetAtt'][0]).replace(/[A-F0-9]{8}$/, '')),
    );
    expect(policyId).toBeDefined();
    // It reads its own stack's status (and only that) before it sweeps.
    const describe = policyStatements(template).filter(
      ({ statement }) => statement.Sid === 'ReadOwnStackStatus',
    );
    expect(describe.map(({ statement }) => [statement.Action, flatten(statement.Resource)])).toEqual([
      ['cloudformation:DescribeStacks', '<AWS::StackId>'],
    ]);
    // The rank functions and their role go first: a rank still starting would make a claim queue.
    const ranks = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([, f]) =>
      String(f.Properties.FunctionName).startsWith(`${PREFIX}-rank`),
    );
    expect(ranks.length).toBeGreaterThan(0);
    for (const [rankId, rank] of ranks) expect(asArray(rank.DependsOn), rankId).toContain(id);
    const [rankRoleId, rankRole] = onlyResource('AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('^tsmpi-cloud ranks'),
    });
    expect(asArray(rankRole.DependsOn), rankRoleId).toContain(id);
    expect(resource.DependsOn).toEqual(
      expect.arrayContaining([
        policyId,
        fn.Properties.Role['Fn::GetAtt'][0],
        fn.Properties.LoggingConfig.LogGroup.Ref,
      ]),
    );
  });

  it('runs every 15 minutes on Node.js 24 arm64 with the queue prefix and the 2-hour maximum job age', () => {
    const [fnId, fn] = onlyResource('AWS::Lambda::Function', { FunctionName: `${PREFIX}-sweeper` });
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: { Variables: { TSMPI_QUEUE_PREFIX: PREFIX, TSMPI_MAX_JOB_AGE_SECONDS: '7200' } },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
  });

  it('logs to its own log group kept one week', () => {
    const [, fn] = onlyResource('AWS::Lambda::Function', { FunctionName: `${PREFIX}-sweeper` });
    const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref as string;
    expect(template.toJSON().Resources[logGroupId].Properties).toEqual({ RetentionInDays: 7 });
  });
});

/**
 * Runs the sweeper's bundle (index.mjs) as Lambda loads it, in its own process with exactly the
 * function's environment variables plus `env`, running `lines` after `handler` is imported;
 * resolves with what it printed.
 */
async function runSweeperBundle(lines: string[], env: Record<string, string | undefined>): Promise<string> {
  const [, fn] = onlyResource('AWS::Lambda::Function', { FunctionName: `${PREFIX}-sweeper` });
  const bundle = join(
    assemblyDir,
    `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`,
    'index.mjs',
  );
  const script = [
    // fauxqs names queues http://sqs.<region>.localhost:<port>/..., and the SDK sends each call
    // to its queue URL's host; glibc does not resolve *.localhost, so this test maps it.
    `import dns from 'node:dns'; const lookup = dns.lookup;`,
    `dns.lookup = (host, ...rest) => lookup(host.endsWith('.localhost') ? '127.0.0.1' : host, ...rest);`,
    `const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});`,
    ...lines,
  ].join('\n');
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      ...fn.Properties.Environment.Variables,
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      ...env,
    },
  });
  return stdout;
}

const queueNamesOf = async (sqs: SQSClient) =>
  ((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? [])
    .map((u) => u.slice(u.lastIndexOf('/') + 1))
    .sort();

describe('sweeper bundle', () => {
  // A real SQS-compatible server, on the loopback interface only.
  let fauxqs: Fauxqs;
  beforeAll(async () => {
    fauxqs = await startFauxqs();
  });
  afterAll(() => fauxqs?.stop());

  it('loads as Lambda loads it (index.mjs, the deployed environment) and deletes stale job queues', async () => {
    await fauxqs.sqs.send(new CreateQueueCommand({ QueueName: `${PREFIX}-job1-0` }));
    await fauxqs.sqs.send(new CreateQueueCommand({ QueueName: 'unrelated-queue' }));
    // Its clock is moved past the maximum job age so the fresh queue counts as leaked.
    const stdout = await runSweeperBundle(
      [
        `const realNow = Date.now; Date.now = () => realNow() + 7201 * 1000;`,
        `process.stdout.write(JSON.stringify(await handler({}, {})));`,
      ],
      { AWS_ENDPOINT_URL_SQS: fauxqs.endpoint },
    );
    const report = JSON.parse(stdout.slice(stdout.lastIndexOf('\n') + 1));
    expect(report).toMatchObject({ scanned: 1, deleted: [{ queue: `${PREFIX}-job1-0` }], failed: [] });
    expect(await queueNamesOf(fauxqs.sqs)).toEqual(['unrelated-queue']);
  });
});

describe('sweeper bundle, serving the job-queues resource', () => {
  // SQS on fauxqs; the stack whose status the sweeper reads on moto_server (CloudFormation).
  let fauxqs: Fauxqs;
  let urls: ResponseUrlServer;
  let moto: Awaited<ReturnType<typeof startMotoCloudFormation>> | undefined;

  beforeAll(async () => {
    fauxqs = await startFauxqs();
    urls = await startResponseUrlServer();
    if (MOTO_SKIP_REASON === undefined) moto = await startMotoCloudFormation();
  }, 60_000);
  afterAll(async () => {
    await fauxqs?.stop();
    await urls?.close();
    await moto?.stop();
  });

  /** Runs the bundled handler on `event`, as CloudFormation's invocation would. */
  async function runBundle(event: Record<string, unknown>): Promise<void> {
    await runSweeperBundle(
      [
        `const event = ${JSON.stringify(event)};`,
        `process.stdout.write(JSON.stringify(await handler(event, { getRemainingTimeInMillis: () => 300000 })));`,
      ],
      { AWS_ENDPOINT_URL_SQS: fauxqs.endpoint, AWS_ENDPOINT_URL_CLOUDFORMATION: moto?.endpoint },
    );
  }

  /** A stack on moto, deleted or not, and a Delete request for the resource from it. */
  async function deleteRequest(path: string, stackName: string, deleted: boolean) {
    const template = JSON.stringify({
      Resources: { Q: { Type: 'AWS::SQS::Queue', Properties: { QueueName: `${stackName}-q` } } },
    });
    const cfn = moto!.cfn;
    const { StackId } = await cfn.send(
      new CreateStackCommand({ StackName: stackName, TemplateBody: template }),
    );
    if (deleted) await cfn.send(new DeleteStackCommand({ StackName: StackId! }));
    const [logicalId, resource] = onlyResource(JOB_QUEUES_RESOURCE.type);
    return {
      RequestType: 'Delete',
      ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:x',
      ResponseURL: urls.url(path),
      StackId: StackId!,
      RequestId: `r-${path}`,
      LogicalResourceId: logicalId,
      PhysicalResourceId: `${PREFIX}-job-queues`,
      ResourceType: JOB_QUEUES_RESOURCE.type,
      ResourceProperties: resource.Properties,
    };
  }
  const queueNames = () => queueNamesOf(fauxqs.sqs);

  it('answers the Delete of a deleted stack on its pre-signed URL after deleting every job queue of the prefix', async (ctx) => {
    if (MOTO_SKIP_REASON !== undefined) ctx.skip(MOTO_SKIP_REASON);
    // Fresh queues: the scheduled sweep would keep them; the stack's deletion must not.
    for (const q of [`${PREFIX}-job2-0`, `${PREFIX}-job2-ctl`, 'unrelated-queue-2']) {
      await fauxqs.sqs.send(new CreateQueueCommand({ QueueName: q }));
    }
    await runBundle(await deleteRequest('bundle-delete', 'Gone', true));
    expect(urls.answers.filter((a) => a.path === '/bundle-delete')).toEqual([
      {
        path: '/bundle-delete',
        body: expect.objectContaining({
          Status: 'SUCCESS',
          RequestId: 'r-bundle-delete',
          Data: { Deleted: 2 },
        }),
      },
    ]);
    expect(await queueNames()).toEqual(['unrelated-queue-2']);
  });

  it('keeps the queues when the stack stays (an update that added the resource rolled back)', async (ctx) => {
    if (MOTO_SKIP_REASON !== undefined) ctx.skip(MOTO_SKIP_REASON);
    await fauxqs.sqs.send(new CreateQueueCommand({ QueueName: `${PREFIX}-job3-0` }));
    await runBundle(await deleteRequest('bundle-live', 'Live', false));
    expect(urls.answers.find((a) => a.path === '/bundle-live')?.body).toMatchObject({ Status: 'SUCCESS' });
    expect(await queueNames()).toContain(`${PREFIX}-job3-0`);
  });
});

describe('outputs', () => {
  it('has the six outputs the CLI reads, under fixed keys and not exported', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Export?: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(Object.values(STACK_OUTPUTS).sort());
    for (const output of Object.values(outputs)) expect(output.Export).toBeUndefined();
    const [fnId] = onlyResource('AWS::Lambda::Function', { FunctionName: `${PREFIX}-rank` });
    const [bucketId] = onlyResource('AWS::S3::Bucket');
    expect(outputs.RankFunctionName?.Value).toEqual({ Ref: fnId });
    expect(outputs.RankFunctionArn?.Value).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    expect(outputs.BucketName?.Value).toEqual({ Ref: bucketId });
    expect(outputs.QueuePrefix?.Value).toBe(PREFIX);
    expect(outputs.Region?.Value).toEqual({ Ref: 'AWS::Region' });
    expect(outputs.StackName?.Value).toBe(STACK);
  });
});

describe('construct', () => {
  it("names the app's own output that takes one of its fixed output keys, whether made before or after it", () => {
    for (const userFirst of [true, false]) {
      const app = testApp({ context: cdkJsonContext() });
      const mine = new Stack(app, 'MyApp');
      const site = new Bucket(mine, 'Site');
      const own = () => new CfnOutput(mine, 'BucketName', { value: site.bucketName });
      if (userFirst) own();
      new TsmpiCloud(mine, 'Tsmpi', { rankEntry: FIXTURE_RANK_ENTRY });
      if (!userFirst) own();
      expect(() => app.synth()).toThrow(
        /Output BucketName of MyApp\/BucketName has the key of a TsmpiCloud output \(RankFunctionName, .*\), which the tsmpi-cloud CLI reads under fixed keys: give your output another id/,
      );
    }
  });

  it('exposes what it created', () => {
    const tsmpi = stack.tsmpi;
    expect(tsmpi.queuePrefix).toBe(PREFIX);
    expect(tsmpi.rankFunctionName).toBe(`${PREFIX}-rank`);
    expect(tsmpi.settings).toMatchObject({ memorySize: 1769, logRetention: RetentionDays.ONE_WEEK });
    expect(tsmpi.settings.timeout.toMinutes()).toBe(15);
    expect(tsmpi.settings.maxJobAge.toHours()).toBe(2);
    expect(tsmpi.settings.rankEntry).toBe(FIXTURE_RANK_ENTRY);
    for (const resource of [tsmpi.rankFunction, tsmpi.bucket, tsmpi.sweeperFunction, tsmpi.sweeperSchedule]) {
      expect(resource.node.scope).toBe(tsmpi);
    }
  });

  it('refuses a second TsmpiCloud in the same stack, whose outputs would collide', () => {
    let n = 0;
    const again = () => new TsmpiCloud(stack, `Again${n++}`, { rankEntry: FIXTURE_RANK_ENTRY });
    expect(again).toThrow(/already has a TsmpiCloud \(TsmpiTest\/Tsmpi\)/);
    // The same error class as every other refusal of the construct's configuration.
    expect(again).toThrow(TsmpiCloudPropsError);
  });

  it('takes one in a stack and one in its nested stack, whichever comes first (each has its own outputs)', () => {
    for (const nestedFirst of [true, false]) {
      const app = testApp({ context: cdkJsonContext() });
      const parent = new Stack(app, 'Parent');
      const inParent = () => new TsmpiCloud(parent, 'Tsmpi', { rankEntry: FIXTURE_RANK_ENTRY });
      const inNested = () =>
        new TsmpiCloud(new NestedStack(parent, 'Child'), 'Tsmpi', { rankEntry: FIXTURE_RANK_ENTRY });
      const made = nestedFirst ? [inNested(), inParent()] : [inParent(), inNested()];
      expect(made.map((t) => t.node.path).sort()).toEqual(['Parent/Child/Tsmpi', 'Parent/Tsmpi']);
    }
  });

  it('refuses, in another stack of the same account and region, a queue prefix that overlaps one already used', () => {
    const app = testApp({ context: cdkJsonContext() });
    const make = (id: string, queuePrefix: string, region?: string) =>
      new TsmpiCloud(new Stack(app, id, region === undefined ? {} : { env: { region } }), 'Tsmpi', {
        rankEntry: FIXTURE_RANK_ENTRY,
        queuePrefix,
      });
    make('Dev', 'hpc');
    expect(() => make('Prod', 'hpc')).toThrow(
      /`queuePrefix` `hpc` of Prod\/Tsmpi overlaps `hpc` of Dev\/Tsmpi, in the same account and region/,
    );
    expect(() => make('Prod2', 'hpc-prod')).toThrow(
      /`hpc-prod` of Prod2\/Tsmpi overlaps `hpc` of Dev\/Tsmpi/,
    );
    expect(make('Other', 'hpcx').queuePrefix).toBe('hpcx');
    expect(make('Elsewhere', 'hpc', 'eu-west-1').queuePrefix).toBe('hpc');
  });

  it('derives the queue prefix of a nested stack from names known at synth, not from the token of its own name', () => {
    function nestedPrefixes(tokensBefore: number): string[] {
      const app = testApp({ context: cdkJsonContext() });
      const parent = new Stack(app, 'Parent');
      // Unrelated tokens made earlier shift the text of every later token (the nested stack's name).
      for (let i = 0; i < tokensBefore; i++) Lazy.string({ produce: () => 'x' });
      return ['Inner', 'Other'].map(
        (id) =>
          new TsmpiCloud(new NestedStack(parent, id), 'Tsmpi', { rankEntry: FIXTURE_RANK_ENTRY }).queuePrefix,
      );
    }
    const prefixes = nestedPrefixes(0);
    expect(nestedPrefixes(3)).toEqual(prefixes);
    expect(prefixes[0]).toBe(defaultQueuePrefix('Parent/Inner'));
    expect(prefixes[1]).not.toBe(prefixes[0]);
  });

  it('derives a short, stable, lowercase queue prefix from the stack name', () => {
    expect(defaultQueuePrefix('TsmpiCloud')).toMatch(/^tsmpi-[0-9a-f]{8}$/);
    expect(defaultQueuePrefix('TsmpiCloud')).toBe(defaultQueuePrefix('TsmpiCloud'));
    expect(defaultQueuePrefix('TsmpiCloud')).not.toBe(defaultQueuePrefix('TsmpiCloud2'));
  });
});

describe('with every prop set', () => {
  let custom: Template;

  beforeAll(() => {
    custom = synthTsmpiStack('Custom', {
      tsmpi: {
        queuePrefix: 'hpc-prod',
        memorySize: 3538,
        timeout: Duration.minutes(5),
        maxJobAge: Duration.minutes(30),
        logRetention: RetentionDays.ONE_MONTH,
        reservedConcurrentExecutions: 200,
        removalPolicy: RemovalPolicy.RETAIN,
      },
    }).template;
  });

  it('passes memory, timeout, reserved concurrency and the prefix to the rank function', () => {
    custom.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'hpc-prod-rank',
      MemorySize: 3538,
      Timeout: 300,
      ReservedConcurrentExecutions: 200,
      Environment: { Variables: Match.objectLike({ TSMPI_QUEUE_PREFIX: 'hpc-prod' }) },
    });
  });

  it('passes the maximum job age to the sweeper and the retention to both log groups', () => {
    custom.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'hpc-prod-sweeper',
      Environment: { Variables: Match.objectLike({ TSMPI_MAX_JOB_AGE_SECONDS: '1800' }) },
    });
    const groups = Object.values(custom.findResources('AWS::Logs::LogGroup'));
    expect(groups.map((g) => g.Properties.RetentionInDays)).toEqual([30, 30]);
    expect(groups.map((g) => g.DeletionPolicy)).toEqual(['Retain', 'Retain']);
  });

  it('keeps the bucket and its objects with RemovalPolicy.RETAIN', () => {
    const buckets = Object.values(custom.findResources('AWS::S3::Bucket'));
    expect(buckets.map((b) => b.DeletionPolicy)).toEqual(['Retain']);
    custom.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    // Job queues only serve running jobs: they go with the stack whatever the policy.
    custom.resourceCountIs(JOB_QUEUES_RESOURCE.type, 1);
  });

  it('scopes IAM to the custom prefix', () => {
    const scoped = policyStatements(custom).filter(({ statement }) =>
      ['JobQueues', 'DeleteStaleJobQueues', 'InvokeRanks'].includes(String(statement.Sid)),
    );
    expect(scoped.map(({ statement }) => flatten(statement.Resource)).sort()).toEqual([
      'arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:hpc-prod-rank',
      'arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:hpc-prod-*',
      'arn:<AWS::Partition>:sqs:<AWS::Region>:<AWS::AccountId>:hpc-prod-*',
    ]);
  });

  it('sends server access logs to the given bucket under <queuePrefix>/', () => {
    const app = testApp({ context: cdkJsonContext() });
    const withLogs = new Stack(app, 'AccessLogs');
    const logs = new Bucket(withLogs, 'Logs');
    new TsmpiCloud(withLogs, 'Tsmpi', { rankEntry: FIXTURE_RANK_ENTRY, accessLogsBucket: logs });
    const t = Template.fromStack(withLogs);
    const logsId = withLogs.resolve(withLogs.getLogicalId(logs.node.defaultChild as CfnBucket));
    t.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: {
        DestinationBucketName: { Ref: logsId },
        LogFilePrefix: `${defaultQueuePrefix('AccessLogs')}/`,
      },
    });
  });
});

describe('rankFunctionCopies', () => {
  const fnArn = (name: string) =>
    `arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:${name}`;
  let copies: Template;
  let copiesStack: TsmpiCloudStack;

  beforeAll(() => {
    const synth = synthTsmpiStack('Copies', {
      tsmpi: { queuePrefix: 'hpc-cp', rankFunctionCopies: 3, reservedConcurrentExecutions: 100 },
    });
    copies = synth.template;
    copiesStack = synth.stack;
  });

  it('deploys that many identical rank functions, named <prefix>-rank, -rank-1, -rank-2, splitting the reservation', () => {
    const fns = Object.entries(copies.findResources('AWS::Lambda::Function')).filter(([, f]) =>
      String(f.Properties.FunctionName).startsWith('hpc-cp-rank'),
    );
    expect(fns.map(([, f]) => f.Properties.FunctionName).sort()).toEqual([
      'hpc-cp-rank',
      'hpc-cp-rank-1',
      'hpc-cp-rank-2',
    ]);
    const strip = (f: any) => {
      const { FunctionName: _name, ...rest } = f.Properties;
      return { ...rest, DependsOn: f.DependsOn };
    };
    const first = strip(fns[0]![1]);
    expect(first.ReservedConcurrentExecutions).toBe(33);
    for (const [, f] of fns) expect(strip(f)).toEqual(first);
    expect(copiesStack.tsmpi.rankFunctions).toHaveLength(3);
    expect(copiesStack.tsmpi.rankFunction).toBe(copiesStack.tsmpi.rankFunctions[0]);
    expect(copiesStack.tsmpi.rankFunctionNames).toEqual(['hpc-cp-rank', 'hpc-cp-rank-1', 'hpc-cp-rank-2']);
  });

  it('keeps RankFunctionName (copy 0) and adds RankFunctionNames listing every copy', () => {
    const outputs = copies.toJSON().Outputs as Record<string, { Value: unknown; Export?: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(
      [...Object.values(STACK_OUTPUTS), OPTIONAL_STACK_OUTPUTS.rankFunctionNames].sort(),
    );
    const fns = copies.findResources('AWS::Lambda::Function', {
      Properties: { FunctionName: 'hpc-cp-rank' },
    });
    expect(outputs.RankFunctionName?.Value).toEqual({ Ref: Object.keys(fns)[0] });
    expect(outputs.RankFunctionNames?.Value).toBe('hpc-cp-rank,hpc-cp-rank-1,hpc-cp-rank-2');
    expect(outputs.RankFunctionNames?.Export).toBeUndefined();
  });

  it('lets the ranks (tree heads) invoke every copy, and nothing else', () => {
    const invoke = policyStatements(copies).filter(({ statement }) => statement.Sid === 'InvokeRanks');
    expect(invoke).toHaveLength(1);
    expect(asArray(invoke[0]?.statement.Resource).map(flatten)).toEqual([
      fnArn('hpc-cp-rank'),
      fnArn('hpc-cp-rank-1'),
      fnArn('hpc-cp-rank-2'),
    ]);
  });

  it('grantLaunch lets a launcher invoke every copy, and read the settings of copy 0 only', () => {
    const app = testApp({ context: cdkJsonContext() });
    const s = new Stack(app, 'CopiesLaunch');
    const tsmpi = new TsmpiCloud(s, 'Tsmpi', { rankEntry: FIXTURE_RANK_ENTRY, rankFunctionCopies: 2 });
    const role = new Role(s, 'Launcher', { assumedBy: new AccountPrincipal('123456789012') });
    tsmpi.grantLaunch(role);
    const t = Template.fromStack(s);
    const ids = tsmpi.rankFunctions.map((f) => s.resolve(s.getLogicalId(f.node.defaultChild as CfnFunction)));
    const launcher = policyStatements(t).filter(({ resource }) => resource.startsWith('LauncherTsmpiLaunch'));
    const byAction = new Map<string, string[]>();
    for (const { statement } of launcher) {
      for (const action of asArray(statement.Action).filter((a) => String(a).startsWith('lambda:'))) {
        byAction.set(String(action), [
          ...(byAction.get(String(action)) ?? []),
          ...asArray(statement.Resource).map(flatten),
        ]);
      }
    }
    expect(byAction.get('lambda:InvokeFunction')).toEqual(ids.map((id) => `<${id}.Arn>`));
    expect(byAction.get('lambda:GetFunctionConcurrency')).toEqual([`<${ids[0]}.Arn>`]);
    expect(byAction.get('lambda:GetFunctionConfiguration')).toEqual([`<${ids[0]}.Arn>`]);
    // S3, by action and prefix, as the launcher uses it: ships job code under jobs/ (HeadObject
    // first, which needs s3:GetObject), reads reports and deletes leftovers under payloads/.
    const bucket = s.resolve(s.getLogicalId(tsmpi.bucket.node.defaultChild as CfnBucket));
    const s3Pairs = launcher.flatMap(({ statement }) =>
      asArray(statement.Action)
        .filter((a) => String(a).startsWith('s3:') && String(a) !== 's3:ListBucket')
        .flatMap((a) => asArray(statement.Resource).map((r) => `${String(a)} ${flatten(r)}`)),
    );
    expect(s3Pairs.sort()).toEqual(
      [
        `s3:GetObject <${bucket}.Arn>/jobs/*`,
        `s3:PutObject <${bucket}.Arn>/jobs/*`,
        `s3:GetObject <${bucket}.Arn>/payloads/*`,
        `s3:DeleteObject <${bucket}.Arn>/payloads/*`,
      ].sort(),
    );
  });

  it('is cdk-nag clean', () => {
    expect(new AwsSolutionsChecks().validateScope(copiesStack).violations).toEqual([]);
  });

  it('writes a template cfn-lint accepts', async (ctx) => {
    if (CFN_LINT_SKIP_REASON !== undefined) ctx.skip(CFN_LINT_SKIP_REASON);
    const file = join(mkdtempSync(join(tmpdir(), 'tsmpi-copies-')), 'Copies.template.json');
    writeFileSync(file, JSON.stringify(copies.toJSON()));
    expect(await cfnLint([file])).toEqual([]);
  });

  it('with the default of 1, synthesizes exactly the template without the prop', () => {
    const one = synthTsmpiStack(STACK, { tsmpi: { rankFunctionCopies: 1 } }).template;
    expect(one.toJSON()).toEqual(template.toJSON());
  });
});
