import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSqsClients, explainAwsError } from '../../../../sdk/transport/sqs/clients.js';

function sysError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:4566`), { code });
}

describe('explainAwsError', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('names the endpoint and --endpoint when an emulator cannot be reached', () => {
    const e = explainAwsError(sysError('ECONNREFUSED'), { endpoint: 'http://127.0.0.1:4566' });
    expect(e.code).toBe('UNREACHABLE');
    expect(e.message).toBe(
      'cannot reach the SQS endpoint http://127.0.0.1:4566 (ECONNREFUSED): is the emulator running? start it or set --endpoint to the URL it listens on',
    );
  });

  it('finds the system error inside an AggregateError (dual-stack connect) and a cause', () => {
    const agg = Object.assign(
      new AggregateError([sysError('ECONNREFUSED'), sysError('ECONNREFUSED')], ''),
      {},
    );
    expect(explainAwsError(agg, { endpoint: 'http://localhost:1' }).code).toBe('UNREACHABLE');
    const wrapped = new Error('socket', { cause: sysError('ENOTFOUND') });
    expect(explainAwsError(wrapped, { region: 'eu-west-1' }).message).toBe(
      'cannot reach SQS in eu-west-1 (ENOTFOUND): check the network connection and AWS_REGION, or set --endpoint to use an emulator',
    );
  });

  it('says to use http:// when an https:// endpoint answers in plain HTTP (a real server, the error the SDK gives)', async () => {
    const server = createServer((_req, res) => res.end('plain'));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const port = (server.address() as AddressInfo).port;
    const endpoint = `https://127.0.0.1:${port}`;
    const { sqs, s3 } = createSqsClients({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const err = await sqs.send(new ListQueuesCommand({})).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      const e = explainAwsError(err, { endpoint, action: 'listing queues' });
      expect(e.code).toBe('UNREACHABLE');
      expect(e.message).toBe(
        `listing queues: the SQS endpoint ${endpoint} answered in plain HTTP, not TLS: use --endpoint http://127.0.0.1:${port}`,
      );
      // Over http:// the same error is nothing of the kind.
      expect(explainAwsError(err, { endpoint: `http://127.0.0.1:${port}` }).message).not.toContain(
        'plain HTTP',
      );
    } finally {
      sqs.destroy();
      s3.destroy();
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });

  it('says to set AWS_REGION or --region when the region is missing', () => {
    const e = explainAwsError(new Error('Region is missing'), { action: 'creating queues' });
    expect(e).toMatchObject({ code: 'NO_REGION' });
    expect(e.message).toBe(
      'creating queues: no AWS region is configured: set AWS_REGION or pass --region (or --endpoint for an emulator)',
    );
  });

  it('says which variables to set when credentials are missing or bad', () => {
    // (With a profile named in AWS_PROFILE the hint is about that profile: see setup-error.test.ts.)
    vi.stubEnv('AWS_PROFILE', '');
    const missing = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    const bad = Object.assign(new Error('The security token included in the request is invalid.'), {
      name: 'InvalidClientTokenId',
      $metadata: { httpStatusCode: 403 },
    });
    for (const err of [missing, bad]) {
      const e = explainAwsError(err);
      expect(e.code).toBe('BAD_CREDENTIALS');
      expect(e.message).toMatch(/set AWS_PROFILE or AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY$/);
      expect(e.cause).toBe(err);
    }
  });

  it('reports access denied with the service and what to change', () => {
    const err = Object.assign(new Error('not authorized to perform: sqs:SendMessage'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    const e = explainAwsError(err, { action: 'SendMessageBatch to the queue of rank 1' });
    expect(e.code).toBe('ACCESS_DENIED');
    expect(e.message).toMatch(
      /^SendMessageBatch to the queue of rank 1: access denied by SQS \(AccessDenied: not authorized/,
    );
  });

  it('keeps the SDK name and message of anything else', () => {
    const err = Object.assign(new Error('odd'), { name: 'SomethingNew' });
    expect(explainAwsError(err, { service: 'S3' }).message).toBe('S3 call failed: SomethingNew: odd');
  });
});

describe('createSqsClients', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('configures both clients for an emulator: endpoint, no queue-URL endpoint, path-style S3, dummy credentials', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_PROFILE', '');
    const { sqs, s3 } = createSqsClients({ endpoint: 'http://127.0.0.1:4566' });
    try {
      expect((sqs.config as { useQueueUrlAsEndpoint?: boolean }).useQueueUrlAsEndpoint).toBe(false);
      expect(s3.config.forcePathStyle).toBe(true);
      expect(await sqs.config.region()).toBe('us-east-1');
      expect(await sqs.config.credentials()).toMatchObject({ accessKeyId: 'test' });
      const ep = await sqs.config.endpoint?.();
      expect(ep).toMatchObject({ hostname: '127.0.0.1', port: 4566 });
    } finally {
      sqs.destroy();
      s3.destroy();
    }
  });

  it('leaves AWS clients to the standard chain and keeps virtual-hosted S3', async () => {
    const { sqs, s3 } = createSqsClients({ region: 'eu-west-1' });
    try {
      expect(await sqs.config.region()).toBe('eu-west-1');
      expect(s3.config.forcePathStyle).not.toBe(true);
      expect(sqs.config.isCustomEndpoint).toBe(false);
    } finally {
      sqs.destroy();
      s3.destroy();
    }
  });

  it('opens up to maxSockets keep-alive sockets, 512 by default, so sends never queue behind long polls', async () => {
    const { sqs, s3 } = createSqsClients({ region: 'us-east-1' });
    const small = createSqsClients({ region: 'us-east-1', maxSockets: 8 });
    try {
      const cfg = (await (sqs.config.requestHandler as unknown as { configProvider: Promise<unknown> })
        .configProvider) as { httpsAgent: { maxSockets: number; keepAlive: boolean } };
      expect(cfg.httpsAgent).toMatchObject({ maxSockets: 512, keepAlive: true });
      const smallCfg = (await (
        small.sqs.config.requestHandler as unknown as { configProvider: Promise<unknown> }
      ).configProvider) as { httpsAgent: { maxSockets: number } };
      expect(smallCfg.httpsAgent.maxSockets).toBe(8);
      expect(() => createSqsClients({ maxSockets: 0 })).toThrow(
        'Expected `maxSockets` to be an integer >= 1, got `0`',
      );
    } finally {
      for (const c of [sqs, s3, small.sqs, small.s3]) c.destroy();
    }
  });

  it('rejects unknown options and malformed endpoints at the call', () => {
    expect(() => createSqsClients({ endpiont: 'x' } as never)).toThrow(
      /createSqsClients: unknown option `endpiont`/,
    );
    expect(() => createSqsClients({ endpoint: 'localhost:4566' })).toThrow(
      'Expected `endpoint` to be an http(s) URL such as http://127.0.0.1:4566, got `localhost:4566`',
    );
  });
});

describe('createSqsClients against an endpoint that accepts connections but never answers', () => {
  it('fails the request once its socket has carried nothing for idleTimeoutMs, instead of waiting for ever', async () => {
    const { createServer } = await import('node:net');
    const { ListQueuesCommand } = await import('@aws-sdk/client-sqs');
    const sockets: import('node:net').Socket[] = [];
    const server = createServer((s) => sockets.push(s)); // accepts, never replies
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as import('node:net').AddressInfo;
    const { sqs, s3 } = createSqsClients({ endpoint: `http://127.0.0.1:${port}`, idleTimeoutMs: 200 });
    try {
      const err = await sqs.send(new ListQueuesCommand({})).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err).toBeInstanceOf(Error);
      expect(err!.name).toBe('TimeoutError');
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      sqs.destroy();
      s3.destroy();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses an unknown option as before', () => {
    expect(() => createSqsClients({ idleTimeout: 1 } as never)).toThrow(/idleTimeout/);
  });
});
