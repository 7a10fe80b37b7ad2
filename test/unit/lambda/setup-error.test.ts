import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../../sdk/base/errors.js';
import { explainSetupError } from '../../../sdk/launch/lambda/setup-error.js';

function awsError(name: string, message: string, status?: number): Error {
  const e = Object.assign(new Error(message), { $metadata: { httpStatusCode: status } });
  e.name = name;
  return e;
}

describe('explainSetupError', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('names the control-plane service that refused, and says what to do', () => {
    const e = explainSetupError(awsError('AccessDeniedException', 'not allowed', 403), {
      action: 'reading the concurrency of f',
      service: 'Lambda',
    });
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toMatch(
      /^reading the concurrency of f: access denied by Lambda \(AccessDeniedException: not allowed\)/,
    );
  });

  it('turns missing credentials or region into a usage error saying what to set', () => {
    vi.stubEnv('AWS_PROFILE', '');
    const creds = explainSetupError(
      awsError('CredentialsProviderError', 'Could not load credentials from any providers'),
      {
        action: 'x',
        service: 'CloudFormation',
      },
    );
    expect(creds).toBeInstanceOf(UsageError);
    expect(creds.message).toMatch(/AWS credentials are missing.*AWS_PROFILE/);
    const region = explainSetupError(new Error('Region is missing'), { action: 'x', service: 'Lambda' });
    expect(region.message).toMatch(/no AWS region is configured: set AWS_REGION or pass --region/);
  });

  it('with a named profile, says to check that profile, not to set AWS_PROFILE', () => {
    vi.stubEnv('AWS_PROFILE', '');
    const missing = awsError('CredentialsProviderError', 'Could not load credentials from any providers');
    const named = explainSetupError(missing, { action: 'x', service: 'CloudFormation', profile: 'nosuch' });
    expect(named).toBeInstanceOf(UsageError);
    expect(named.message).toMatch(
      /AWS credentials are missing.*the profile `nosuch` gave none: check that it is in ~\/\.aws\/config/,
    );
    expect(named.message).not.toMatch(/set AWS_PROFILE/);
    // The profile may come from the environment, as the SDK reads it.
    vi.stubEnv('AWS_PROFILE', 'fromenv');
    expect(explainSetupError(missing, { action: 'x', service: 'Lambda' }).message).toMatch(
      /the profile `fromenv` gave none/,
    );
  });

  it('says that --endpoint does not redirect Lambda or CloudFormation when it cannot reach them', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });
    const withEmulator = explainSetupError(refused, {
      action: 'x',
      service: 'CloudFormation',
      endpoint: 'http://localhost:4566',
    });
    expect(withEmulator.message).toMatch(
      /cannot reach CloudFormation: .*--endpoint redirects SQS and S3 only: for an emulator of CloudFormation, set AWS_ENDPOINT_URL_CLOUDFORMATION/,
    );
    const lambda = explainSetupError(refused, {
      action: 'x',
      service: 'Lambda',
      endpoint: 'http://localhost:4566',
    });
    expect(lambda.message).toMatch(/set AWS_ENDPOINT_URL_LAMBDA/);
    expect(explainSetupError(refused, { action: 'x', service: 'Lambda' }).message).not.toMatch(/--endpoint/);
  });

  it('keeps any other error as the SDK threw it', () => {
    const other = awsError('ServiceException', 'boom', 500);
    expect(explainSetupError(other, { action: 'x', service: 'Lambda' })).toBe(other);
  });
});
