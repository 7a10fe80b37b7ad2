import { UsageError } from '../../base/errors.js';
import { classifyAwsError, errorName } from '../../transport/sqs/aws-error-kind.js';
import { explainAwsError } from '../../transport/sqs/clients.js';

export type AwsService = 'SQS' | 'S3' | 'Lambda' | 'CloudFormation';

/**
 * Setup failures of the aws backend (no credentials, no region, no permission, unreachable) are
 * the user's to fix: a `UsageError` (exit 2) that says what to set. Anything else is returned as
 * the SDK threw it.
 */
export function explainSetupError(
  err: unknown,
  context: { action: string; service: AwsService; endpoint?: string; region?: string; profile?: string },
): Error {
  if (err instanceof UsageError) return err;
  const { action, service } = context;
  const kind = classifyAwsError(err);
  // The shared explanations are worded for the data path (SQS/S3, which --endpoint redirects);
  // these two name the control-plane service instead.
  if (service === 'Lambda' || service === 'CloudFormation') {
    if (kind === 'access-denied') {
      return new UsageError(
        `${action}: access denied by ${service} (${errorName(err)}: ${(err as Error).message}): the credentials in ` +
          'use lack this permission; grant it, or use credentials that have it (`tsmpi-cloud doctor` checks them all)',
      );
    }
    if (kind === 'unreachable') {
      // An emulator user may expect --endpoint to cover this service too: it does not.
      const emulator =
        context.endpoint === undefined
          ? ''
          : ` (--endpoint redirects SQS and S3 only: for an emulator of ${service}, set AWS_ENDPOINT_URL_${service.toUpperCase()})`;
      return new UsageError(
        `${action}: cannot reach ${service}${context.region === undefined ? '' : ` in ${context.region}`}: check the network and the region${emulator}`,
      );
    }
  }
  const explained = explainAwsError(err, {
    action,
    service: service === 'S3' ? 'S3' : 'SQS',
    ...(context.endpoint === undefined || service === 'Lambda' || service === 'CloudFormation'
      ? {}
      : { endpoint: context.endpoint }),
    ...(context.region === undefined ? {} : { region: context.region }),
    ...(context.profile === undefined ? {} : { profile: context.profile }),
  });
  if (explained.code === 'AWS') return err as Error;
  return new UsageError(explained.message);
}
