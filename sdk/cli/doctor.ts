/**
 * `tsmpi-cloud doctor`: checks, one line each, that `run --backend aws` can work here, and says
 * what to fix when it cannot. Exit status 0 when every check passes, 1 otherwise.
 */
import { GetAccountSettingsCommand, GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
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
import { defaultRanksPerNode, readConcurrency, readFunctionMemory } from '../launch/lambda/preflight.js';
import { type AwsService, explainSetupError } from '../launch/lambda/setup-error.js';
import { classifyAwsError } from '../transport/sqs/aws-error-kind.js';

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
  /**
   * Ranks per invocation for that check (`--ranks-per-node`). Default: what `run --backend aws`
   * picks, one per vCPU of the rank function's memory (`defaultRanksPerNode`).
   */
  ranksPerNode?: number;
  /** Injected clients (tests). */
  clients?: AwsClients;
}

export interface DoctorCheck {
  ok: boolean;
  what: string;
  /** What to do about a failed check. */
  fix?: string;
  /** The check could not run because an earlier one failed (it is not counted as passed). */
  skipped?: boolean;
}

/** Where the checks' calls go: named in what to fix (an emulator endpoint, a profile). */
type Setup = Pick<DoctorOptions, 'endpoint' | 'region' | 'profile'>;

/** A failed AWS call as one sentence: what failed and what to set. */
function explain(err: unknown, action: string, service: AwsService, setup: Setup): string {
  const e = explainSetupError(err, {
    action,
    service,
    ...(setup.endpoint === undefined ? {} : { endpoint: setup.endpoint }),
    ...(setup.region === undefined ? {} : { region: setup.region }),
    ...(setup.profile === undefined ? {} : { profile: setup.profile }),
  });
  return e instanceof UsageError ? e.message : `${action}: ${e.name}: ${e.message}`;
}

/**
 * What a failed call says about the setup, as the check's title: a network failure is not a
 * credentials failure, and neither is a missing permission.
 */
function failedWhat(err: unknown, otherwise: string, service: AwsService): string {
  switch (classifyAwsError(err)) {
    case 'credentials':
      return 'AWS credentials';
    case 'no-region':
      return 'AWS region';
    case 'unreachable':
    case 'transient-network':
      return `network: cannot reach ${service}`;
    case 'access-denied':
      return `permission: ${otherwise}`;
    default:
      return otherwise;
  }
}

/**
 * Runs every check it can, even after one fails (a check that needs an earlier result it did not
 * get is listed as skipped); returns them (for tests and `--json`), printing nothing.
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
  const stackName = options.stack ?? DEFAULT_STACK_NAME;
  try {
    // 1. The stack and its outputs.
    let deployment: Deployment | undefined;
    /** A failure every call shares (no region, no credentials): reported once, by the first check. */
    let setupFailure: string | undefined;
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
      const kind = classifyAwsError(err);
      if (kind === 'no-region' || kind === 'credentials')
        setupFailure = failedWhat(err, '', 'CloudFormation');
      checks.push({
        ok: false,
        what: failedWhat(err, `stack ${stackName}`, 'CloudFormation'),
        fix: explain(
          err,
          `reading stack ${stackName} (CloudFormation DescribeStacks)`,
          'CloudFormation',
          options,
        ),
      });
    }
    if (deployment !== undefined && options.clients === undefined)
      clients = createAwsClients({ ...base, region: options.region ?? deployment.region });

    // 2. Credentials (a cheap call) and concurrency, in one: GetAccountSettings.
    const lambda = clients.lambda();
    if (setupFailure !== undefined) {
      // It would fail the same way: one line per problem, not one per call.
      checks.push({
        ok: false,
        skipped: true,
        what: `Lambda credentials and concurrency: not checked, fix the ${setupFailure} first`,
      });
    } else {
      try {
        if (deployment === undefined) {
          // No function to look at, but the credentials and the account's quota can still be read.
          const account = await lambda.send(new GetAccountSettingsCommand({}));
          checks.push({ ok: true, what: 'credentials accepted by Lambda (GetAccountSettings)' });
          const unreserved =
            account.AccountLimit?.UnreservedConcurrentExecutions ??
            account.AccountLimit?.ConcurrentExecutions ??
            0;
          checks.push(
            concurrencyCheck(
              unreserved,
              `the account's unreserved concurrency (${unreserved})`,
              options.ranks,
              options.ranksPerNode ?? 1,
            ),
          );
        } else {
          const c = await readConcurrency(lambda, deployment.rankFunctionName);
          checks.push({
            ok: true,
            what: `credentials accepted by Lambda in ${deployment.region} (GetAccountSettings)`,
          });
          const limit =
            c.reserved === undefined
              ? `the account's unreserved concurrency (${c.unreserved} of ${c.accountLimit})`
              : `the function's reserved concurrency (${c.reserved})`;
          const perNode =
            options.ranks === undefined
              ? 1
              : (options.ranksPerNode ??
                (await readFunctionMemory(lambda, deployment.rankFunctionName).then(
                  defaultRanksPerNode,
                  // The rank function check below says why it cannot be read.
                  () => 1,
                )));
          const check = concurrencyCheck(c.available, limit, options.ranks, perNode);
          if (check.ok) check.what += `; ${reservationHeadroom(c.accountLimit, c.unreserved, c.reserved)}`;
          checks.push(check);
        }
      } catch (err) {
        checks.push({
          ok: false,
          what: `${failedWhat(err, 'Lambda', 'Lambda')} (GetAccountSettings)`,
          fix: explain(err, 'GetAccountSettings', 'Lambda', options),
        });
      }
    }

    if (deployment === undefined) {
      for (const what of ['rank function', 'SQS access', 'S3 access'])
        checks.push({
          ok: false,
          skipped: true,
          what: `${what}: not checked, the stack's outputs are needed`,
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
        what: failedWhat(err, `rank function ${deployment.rankFunctionName}`, 'Lambda'),
        fix: missing
          ? 'it does not exist: deploy the stack again with `npx cdk deploy`'
          : explain(err, 'GetFunctionConfiguration', 'Lambda', options),
      });
    }

    // 4. Permissions on the data path: list the stack's queues, reach its bucket.
    try {
      await clients
        .sqs()
        .send(new ListQueuesCommand({ QueueNamePrefix: `${deployment.queuePrefix}-`, MaxResults: 1 }));
      checks.push({ ok: true, what: `SQS: queues ${deployment.queuePrefix}-* can be listed` });
    } catch (err) {
      checks.push({
        ok: false,
        what: failedWhat(err, 'SQS access', 'SQS'),
        fix: explain(err, 'ListQueues', 'SQS', options),
      });
    }
    try {
      await clients.s3().send(new HeadBucketCommand({ Bucket: deployment.bucketName }));
      checks.push({ ok: true, what: `S3: bucket ${deployment.bucketName} reachable` });
    } catch (err) {
      checks.push({
        ok: false,
        what: failedWhat(err, `S3 bucket ${deployment.bucketName}`, 'S3'),
        fix: explain(err, 'HeadBucket', 'S3', options),
      });
    }
    return checks;
  } finally {
    if (options.clients === undefined) {
      if (clients !== discovery) clients.destroy();
      discovery.destroy();
    }
  }
}

/**
 * How much the rank function could reserve: Lambda keeps 100 executions unreserved ("You can
 * reserve up to the Unreserved account concurrency value that is shown, minus 100", Lambda
 * developer guide), so a `reservedConcurrentExecutions` above this fails `cdk deploy`. The
 * construct checks it at synth against its `accountConcurrency` prop (default 1,000): this names
 * the account's real limit to put there.
 */
function reservationHeadroom(accountLimit: number, unreserved: number, reserved: number | undefined): string {
  const most = unreserved + (reserved ?? 0) - 100;
  const hint = `synthesize with \`accountConcurrency: ${accountLimit}\``;
  return most >= 1
    ? `a reservation for the rank function may be at most ${most} (Lambda keeps 100 unreserved; ${hint})`
    : `the account's limit (${accountLimit}) leaves no room for a reservation (Lambda keeps 100 unreserved): leave \`reservedConcurrentExecutions\` unset`;
}

/** Whether `ranks` fit `available` executions, with `perNode` ranks per invocation. */
function concurrencyCheck(
  available: number,
  limit: string,
  ranks: number | undefined,
  perNode: number,
): DoctorCheck {
  if (available < 1) {
    return {
      ok: false,
      what: `concurrency: no rank can run (${limit})`,
      fix: 'request a "Concurrent executions" quota increase in Service Quotas, or remove the reservation',
    };
  }
  const needed = ranks === undefined ? 0 : Math.ceil(ranks / perNode);
  if (ranks !== undefined && needed > available) {
    const what = perNode === 1 ? `${ranks} ranks` : `${ranks} ranks in nodes of ${perNode}`;
    return {
      ok: false,
      what: `concurrency: ${what} need ${needed} concurrent executions; ${limit} allows ${available}`,
      fix: `request a "Concurrent executions" quota increase in Service Quotas, or run fewer ranks${perNode === 1 ? '' : ' (or more per node)'}`,
    };
  }
  if (perNode === 1) return { ok: true, what: `concurrency: up to ${available} ranks at once (${limit})` };
  return {
    ok: true,
    what: `concurrency: up to ${available} invocations at once, ${available * perNode} ranks in nodes of ${perNode} (${limit})`,
  };
}

/** Prints the checks as ✓ / ✗ / – lines (or one JSON object with `--json`); returns the exit status. */
export async function doctor(
  options: DoctorOptions,
  write: (s: string) => void,
  output: { json?: boolean } = {},
): Promise<number> {
  const checks = await runDoctor(options);
  const failed = checks.filter((c) => !c.ok && c.skipped !== true).length;
  const skipped = checks.filter((c) => c.skipped === true).length;
  if (output.json === true) {
    write(`${JSON.stringify({ ok: failed === 0 && skipped === 0, checks })}\n`);
    return failed === 0 && skipped === 0 ? 0 : 1;
  }
  for (const c of checks) {
    write(`${c.ok ? '✓' : c.skipped === true ? '–' : '✗'} ${c.what}\n`);
    if (!c.ok && c.fix !== undefined) write(`  → ${c.fix}\n`);
  }
  write(
    failed === 0 && skipped === 0
      ? 'All checks passed: `tsmpi-cloud run <job> --backend aws` should work.\n'
      : `${failed} check(s) failed${skipped === 0 ? '' : `, ${skipped} could not run`}.\n`,
  );
  return failed === 0 && skipped === 0 ? 0 : 1;
}
