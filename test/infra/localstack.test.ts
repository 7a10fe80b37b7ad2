/**
 * Deploys the real app to LocalStack with `cdk bootstrap` + `cdk deploy`, checks the outputs,
 * runs the deployed sweeper (which proves the ESM bundle loads on the Node.js 24 runtime) and
 * destroys the stack. Opt-in: it needs a Docker engine and `@testcontainers/localstack`
 * (not a dependency of this package: `npm install --no-save @testcontainers/localstack`).
 *
 * The image is pinned to `localstack/localstack:4.14`: later LocalStack images refuse to start
 * without a `LOCALSTACK_AUTH_TOKEN`. S3 uploads by the CDK CLI use virtual-hosted-style URLs,
 * so they go through `s3.localhost.localstack.cloud` (public DNS that resolves to 127.0.0.1).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { STACK_OUTPUTS } from '../../infra/stack-outputs.js';
import { FIXTURE_RANK_ENTRY, REPO_ROOT } from './infra-helpers.js';

const LOCALSTACK_IMAGE = 'localstack/localstack:4.14';
const TESTCONTAINERS_MODULE = '@testcontainers/localstack';
const STACK = 'TsmpiLocalstack';
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

/** The Docker API endpoint to ping: `DOCKER_HOST` when set, else the default socket. */
function dockerEndpoint(): { socketPath: string } | { host: string; port: number } | undefined {
  const dockerHost = process.env.DOCKER_HOST;
  if (dockerHost?.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  if (dockerHost?.startsWith('tcp://')) {
    const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  return existsSync('/var/run/docker.sock') ? { socketPath: '/var/run/docker.sock' } : undefined;
}

/** True when a Docker engine answers `GET /_ping` within two seconds. */
function dockerEngineReachable(): Promise<boolean> {
  const endpoint = dockerEndpoint();
  if (endpoint === undefined) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request({ ...endpoint, path: '/_ping', method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

interface StartedContainer {
  getConnectionUri(): string;
  getMappedPort(port: number): number;
  stop(): Promise<unknown>;
}
interface LocalstackModule {
  LocalstackContainer: new (
    image: string,
  ) => {
    withBindMounts(mounts: { source: string; target: string }[]): {
      start(): Promise<StartedContainer>;
    };
  };
}

/** Imported by name at run time: the package is optional and absent from this repository. */
async function loadTestcontainers(): Promise<LocalstackModule | undefined> {
  try {
    return (await import(/* @vite-ignore */ TESTCONTAINERS_MODULE)) as LocalstackModule;
  } catch {
    return undefined;
  }
}

const docker = await dockerEngineReachable();
const testcontainers = docker ? await loadTestcontainers() : undefined;
const skipReason = !docker
  ? 'no Docker engine is reachable (checked DOCKER_HOST or /var/run/docker.sock with GET /_ping)'
  : testcontainers === undefined
    ? `${TESTCONTAINERS_MODULE} is not installed (npm install --no-save ${TESTCONTAINERS_MODULE})`
    : undefined;
if (skipReason !== undefined)
  console.warn(`[infra/localstack] LocalStack deploy suite skipped: ${skipReason}`);

const run = promisify(execFile);

describe(`LocalStack deploy (${LOCALSTACK_IMAGE})`, () => {
  let container: StartedContainer | undefined;
  const outDir = mkdtempSync(join(tmpdir(), 'tsmpi-localstack-'));
  afterAll(async () => {
    await container?.stop();
    rmSync(outDir, { recursive: true, force: true });
  });

  // Skipped, with the reason printed above, where no Docker engine answers or
  // @testcontainers/localstack is not installed: these machines have neither.
  it.skipIf(skipReason !== undefined)(
    'deploys the stack with cdk, runs the deployed sweeper, and destroys the stack',
    async () => {
      const { LocalstackContainer } = testcontainers as LocalstackModule;
      // LocalStack runs Lambda functions in sibling containers, through the host's Docker socket.
      container = await new LocalstackContainer(LOCALSTACK_IMAGE)
        .withBindMounts([{ source: '/var/run/docker.sock', target: '/var/run/docker.sock' }])
        .start();
      const endpoint = container.getConnectionUri();
      const port = container.getMappedPort(4566);
      const env = {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_REGION: REGION,
        AWS_DEFAULT_REGION: REGION,
        AWS_ENDPOINT_URL: endpoint,
        AWS_ENDPOINT_URL_S3: `http://s3.localhost.localstack.cloud:${port}`,
        CDK_DISABLE_CLI_TELEMETRY: '1',
      };
      const context = ['-c', `stackName=${STACK}`];
      if (!existsSync(join(REPO_ROOT, 'functions/rank.ts')))
        context.push('-c', `rankEntry=${FIXTURE_RANK_ENTRY}`);
      const cdk = (...args: string[]) =>
        run('npx', ['--no-install', 'cdk', ...args, ...context, '--no-notices'], {
          cwd: REPO_ROOT,
          env,
          maxBuffer: 64 * 1024 * 1024,
        });

      await cdk('bootstrap', `aws://${ACCOUNT}/${REGION}`);
      const outputsFile = join(outDir, 'outputs.json');
      await cdk('deploy', STACK, '--require-approval', 'never', '--outputs-file', outputsFile);
      const outputs = JSON.parse(readFileSync(outputsFile, 'utf8'))[STACK] as Record<string, string>;
      expect(Object.keys(outputs).sort()).toEqual(Object.values(STACK_OUTPUTS).sort());
      expect(outputs.StackName).toBe(STACK);

      const clientConfig = {
        endpoint,
        region: REGION,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      };
      const lambda = new LambdaClient(clientConfig);
      const sqs = new SQSClient(clientConfig);
      const rank = await lambda.send(new GetFunctionCommand({ FunctionName: outputs.RankFunctionName }));
      expect(rank.Configuration).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 1769,
      });

      // A fresh job queue: the deployed sweeper must list it and leave it alone.
      const queue = `${outputs.QueuePrefix}-localstack-0`;
      await sqs.send(new CreateQueueCommand({ QueueName: queue }));
      const swept = await lambda.send(
        new InvokeCommand({
          FunctionName: `${outputs.QueuePrefix}-sweeper`,
          InvocationType: 'RequestResponse',
        }),
      );
      expect(swept.FunctionError, Buffer.from(swept.Payload ?? []).toString()).toBeUndefined();
      const report = JSON.parse(Buffer.from(swept.Payload ?? []).toString());
      expect(report).toMatchObject({ deleted: [], failed: [] });
      expect(report.scanned).toBeGreaterThanOrEqual(1);
      await expect(sqs.send(new GetQueueUrlCommand({ QueueName: queue }))).resolves.toBeDefined();

      await cdk('destroy', STACK, '--force');
      lambda.destroy();
      sqs.destroy();
    },
    20 * 60_000,
  );
});
