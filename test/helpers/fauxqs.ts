import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { afterAll, beforeAll } from 'vitest';
import { createSqsClients } from '../../sdk/transport/sqs/clients.js';
import { startMoto } from './moto.js';

export interface Fauxqs {
  /** `http://127.0.0.1:<port>`: SQS and S3 on one endpoint. */
  endpoint: string;
  sqs: SQSClient;
  s3: S3Client;
  /** A bucket created for this server. */
  bucket: string;
  /** Destroys the clients and stops the server. Idempotent. */
  stop: () => Promise<void>;
}

/**
 * Starts an in-process fauxqs (SQS + S3 emulator) on a random port of the loopback interface
 * only, with clients configured the way `createSqsClients` configures them for an emulator, and
 * one bucket.
 */
export async function startFauxqs(options: { bucket?: string } = {}): Promise<Fauxqs> {
  // `TSMPI_SQS_EMULATOR=moto` runs the same suites against moto_server, a second implementation.
  if (process.env.TSMPI_SQS_EMULATOR === 'moto') return startMotoEmulator(options);
  // buildApp + listen on 127.0.0.1 rather than startFauxqs(), which binds every interface.
  const app = buildApp({ logger: false });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const endpoint = address.replace('localhost', '127.0.0.1');
  const { sqs, s3 } = createSqsClients({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const bucket = options.bucket ?? 'tsmpi-test';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      sqs.destroy();
      s3.destroy();
      await app.close();
    })();
    return stopped;
  };
  return { endpoint, sqs, s3, bucket, stop };
}

async function startMotoEmulator(options: { bucket?: string }): Promise<Fauxqs> {
  const moto = await startMoto();
  const { sqs, s3 } = createSqsClients({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const bucket = options.bucket ?? 'tsmpi-test';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      sqs.destroy();
      s3.destroy();
      await moto.stop();
    })();
    return stopped;
  };
  return { endpoint: moto.endpoint, sqs, s3, bucket, stop };
}

/**
 * For a test file: starts fauxqs in `beforeAll`, stops it in `afterAll`. The returned object is
 * filled in once `beforeAll` has run; reading it earlier throws.
 *
 * @example
 * const fx = useFauxqs();
 * it('...', async () => { await fx.sqs.send(...) });
 */
export function useFauxqs(options: { bucket?: string } = {}): Fauxqs {
  let server: Fauxqs | undefined;
  const get = (): Fauxqs => {
    if (server === undefined)
      throw new Error('useFauxqs(): fauxqs is not started yet (read it inside a test or hook)');
    return server;
  };
  beforeAll(async () => {
    server = await startFauxqs(options);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get endpoint() {
      return get().endpoint;
    },
    get sqs() {
      return get().sqs;
    },
    get s3() {
      return get().s3;
    },
    get bucket() {
      return get().bucket;
    },
    stop: () => get().stop(),
  };
}
