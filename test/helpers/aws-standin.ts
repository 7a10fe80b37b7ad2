/**
 * TEST-ONLY: a "deployed stack" built from the synthesized template, behaving like AWS where the
 * tests can tell: an SQS/S3 emulator (fauxqs or moto_server) behind the AWS rules layer with IAM
 * (`aws-rules-proxy.ts`, `iam-authorizer.ts`), and the rank function run by the Lambda stand-in
 * (`lambda-service.ts`: Node 24 + aws-lambda-ric). The launcher, the rank function and the
 * sweeper sign with distinct credentials; every call is evaluated against the synthesized policy
 * of its role.
 *
 * Needs Node 24 (`TSMPI_OTHER_NODE`, installed by .ci/run) and a built aws-lambda-ric
 * (`TSMPI_LAMBDA_RIC`, built by .ci/run); `LAMBDA_STANDIN_SKIP_REASON` says why tests skip
 * where either is missing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { STACK_OUTPUTS } from '../../infra/stack-outputs.js';
import { createSqsClients } from '../../sdk/transport/sqs/clients.js';
import { type AwsRules, type AwsRulesProxy, startAwsRulesProxy } from './aws-rules-proxy.js';
import { startFauxqs } from './fauxqs.js';
import { createIamAuthorizer, type IamAuthorizer } from './iam-authorizer.js';
import {
  type LambdaService,
  type LambdaServiceOptions,
  runtimeMajor,
  startLambdaService,
} from './lambda-service.js';
import { startMoto } from './moto.js';
import { OTHER_NODE } from './other-node.js';
import { REGION, type SynthesizedStack, synthesizeStack } from './synthesized-stack.js';

const DEFAULT_RIC = join(tmpdir(), 'tsmpi-lambda-ric/node_modules/aws-lambda-ric');

export const NODE24 = OTHER_NODE;
export const LAMBDA_RIC = process.env.TSMPI_LAMBDA_RIC ?? DEFAULT_RIC;

function nodeMajor(bin: string): number | undefined {
  try {
    return Number(
      execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '').split('.')[0],
    );
  } catch {
    return undefined;
  }
}

/** Why the Lambda stand-in cannot run here, or undefined. */
export const LAMBDA_STANDIN_SKIP_REASON: string | undefined = (() => {
  if (nodeMajor(NODE24) !== 24) {
    return `no Node 24 at ${NODE24} (set TSMPI_OTHER_NODE; .ci/run installs node@24 from npm): the Lambda stand-in tests are skipped`;
  }
  if (!existsSync(join(LAMBDA_RIC, 'rapid-client.node'))) {
    return `no built aws-lambda-ric at ${LAMBDA_RIC} (set TSMPI_LAMBDA_RIC; .ci/run builds it, needs cmake and g++): the Lambda stand-in tests are skipped`;
  }
  return undefined;
})();

export type Emulator = 'fauxqs' | 'moto';

export interface AwsStandin {
  emulator: Emulator;
  synth: SynthesizedStack;
  iam: IamAuthorizer;
  proxy: AwsRulesProxy;
  lambda: LambdaService;
  /** A `cdk deploy --outputs-file` file describing the stack. */
  outputsFile: string;
  /** Every SQS, S3 and Lambda call made to the stand-ins, in order, as IAM evaluated it. */
  readonly requests: readonly { accessKeyId: string | undefined; action: string; resource: string }[];
  /** The launcher's environment: its credentials and the Lambda endpoint. */
  launcherEnv: Record<string, string>;
  /** Queues under the stack's prefix and objects in its bucket (what a leak would leave). */
  /** Queues and objects left; job bundles (`jobs/`) stay by design, a cache for the next run. */
  leftovers(): Promise<{ queues: string[]; objects: string[] }>;
  stop(): Promise<void>;
}

export async function startAwsStandin(
  options: {
    emulator?: Emulator;
    rules?: Partial<AwsRules>;
    lambda?: Partial<
      Pick<LambdaServiceOptions, 'duplicate' | 'duplicateDelayMs' | 'concurrency' | 'retryDelaysMs'>
    >;
    /** Overrides of the function's template settings (e.g. a shorter timeout for a kill test). */
    timeoutSeconds?: number;
    /** The construct's `memorySize` (MB): in the template, so the launcher reads it as on AWS. */
    memorySize?: number;
    /** Queue prefix of the stack (two stand-ins at once need distinct ones). Default `tsmpi-sd`. */
    queuePrefix?: string;
  } = {},
): Promise<AwsStandin> {
  const emulator = options.emulator ?? 'fauxqs';
  const stackName = 'TsmpiStandin';
  const bucket = 'tsmpi-standin-bucket';
  const synth = synthesizeStack({
    stackName,
    bucket,
    props: {
      queuePrefix: options.queuePrefix ?? 'tsmpi-sd',
      ...(options.memorySize === undefined ? {} : { memorySize: options.memorySize }),
    },
  });
  if (runtimeMajor(synth.rank.runtime) !== 24)
    throw new Error(`the template's runtime is ${synth.rank.runtime}`);
  const iam = createIamAuthorizer(synth.roles);
  const requests: { accessKeyId: string | undefined; action: string; resource: string }[] = [];
  const authorize = (accessKeyId: string | undefined, action: string, resource: string) => {
    requests.push({ accessKeyId, action, resource });
    return iam.authorize(accessKeyId, action, resource);
  };
  const upstream =
    emulator === 'moto'
      ? await startMoto()
      : await startFauxqs({ bucket }).then((f) => ({ ...f, stop: f.stop }));
  const admin = createSqsClients({
    endpoint: upstream.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'admin', secretAccessKey: 'admin' },
  });
  if (emulator === 'moto') await admin.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const proxy = await startAwsRulesProxy(upstream.endpoint, {
    authorize,
    canListBucket: (key, arn) => iam.allows(key, 's3:ListBucket', arn),
    ...options.rules,
  });
  const extraEnvironment: Record<string, string> = { TSMPI_SQS_ENDPOINT: proxy.endpoint };
  const lambda = await startLambdaService({
    fn: {
      ...synth.rank,
      ...(options.timeoutSeconds === undefined ? {} : { timeoutSeconds: options.timeoutSeconds }),
      credentials: iam.credentials('rank'),
    },
    node: NODE24,
    ric: LAMBDA_RIC,
    region: REGION,
    extraEnvironment,
    authorize,
    ...options.lambda,
  });
  // The rank function's own Lambda client (fan-out tree heads) goes to the stand-in too.
  extraEnvironment.AWS_ENDPOINT_URL_LAMBDA = lambda.url;
  const dir = mkdtempSync(join(tmpdir(), 'tsmpi-standin-'));
  const outputsFile = join(dir, 'outputs.json');
  writeFileSync(
    outputsFile,
    JSON.stringify({
      [stackName]: {
        [STACK_OUTPUTS.rankFunctionName]: synth.rank.functionName,
        [STACK_OUTPUTS.rankFunctionArn]: `arn:aws:lambda:${REGION}:000000000000:function:${synth.rank.functionName}`,
        [STACK_OUTPUTS.bucketName]: bucket,
        [STACK_OUTPUTS.queuePrefix]: synth.queuePrefix,
        [STACK_OUTPUTS.region]: REGION,
        [STACK_OUTPUTS.stackName]: stackName,
      },
    }),
  );
  const launcher = iam.credentials('launcher');
  return {
    emulator,
    synth,
    iam,
    proxy,
    lambda,
    outputsFile,
    requests,
    launcherEnv: {
      AWS_ACCESS_KEY_ID: launcher.accessKeyId,
      AWS_SECRET_ACCESS_KEY: launcher.secretAccessKey,
      AWS_REGION: REGION,
      AWS_ENDPOINT_URL_LAMBDA: lambda.url,
      TSMPI_OUTPUTS_FILE: '',
    },
    async leftovers() {
      const queues = await admin.sqs.send(
        new ListQueuesCommand({ QueueNamePrefix: `${synth.queuePrefix}-` }),
      );
      const objects = await admin.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      return {
        queues: queues.QueueUrls ?? [],
        objects: (objects.Contents ?? []).map((o) => o.Key ?? '').filter((k) => !k.startsWith('jobs/')),
      };
    },
    async stop() {
      await lambda.close();
      await proxy.close();
      admin.sqs.destroy();
      admin.s3.destroy();
      await upstream.stop();
      synth.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
