/**
 * `tsmpi-cloud doctor`: checks, one line each, that `run --backend aws` can work here, and says
 * what to fix when it cannot. Exit status 0 when every check passes, 1 otherwise.
 */
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { UsageError } from '../base/errors.js';
import { type AwsClients, createAwsClients } from '../launch/lambda/aws-clients.js';
import {
  DEFAULT_STACK_NAME,
  type Deployment,
  findDeployment,
  outputsFileFrom,
} from '../launch/lambda/deployment.js';
import { readConcurrency } from '../launch/lambda/preflight.js';
import { type AwsService, explainSetupError } from '../launch/lambda/setup-error.js';

export interface DoctorOptions {
  stack?: string;
  region?: string;
  profile?: string;
  /** A `cdk deploy --outputs-file` file (default: TSMPI_OUTPUTS_FILE). */
  outputsFile?: string;
  /** SQS/S3 emulator endpoint, as for `run --endpoint`. */
  endpoint?: string;
  /** Also check that this many ranks fit the concurrency. */
  ranks?: number;
  /** Injected clients (tests). */
  clients?: AwsClients;
}

export interface DoctorCheck {
  ok: boolean;
  what: string;
  /** What to do about a failed check. */
  fix?: string;
}

/** A failed AWS call as one sentence: what failed and what to set. */
function explain(err: unknown, action: string, service: AwsService): string {
  const e = explainSetupError(err, { action, service });
  return e instanceof UsageError ? e.message : `${action}: ${e.name}: ${e.message}`;
}

/**
 * Runs the checks; returns them (for tests and `--json`), printing nothing.
 *
 * @example
 * const checks = await runDoctor({ stack: 'TsmpiCloud' });
 */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const base = {
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  };
  const discovery =
    options.clients ??
    createAwsClients({ ...base, ...(options.region === undefined ? {} : { region: options.region }) });
  let clients = discovery;
  try {
    // 1. The stack and its outputs.
    let deployment: Deployment;
    const outputsFile = outputsFileFrom(options.outputsFile);
    try {
      deployment = await findDeployment({
        cloudformation: discovery.cloudformation,
        ...(options.stack === undefined ? {} : { stackName: options.stack }),
        ...(outputsFile === undefined ? {} : { outputsFile }),
      });
      checks.push({
        ok: true,
        what:
          `stack ${deployment.stackName} found (${deployment.source === 'cloudformation' ? 'CloudFormation' : `outputs file ${outputsFile}`}, ` +
          `${deployment.region}): function ${deployment.rankFunctionName}, bucket ${deployment.bucketName}, queue prefix ${deployment.queuePrefix}`,
      });
    } catch (err) {
      const message = explain(
        err,
        `reading stack ${options.stack ?? DEFAULT_STACK_NAME} (CloudFormation DescribeStacks)`,
        'CloudFormation',
      );
      const credentials = /credentials|region/i.test(message);
      checks.push({
        ok: false,
        what: credentials ? 'AWS credentials and region' : `stack ${options.stack ?? DEFAULT_STACK_NAME}`,
        fix: message,
      });
      return checks;
    }
    if (options.clients === undefined)
      clients = createAwsClients({ ...base, region: options.region ?? deployment.region });

    // 2. Credentials (a cheap call) and concurrency, in one: GetAccountSettings.
    const lambda = clients.lambda();
    try {
      const c = await readConcurrency(lambda, deployment.rankFunctionName);
      checks.push({
        ok: true,
        what: `credentials accepted by Lambda in ${deployment.region} (GetAccountSettings)`,
      });
      const limit =
        c.reserved === undefined
          ? `the account's unreserved concurrency (${c.unreserved} of ${c.accountLimit})`
          : `the function's reserved concurrency (${c.reserved})`;
      const ranks = options.ranks;
      if (c.available < 1) {
        checks.push({
          ok: false,
          what: `concurrency: no rank can run (${limit})`,
          fix: 'request a "Concurrent executions" quota increase in Service Quotas, or remove the reservation',
        });
      } else if (ranks !== undefined && ranks > c.available) {
        checks.push({
          ok: false,
          what: `concurrency: ${ranks} ranks need ${ranks} concurrent executions; ${limit} allows ${c.available}`,
          fix: 'request a "Concurrent executions" quota increase in Service Quotas, or run fewer ranks',
        });
      } else {
        checks.push({ ok: true, what: `concurrency: up to ${c.available} ranks at once (${limit})` });
      }
    } catch (err) {
      checks.push({
        ok: false,
        what: 'AWS credentials (Lambda GetAccountSettings)',
        fix: explain(err, 'GetAccountSettings', 'Lambda'),
      });
      return checks;
    }

    // 3. The rank function.
    try {
      const f = await lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: deployment.rankFunctionName }),
      );
      checks.push({
        ok: true,
        what: `rank function ${deployment.rankFunctionName}: ${f.Runtime ?? '?'}, ${(f.Architectures ?? []).join('/')}, ${f.MemorySize ?? '?'} MB, timeout ${f.Timeout ?? '?'} s`,
      });
    } catch (err) {
      const missing = (err as Error).name === 'ResourceNotFoundException';
      checks.push({
        ok: false,
        what: `rank function ${deployment.rankFunctionName}`,
        fix: missing
          ? 'it does not exist: deploy the stack again with `npx cdk deploy`'
          : explain(err, 'GetFunctionConfiguration', 'Lambda'),
      });
    }

    // 4. Permissions on the data path: list the stack's queues, reach its bucket.
    try {
      await clients
        .sqs()
        .send(new ListQueuesCommand({ QueueNamePrefix: `${deployment.queuePrefix}-`, MaxResults: 1 }));
      checks.push({ ok: true, what: `SQS: queues ${deployment.queuePrefix}-* can be listed` });
    } catch (err) {
      checks.push({ ok: false, what: 'SQS access', fix: explain(err, 'ListQueues', 'SQS') });
    }
    try {
      await clients.s3().send(new HeadBucketCommand({ Bucket: deployment.bucketName }));
      checks.push({ ok: true, what: `S3: bucket ${deployment.bucketName} reachable` });
    } catch (err) {
      checks.push({
        ok: false,
        what: `S3 bucket ${deployment.bucketName}`,
        fix: explain(err, 'HeadBucket', 'S3'),
      });
    }
    return checks;
  } finally {
    if (options.clients === undefined) {
      clients.destroy();
      discovery.destroy();
    }
  }
}

/** Prints the checks as ✓ / ✗ lines; returns the exit status. */
export async function doctor(options: DoctorOptions, write: (s: string) => void): Promise<number> {
  const checks = await runDoctor(options);
  for (const c of checks) {
    write(`${c.ok ? '✓' : '✗'} ${c.what}\n`);
    if (!c.ok && c.fix !== undefined) write(`  → ${c.fix}\n`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  write(
    failed === 0
      ? 'All checks passed: `tsmpi-cloud run <job> --backend aws` should work.\n'
      : `${failed} check(s) failed.\n`,
  );
  return failed === 0 ? 0 : 1;
}
