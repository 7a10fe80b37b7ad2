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

  it('names missing credentials as such, once: the Lambda check would fail the same way', async () => {
    const clients = failingClients(credentialsMissing);
    const checks = await runDoctor({ clients });
    expect(checks[0]).toMatchObject({ ok: false, what: 'AWS credentials' });
    expect(checks[0]!.fix).toMatch(/AWS credentials are missing/);
    expect(checks.filter((c) => !c.ok && c.skipped !== true)).toHaveLength(1);
    expect(checks[1]).toMatchObject({
      ok: false,
      skipped: true,
      what: 'Lambda credentials and concurrency: not checked, fix the AWS credentials first',
    });
    expect(clients.calls).toEqual(['cloudformation.DescribeStacksCommand']);
  });

  it('reports a missing region once, and names a given profile in what to fix', async () => {
    const region = await runDoctor({ clients: failingClients(() => new Error('Region is missing')) });
    expect(region.filter((c) => !c.ok && c.skipped !== true).map((c) => c.what)).toEqual(['AWS region']);
    expect(region[1]!.what).toBe('Lambda credentials and concurrency: not checked, fix the AWS region first');
    const profile = await runDoctor({ clients: failingClients(credentialsMissing), profile: 'nosuch' });
    expect(profile[0]!.fix).toMatch(/the profile `nosuch` gave none/);
  });

  it('names the emulator case when it cannot reach the control plane with --endpoint set', async () => {
    const checks = await runDoctor({
      clients: failingClients(connectionRefused),
      endpoint: 'http://localhost:4566',
    });
    expect(checks[0]!.fix).toMatch(/--endpoint redirects SQS and S3 only.*AWS_ENDPOINT_URL_CLOUDFORMATION/);
    expect(checks[1]!.fix).toMatch(/AWS_ENDPOINT_URL_LAMBDA/);
  });
});
