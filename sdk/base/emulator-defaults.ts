/**
 * What an AWS client needs when it talks to an SQS/S3 emulator (fauxqs, LocalStack, moto)
 * rather than AWS: a region when none is configured, and dummy credentials when the environment
 * names none (emulators do not check them). One rule for every client the package creates.
 */

import { UsageError } from './errors.js';

/** `--endpoint` (run and doctor): undefined, or an http(s) URL; else a UsageError saying so. */
export function checkEndpointOption(endpoint: string | undefined): void {
  if (endpoint === undefined) return;
  let protocol: string | undefined;
  try {
    protocol = new URL(endpoint).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new UsageError(`Expected --endpoint to be a URL like http://127.0.0.1:4566, got \`${endpoint}\``);
  }
}

/** The credentials an emulator is given when the environment has none. */
export const EMULATOR_CREDENTIALS = Object.freeze({ accessKeyId: 'test', secretAccessKey: 'test' });

/** Whether the environment names credentials the standard chain can find (env keys, a profile, a role). */
export function environmentHasCredentials(env: NodeJS.ProcessEnv): boolean {
  return Boolean(
    env.AWS_ACCESS_KEY_ID ||
      env.AWS_PROFILE ||
      env.AWS_WEB_IDENTITY_TOKEN_FILE ||
      env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ||
      env.AWS_CONTAINER_CREDENTIALS_FULL_URI,
  );
}

/**
 * The region and credentials to add to a client's configuration for an emulator: the region from
 * the environment or `us-east-1`, the dummy credentials unless the environment (or an explicit
 * profile) provides some. Empty for AWS (no endpoint), where the SDK's own chain decides.
 *
 * @example
 * new SQSClient({ endpoint, ...emulatorDefaults({ endpoint }) });
 */
export function emulatorDefaults(
  options: { endpoint?: string | undefined; region?: string | undefined; profile?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): { region?: string; credentials?: { accessKeyId: string; secretAccessKey: string } } {
  if (options.endpoint === undefined) return {};
  const out: { region?: string; credentials?: { accessKeyId: string; secretAccessKey: string } } = {};
  if (options.region === undefined) out.region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  if (options.profile === undefined && !environmentHasCredentials(env))
    out.credentials = { ...EMULATOR_CREDENTIALS };
  return out;
}
