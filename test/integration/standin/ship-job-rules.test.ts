/**
 * Shipping a job bundle to S3 and fetching it on a rank, behind the AWS rules layer (fauxqs
 * upstream): HeadObject of a missing bundle answers 403 to a launcher without s3:ListBucket, a
 * bundle close to its lifecycle expiry is uploaded again, and a rank that finds its bundle gone
 * says why.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveJob } from '../../../sdk/launch/job-source.js';
import { REUPLOAD_AFTER_MS, shipJob } from '../../../sdk/launch/lambda/ship-job.js';
import { loadShippedJob } from '../../../sdk/runtime/lambda/job-module.js';
import { createSqsClients } from '../../../sdk/transport/sqs/clients.js';
import { type AwsRulesProxy, startAwsRulesProxy } from '../../helpers/aws-rules-proxy.js';
import { type Fauxqs, startFauxqs } from '../../helpers/fauxqs.js';

const FIXTURES = fileURLToPath(new URL('../lambda/fixtures/', import.meta.url));

let fx: Fauxqs;
let proxy: AwsRulesProxy;
let clients: ReturnType<typeof createSqsClients>;

beforeAll(async () => {
  fx = await startFauxqs();
  // Nobody may ListBucket here (the rules layer's default): a missing key answers 403.
  proxy = await startAwsRulesProxy(fx.endpoint, { youngQueueMs: 0, deletedRecentlyMs: 0 });
  clients = createSqsClients({
    endpoint: proxy.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIALAUNCHER', secretAccessKey: 'x' },
  });
}, 60_000);

afterAll(async () => {
  clients?.sqs.destroy();
  clients?.s3.destroy();
  await proxy?.close();
  await fx?.stop();
});

describe('shipping a job bundle behind the AWS rules layer (fauxqs)', () => {
  it('uploads a bundle whose HeadObject answers 403 (missing, no s3:ListBucket), then finds it', async () => {
    const resolved = await resolveJob(`${FIXTURES}user-job.ts`);
    try {
      const before = proxy.fired.get('s3-403') ?? 0;
      const first = await shipJob(resolved, clients.s3, fx.bucket);
      expect(proxy.fired.get('s3-403')).toBe(before + 1);
      expect(first.uploadedBytes).toBeGreaterThan(0);
      expect(first.calls).toEqual({ HeadObject: 1, PutObject: 1 });
      const again = await shipJob(resolved, clients.s3, fx.bucket);
      expect(again.uploadedBytes).toBe(0);
      expect(again.calls).toEqual({ HeadObject: 1 });
    } finally {
      resolved.dispose();
    }
  });

  it('uploads a bundle again when it is older than the margin before its lifecycle expiry', async () => {
    const resolved = await resolveJob(`${FIXTURES}spins-forever.ts`);
    try {
      await shipJob(resolved, clients.s3, fx.bucket);
      // The same bundle, looked at a little more than REUPLOAD_AFTER_MS later.
      const later = () => Date.now() + REUPLOAD_AFTER_MS + 60_000;
      const aged = await shipJob(resolved, clients.s3, fx.bucket, later);
      expect(aged.uploadedBytes).toBeGreaterThan(0);
      expect(aged.calls).toEqual({ HeadObject: 1, PutObject: 1 });
    } finally {
      resolved.dispose();
    }
  });

  it('a rank whose bundle is gone (403 without s3:ListBucket) says it expired or was deleted, and what to do', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'tsmpi-ship-rules-'));
    const forbidden = proxy.fired.get('s3-403') ?? 0;
    try {
      const err = await loadShippedJob({
        s3: clients.s3,
        bucket: fx.bucket,
        key: 'jobs/0123456789abcdef.mjs',
        hash: '0123456789abcdef',
        workDir,
      }).catch((e: unknown) => e as Error);
      expect(err).toMatchObject({ name: 'JobLoadError' });
      expect((err as Error).message).toMatch(
        /could not download the job bundle s3:\/\/.*jobs\/0123456789abcdef\.mjs/,
      );
      expect((err as Error).message).toMatch(/lifecycle rule expires jobs\/ after 2 days/);
      expect((err as Error).message).toMatch(/run the job again/);
      // What the rank met was AWS's answer, 403, not the emulator's 404.
      expect(proxy.fired.get('s3-403')).toBe(forbidden + 1);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});
