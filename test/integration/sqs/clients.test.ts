import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createSqsClients } from '../../../sdk/transport/sqs/clients.js';
import { createJobQueues } from '../../../sdk/transport/sqs/job-queues.js';
import { SqsTransport } from '../../../sdk/transport/sqs/sqs-transport.js';

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('an unreachable endpoint', () => {
  it('makes createJobQueues fail with a message naming the endpoint and what to do', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const { sqs, s3 } = createSqsClients({ endpoint });
    try {
      await expect(
        createJobQueues({ client: sqs, prefix: 'tsmpi', jobId: 'x1', size: 2 }),
      ).rejects.toMatchObject({
        code: 'UNREACHABLE',
        message: expect.stringContaining(
          `cannot reach the SQS endpoint ${endpoint} (ECONNREFUSED): is the emulator running? start it or set --endpoint`,
        ),
      });
    } finally {
      sqs.destroy();
      s3.destroy();
    }
  });

  it('makes a started transport report UNREACHABLE through onError', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const { sqs } = createSqsClients({ endpoint });
    const t = new SqsTransport({
      rank: 0,
      size: 1,
      queueUrls: [`${endpoint}/000000000000/tsmpi-x-0`],
      sqs,
      jobId: 'x',
    });
    const err = await new Promise<Error>((resolve) => t.start(() => undefined, resolve));
    expect(err).toMatchObject({ code: 'UNREACHABLE' });
    expect(err.message).toContain(`cannot reach the SQS endpoint ${endpoint}`);
    await t.close();
    sqs.destroy();
  });
});
