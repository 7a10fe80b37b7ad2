import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { emulatorDefaults } from '../../base/emulator-defaults.js';
import { CONNECT_TIMEOUT_MS, IDLE_TIMEOUT_MS } from '../../transport/sqs/clients.js';

export interface AwsClientsOptions {
  /** AWS region; default: the profile's / AWS_REGION. */
  region?: string;
  /** A named profile of the shared AWS config and credentials files. */
  profile?: string;
  /**
   * An SQS/S3 emulator (LocalStack, fauxqs) for the data path. Lambda and CloudFormation keep
   * their usual endpoints (set `AWS_ENDPOINT_URL_LAMBDA` etc. to redirect those).
   */
  endpoint?: string;
  /** Sockets per client: Invoke fan-out, queue creation and deletion run this many calls at once. */
  maxSockets?: number;
}

/** The launcher's clients. Created lazily; `destroy()` closes whichever were made. */
export interface AwsClients {
  lambda(): LambdaClient;
  sqs(): SQSClient;
  s3(): S3Client;
  cloudformation(): CloudFormationClient;
  destroy(): void;
}

/**
 * Creates the launcher's AWS clients with one region, profile and connection pool size. With an
 * emulator endpoint and no credentials in the environment, dummy credentials are used (emulators
 * do not check them), as `createSqsClients` does.
 */
export function createAwsClients(options: AwsClientsOptions = {}): AwsClients {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const maxSockets = options.maxSockets ?? 128;
  const emulator = options.endpoint !== undefined;
  const common = {
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...emulatorDefaults(options),
    requestHandler: {
      httpAgent: { keepAlive: true, maxSockets },
      httpsAgent: { keepAlive: true, maxSockets },
      // Never wait for ever on an endpoint that accepted the connection but does not answer.
      connectionTimeout: CONNECT_TIMEOUT_MS,
      socketTimeout: IDLE_TIMEOUT_MS,
    },
  };
  const made: { destroy(): void }[] = [];
  const lazy = <T extends { destroy(): void }>(make: () => T) => {
    let client: T | undefined;
    return () => {
      if (client === undefined) {
        client = make();
        made.push(client);
      }
      return client;
    };
  };
  return {
    lambda: lazy(() => new LambdaClient({ ...common, maxAttempts: 4 })),
    sqs: lazy(
      () =>
        new SQSClient({
          ...common,
          ...(emulator ? { endpoint: options.endpoint, useQueueUrlAsEndpoint: false } : {}),
        }),
    ),
    s3: lazy(
      () =>
        new S3Client({
          ...common,
          ...(emulator ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
        }),
    ),
    cloudformation: lazy(() => new CloudFormationClient(common)),
    destroy() {
      for (const c of made.splice(0)) c.destroy();
    },
  };
}
