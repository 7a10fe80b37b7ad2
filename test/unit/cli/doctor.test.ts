import { describe, expect, it } from 'vitest';
import { runDoctor } from '../../../sdk/cli/doctor.js';
import type { AwsClients } from '../../../sdk/launch/lambda/aws-clients.js';

/** What a refused connection looks like through the AWS SDK. */
function connectionRefused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });
}

function credentialsMissing(): Error {
  const e = new Error('Could not load credentials from any providers');
  e.name = 'CredentialsProviderError';
  return e;
}

/** Clients whose every call fails with `fail()`, counting the calls made. */
function failingClients(fail: () => Error): AwsClients & { calls: string[] } {
  const calls: string[] = [];
  const client = (service: string) => ({
    send: async (command: { constructor: { name: string } }) => {
      calls.push(`${service}.${command.constructor.name}`);
      throw fail();
    },
    destroy() {},
  });
  return {
    calls,
    lambda: () => client('lambda') as never,
    sqs: () => client('sqs') as never,
    s3: () => client('s3') as never,
    cloudformation: () => client('cloudformation') as never,
    destroy() {},
  };
}

describe('tsmpi-cloud doctor', () => {
  it('does not stop at the first failure: credentials are still checked without the stack', async () => {
    const clients = failingClients(connectionRefused);
    const checks = await runDoctor({ clients, stack: 'Nope' });
    expect(clients.calls).toEqual([
      'cloudformation.DescribeStacksCommand',
      'lambda.GetAccountSettingsCommand',
    ]);
    expect(checks.filter((c) => !c.ok && c.skipped !== true)).toHaveLength(2);
    // What needs the stack's outputs is listed as not checked, not silently dropped.
    expect(checks.filter((c) => c.skipped === true).map((c) => c.what)).toEqual([
      expect.stringMatching(/^rank function: not checked/),
      expect.stringMatching(/^SQS access: not checked/),
      expect.stringMatching(/^S3 access: not checked/),
    ]);
  });

  it('calls a network failure a network failure, not a credentials failure', async () => {
    const checks = await runDoctor({ clients: failingClients(connectionRefused) });
    const failed = checks.filter((c) => !c.ok && c.skipped !== true);
    expect(failed.map((c) => c.what)).toEqual([
      'network: cannot reach CloudFormation',
      'network: cannot reach Lambda (GetAccountSettings)',
    ]);
    for (const c of failed) {
      expect(c.what).not.toMatch(/credential/i);
      expect(c.fix).toMatch(/cannot reach .*check the network/);
    }
  });

  it('names missing credentials as such', async () => {
    const checks = await runDoctor({ clients: failingClients(credentialsMissing) });
    expect(checks[0]).toMatchObject({ ok: false, what: 'AWS credentials' });
    expect(checks[0]!.fix).toMatch(/AWS credentials are missing/);
  });
});
