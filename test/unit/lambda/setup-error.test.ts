import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../sdk/base/errors.js';
import { explainSetupError } from '../../../sdk/launch/lambda/setup-error.js';

function awsError(name: string, message: string, status?: number): Error {
  const e = Object.assign(new Error(message), { $metadata: { httpStatusCode: status } });
  e.name = name;
  return e;
}

describe('explainSetupError', () => {
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

  it('keeps any other error as the SDK threw it', () => {
    const other = awsError('ServiceException', 'boom', 500);
    expect(explainSetupError(other, { action: 'x', service: 'Lambda' })).toBe(other);
  });
});
