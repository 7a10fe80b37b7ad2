/**
 * Test-only: a "deployed stack" without AWS — fauxqs for SQS and S3, the rank function bundle,
 * and the test Lambda endpoint running it — plus the `cdk deploy --outputs-file` JSON that
 * describes it to the launcher.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll } from 'vitest';
import { OPTIONAL_STACK_OUTPUTS, STACK_OUTPUTS } from '../../infra/stack-outputs.js';
import { type Fauxqs, startFauxqs } from './fauxqs.js';
import { buildRankBundle, type RankBundle } from './lambda-bundle.js';
import { type LambdaEndpoint, type LambdaEndpointOptions, startLambdaEndpoint } from './lambda-endpoint.js';

export interface LocalStack {
  fauxqs: Fauxqs;
  bundle: RankBundle;
  lambda: LambdaEndpoint;
  stackName: string;
  queuePrefix: string;
  functionName: string;
  /** A `cdk deploy --outputs-file` file describing this stack. */
  outputsFile: string;
  /** Every queue under the stack's prefix (what a leak would leave). */
  queuesLeft(): Promise<string[]>;
}

export const TEST_STACK = 'TsmpiLambdaTest';
export const TEST_PREFIX = 'tsmpi-lt';

/**
 * For a test file: starts fauxqs, bundles the rank function and starts the Lambda endpoint in
 * `beforeAll`; stops everything in `afterAll`.
 */
export function useLocalStack(
  options: Partial<Pick<LambdaEndpointOptions, 'timeoutMs' | 'concurrency'>> & {
    /** Copies of the rank function, as `rankFunctionCopies` deploys them (default 1). */
    copies?: number;
  } = {},
): LocalStack {
  const { copies = 1, ...endpointOptions } = options;
  let stack: LocalStack | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    const [fauxqs, bundle] = await Promise.all([
      startFauxqs({ bucket: 'tsmpi-lt-bucket' }),
      buildRankBundle(),
    ]);
    const functionName = `${TEST_PREFIX}-rank`;
    const copyNames = Array.from({ length: copies - 1 }, (_, i) => `${functionName}-${i + 1}`);
    const lambda = await startLambdaEndpoint({
      bundleUrl: bundle.url,
      functionName,
      copyNames,
      ...endpointOptions,
      environment: {
        TSMPI_QUEUE_PREFIX: TEST_PREFIX,
        TSMPI_BUCKET: fauxqs.bucket,
        TSMPI_STACK: TEST_STACK,
        TSMPI_SQS_ENDPOINT: fauxqs.endpoint,
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'tsmpi-outputs-'));
    const outputsFile = join(dir, 'outputs.json');
    writeFileSync(
      outputsFile,
      JSON.stringify({
        [TEST_STACK]: {
          [STACK_OUTPUTS.rankFunctionName]: functionName,
          [STACK_OUTPUTS.rankFunctionArn]: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
          [STACK_OUTPUTS.bucketName]: fauxqs.bucket,
          [STACK_OUTPUTS.queuePrefix]: TEST_PREFIX,
          [STACK_OUTPUTS.region]: 'us-east-1',
          [STACK_OUTPUTS.stackName]: TEST_STACK,
          ...(copies > 1
            ? { [OPTIONAL_STACK_OUTPUTS.rankFunctionNames]: [functionName, ...copyNames].join(',') }
            : {}),
        },
      }),
    );
    stack = {
      fauxqs,
      bundle,
      lambda,
      stackName: TEST_STACK,
      queuePrefix: TEST_PREFIX,
      functionName,
      outputsFile,
      async queuesLeft() {
        const res = await fauxqs.sqs.send(new ListQueuesCommand({ QueueNamePrefix: `${TEST_PREFIX}-` }));
        return res.QueueUrls ?? [];
      },
    };
  }, 120_000);
  afterAll(async () => {
    await stack?.lambda.close();
    await stack?.fauxqs.stop();
    stack?.bundle.dispose();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  const get = (): LocalStack => {
    if (stack === undefined)
      throw new Error('useLocalStack(): not started yet (read it inside a test or hook)');
    return stack;
  };
  return new Proxy({} as LocalStack, { get: (_t, key) => get()[key as keyof LocalStack] });
}

/**
 * Points `run()` at `stack` for the whole file: the Lambda endpoint through
 * AWS_ENDPOINT_URL_LAMBDA, the stack outputs through TSMPI_OUTPUTS_FILE; both restored after.
 */
export function useStackEnvironment(stack: LocalStack): void {
  const saved = { lambda: process.env.AWS_ENDPOINT_URL_LAMBDA, outputs: process.env.TSMPI_OUTPUTS_FILE };
  beforeAll(() => {
    process.env.AWS_ENDPOINT_URL_LAMBDA = stack.lambda.url;
    process.env.TSMPI_OUTPUTS_FILE = stack.outputsFile;
  });
  afterAll(() => {
    for (const [key, value] of [
      ['AWS_ENDPOINT_URL_LAMBDA', saved.lambda],
      ['TSMPI_OUTPUTS_FILE', saved.outputs],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
}
