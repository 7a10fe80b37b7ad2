import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { checkOptions } from '../../base/check-options.js';
import { describeValue } from '../../base/describe-value.js';
import { emulatorDefaults } from '../../base/emulator-defaults.js';
import { classifyAwsError, errorName, networkCode } from './aws-error-kind.js';
import { SqsTransportError } from './errors.js';

export interface SqsClientsOptions {
  /**
   * An SQS-compatible endpoint (fauxqs, LocalStack, ...) serving both SQS and S3, e.g.
   * `http://127.0.0.1:4566`. Unset: real AWS, through the standard region and credential chain.
   */
  endpoint?: string;
  /** AWS region. Unset: `AWS_REGION` / the profile's region (AWS), `us-east-1` (emulator). */
  region?: string;
  /** Static credentials. Unset: the standard chain (AWS), or dummy ones for an emulator when none are set. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * Most sockets each client opens to its endpoint. Default 512 (the SDK's is 50): every rank
   * keeps 1 to 8 long polls open, and a send must never queue behind them for a free socket, so
   * a process running many ranks over one client needs several per rank.
   */
  maxSockets?: number;
  /**
   * A request whose socket carries nothing for this long fails (TimeoutError, retried as a
   * transient error) instead of waiting for ever on an endpoint that accepted the connection but
   * never answers. Default 60,000 (above the 20 s long polls). A connection that is not accepted
   * in CONNECT_TIMEOUT_MS fails the same way.
   */
  idleTimeoutMs?: number;
}

/** How long a TCP connection to the endpoint may take to be accepted. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** Default `idleTimeoutMs`: well above the 20 s of a long poll, which sends nothing meanwhile. */
export const IDLE_TIMEOUT_MS = 60_000;

export interface SqsClients {
  sqs: SQSClient;
  s3: S3Client;
}

const CLIENT_OPTION_KEYS = new Set(['endpoint', 'region', 'credentials', 'maxSockets', 'idleTimeoutMs']);

/**
 * Creates the SQS and S3 clients the SQS transport needs, for AWS or for an emulator. The
 * caller owns them: `sqs.destroy()` / `s3.destroy()` when the job is over.
 *
 * With `endpoint` set, SQS requests go to the endpoint whatever host the queue URLs name
 * (`useQueueUrlAsEndpoint: false`), S3 uses path-style URLs (`forcePathStyle`, so no wildcard
 * DNS is needed), and dummy credentials are used when the environment has none (emulators do
 * not check them).
 *
 * @example
 * const { sqs, s3 } = createSqsClients({ endpoint: 'http://127.0.0.1:4566' });
 */
export function createSqsClients(options: SqsClientsOptions = {}): SqsClients {
  // tsmpi-cloud supports Node 20 (the CLI) next to Node 24 (Lambda); the SDK's per-client warning
  // about Node 20 would otherwise be printed once by every rank. An explicit setting wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  checkOptions('createSqsClients', options, CLIENT_OPTION_KEYS);
  const { endpoint, region, credentials } = options;
  const maxSockets = options.maxSockets ?? 512;
  if (!Number.isSafeInteger(maxSockets) || maxSockets < 1) {
    throw new TypeError(`Expected \`maxSockets\` to be an integer >= 1, got ${describeValue(maxSockets)}`);
  }
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new TypeError(
        `Expected \`endpoint\` to be an http(s) URL such as http://127.0.0.1:4566, got \`${endpoint}\``,
      );
    }
  }
  if (region !== undefined && (typeof region !== 'string' || !/^[a-z0-9-]+$/.test(region))) {
    throw new TypeError(
      `Expected \`region\` to be an AWS region such as us-east-1, got \`${String(region)}\``,
    );
  }
  const emulator = endpoint !== undefined;
  const forEmulator = emulatorDefaults({ endpoint, region });
  const resolvedRegion = region ?? forEmulator.region;
  const resolvedCredentials = credentials ?? forEmulator.credentials;
  const common = {
    ...(resolvedRegion === undefined ? {} : { region: resolvedRegion }),
    ...(resolvedCredentials === undefined ? {} : { credentials: resolvedCredentials }),
    ...(endpoint === undefined ? {} : { endpoint }),
    requestHandler: {
      httpAgent: { keepAlive: true, maxSockets },
      httpsAgent: { keepAlive: true, maxSockets },
      connectionTimeout: CONNECT_TIMEOUT_MS,
      socketTimeout: options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    },
  };
  const sqs = new SQSClient({ ...common, ...(emulator ? { useQueueUrlAsEndpoint: false } : {}) });
  const s3 = new S3Client({ ...common, ...(emulator ? { forcePathStyle: true } : {}) });
  return { sqs, s3 };
}

/**
 * The custom endpoint a client was configured with (`http://127.0.0.1:4566`), or undefined for
 * AWS's own endpoints or a client without the usual config (a mock). Never throws.
 */
export async function endpointOf(client: unknown): Promise<string | undefined> {
  try {
    const config = (client as { config?: { isCustomEndpoint?: unknown; endpoint?: unknown } }).config;
    if (config?.isCustomEndpoint !== true || typeof config.endpoint !== 'function') return undefined;
    const ep = (await (config.endpoint as () => Promise<unknown>)()) as {
      protocol?: string;
      hostname?: string;
      port?: number;
      path?: string;
    };
    if (typeof ep?.hostname !== 'string') return undefined;
    const port = ep.port === undefined ? '' : `:${ep.port}`;
    const path = ep.path === undefined || ep.path === '/' ? '' : ep.path;
    return `${ep.protocol ?? 'https:'}//${ep.hostname}${port}${path}`;
  } catch {
    return undefined;
  }
}

export interface AwsErrorContext {
  /** What was being done, e.g. `creating the queues of job j42` or `SendMessageBatch to rank 3`. */
  action?: string;
  /** The endpoint in use, when one was set (`--endpoint`). */
  endpoint?: string;
  /** The region in use, when known. */
  region?: string;
  /** Which service was called. Default `SQS`. */
  service?: 'SQS' | 'S3';
  /** The named AWS profile in use (`--aws-profile`); AWS_PROFILE counts when absent. */
  profile?: string;
}

/**
 * What to do about missing credentials. With a named profile the SDK reads nothing else (not the
 * AWS_ACCESS_KEY_ID variables), so the profile is what to check.
 */
function credentialsHint(profile: string | undefined): string {
  const named = profile ?? (process.env.AWS_PROFILE || undefined);
  if (named === undefined) return 'set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY';
  return (
    `the profile \`${named}\` gave none: check that it is in ~/.aws/config or ~/.aws/credentials ` +
    `(\`aws configure list-profiles\`), and for an SSO profile run \`aws sso login --profile ${named}\``
  );
}

/**
 * Turns the usual AWS failures into one readable sentence that says what to set: unreachable
 * endpoint, missing region, missing or bad credentials, access denied. Anything else keeps the
 * SDK's own name and message. The original error is the result's `cause`.
 *
 * @example
 * try { await createJobQueues(...) } catch (e) { throw explainAwsError(e, { action: 'creating queues', endpoint }) }
 */
export function explainAwsError(err: unknown, context: AwsErrorContext = {}): SqsTransportError {
  if (err instanceof SqsTransportError) return err;
  const service = context.service ?? 'SQS';
  const prefix = context.action === undefined ? '' : `${context.action}: `;
  const original = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  // https:// to a server that answers in plain HTTP (an emulator): OpenSSL's raw complaint said
  // nothing a user could act on.
  if (context.endpoint?.startsWith('https://') && isTlsOnPlainHttp(err)) {
    const http = context.endpoint.replace(/^https:/, 'http:');
    return new SqsTransportError(
      'UNREACHABLE',
      `${prefix}the ${service} endpoint ${context.endpoint} answered in plain HTTP, not TLS: use --endpoint ${http}`,
      { cause: err },
    );
  }
  const kind = classifyAwsError(err);
  switch (kind) {
    case 'unreachable': {
      const code = networkCode(err) ?? 'ECONNREFUSED';
      const where =
        context.endpoint !== undefined
          ? `the ${service} endpoint ${context.endpoint}`
          : `${service}${context.region === undefined ? '' : ` in ${context.region}`}`;
      const hint =
        context.endpoint !== undefined
          ? 'is the emulator running? start it or set --endpoint to the URL it listens on'
          : 'check the network connection and AWS_REGION, or set --endpoint to use an emulator';
      return new SqsTransportError('UNREACHABLE', `${prefix}cannot reach ${where} (${code}): ${hint}`, {
        cause: err,
      });
    }
    case 'no-region':
      return new SqsTransportError(
        'NO_REGION',
        `${prefix}no AWS region is configured: set AWS_REGION or pass --region (or --endpoint for an emulator)`,
        { cause: err },
      );
    case 'credentials':
      return new SqsTransportError(
        'BAD_CREDENTIALS',
        `${prefix}AWS credentials are missing, invalid or expired (${original}): ${credentialsHint(context.profile)}`,
        { cause: err },
      );
    case 'access-denied':
      return new SqsTransportError(
        'ACCESS_DENIED',
        `${prefix}access denied by ${service} (${original}): the credentials in use lack this permission; use credentials allowed by the deployed stack's policy (queue prefix and bucket), or grant it`,
        { cause: err },
      );
    case 'queue-gone':
      return new SqsTransportError('QUEUE_GONE', `${prefix}the queue does not exist (${errorName(err)})`, {
        cause: err,
      });
    default:
      return new SqsTransportError('AWS', `${prefix}${service} call failed: ${original}`, { cause: err });
  }
}

/** OpenSSL's error for a TLS handshake answered in plain HTTP (`wrong version number`, EPROTO). */
function isTlsOnPlainHttp(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (
      /wrong version number|packet length too long|ERR_SSL_WRONG_VERSION_NUMBER/i.test(
        `${e.message} ${(e as NodeJS.ErrnoException).code ?? ''}`,
      )
    )
      return true;
  }
  return false;
}
