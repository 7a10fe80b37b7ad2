/**
 * Shipping a user's job to the ranks: the bundle `resolveJob` made imports the runtime by this
 * machine's file URL (`file:///…/sdk/index.js`), which means nothing on Lambda. It is bundled
 * once more, with that import turned into the bare specifier `tsmpi-cloud`, which the rank
 * function resolves to its own runtime (see `sdk/runtime/lambda/job-module.ts`), and uploaded
 * to the stack's bucket as `jobs/<hash>.mjs`, keyed by content hash so an unchanged job is
 * uploaded once.
 */

import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { UsageError } from '../../base/errors.js';
import { BUCKET_EXPIRY_DAYS, jobObjectKey } from '../../base/stack-contract.js';
import type { RankJobRef } from '../../runtime/lambda/rank-event.js';
import { loadEsbuild, type ResolvedJob, sdkEntryUrl } from '../job-source.js';

/** The bundle as ranks import it: `tsmpi-cloud` external, everything else inside. */
export async function retargetJobBundle(
  bundlePath: string,
  runtimeUrl: string = sdkEntryUrl(),
): Promise<{ code: Uint8Array; hash: string }> {
  const esbuild = loadEsbuild();
  // The output names its input (a comment, the source map): build from a copy with a fixed name,
  // in a directory of its own, so that an unchanged job gives the same bytes, hash and S3 key.
  const dir = mkdtempSync(join(tmpdir(), 'tsmpi-cloud-ship-'));
  const input = join(dir, 'job-bundle.mjs');
  copyFileSync(bundlePath, input);
  let result: Awaited<ReturnType<typeof esbuild.build>>;
  try {
    result = await esbuild.build({
      entryPoints: [input],
      absWorkingDir: dir,
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // The rank function runs with --enable-source-maps: errors point into the user's own files.
      sourcemap: 'inline',
      logLevel: 'silent',
      outfile: 'job.mjs',
      plugins: [
        {
          name: 'tsmpi-cloud-on-lambda',
          setup(build) {
            build.onResolve({ filter: /^(file:|tsmpi-cloud$)/ }, (args) => {
              if (args.path === runtimeUrl || args.path === 'tsmpi-cloud')
                return { path: 'tsmpi-cloud', external: true };
              return {
                errors: [
                  { text: `the job imports ${args.path}, a local file URL that does not exist on Lambda` },
                ],
              };
            });
          },
        },
      ],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const out = result.outputFiles?.[0];
  if (out === undefined)
    throw new UsageError(`could not prepare job bundle ${bundlePath} for Lambda: esbuild produced no output`);
  const code = out.contents;
  return { code, hash: createHash('sha256').update(code).digest('hex').slice(0, 16) };
}

/** What `shipJob` did, for timings and the cost report. */
export interface ShippedJob {
  ref: RankJobRef;
  /** Bytes uploaded (0 when the bundle was there already, or for built-ins). */
  uploadedBytes: number;
  calls: Record<string, number>;
}

/**
 * A bundle uploaded longer ago than this is uploaded again. The lifecycle rule expires `jobs/`
 * objects after {@link BUCKET_EXPIRY_DAYS}.jobs days and S3 removes them asynchronously, at any
 * moment after that: a bundle found by HeadObject must outlive the job that is about to use it
 * (a rank downloads it up to its 15-minute Lambda timeout later). One day of margin; a re-upload
 * costs one PUT of a few hundred KiB and resets the object's age.
 */
export const REUPLOAD_AFTER_MS = (BUCKET_EXPIRY_DAYS.jobs - 1) * 86_400_000;

/**
 * Makes the job available to the ranks: built-ins by name (they are in the function bundle),
 * files uploaded to `jobs/<hash>.mjs` unless that object exists already and is young enough to
 * outlive the job (see {@link REUPLOAD_AFTER_MS}).
 */
export async function shipJob(
  job: ResolvedJob,
  s3: S3Client,
  bucket: string,
  now: () => number = Date.now,
): Promise<ShippedJob> {
  if (job.kind === 'builtin') return { ref: { builtin: job.name }, uploadedBytes: 0, calls: {} };
  if (job.bundlePath === undefined) throw new UsageError(`job ${job.name} has no bundle to ship`);
  const { code, hash } = await retargetJobBundle(job.bundlePath);
  const key = jobObjectKey(hash);
  const calls: Record<string, number> = { HeadObject: 1 };
  if (await isFreshObject(s3, bucket, key, now()))
    return { ref: { s3Key: key, hash }, uploadedBytes: 0, calls };
  calls.PutObject = 1;
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: code, ContentType: 'text/javascript' }),
  );
  return { ref: { s3Key: key, hash }, uploadedBytes: code.length, calls };
}

/**
 * Whether `key` exists and was written less than {@link REUPLOAD_AFTER_MS} ago. Missing is 404,
 * or 403 for a caller without s3:ListBucket ("If you don't have the s3:ListBucket permission,
 * Amazon S3 returns an HTTP status code 403", HeadObject API reference): either way the bundle is
 * uploaded, and a PutObject that is denied too reports the missing permission.
 */
async function isFreshObject(s3: S3Client, bucket: string, key: string, now: number): Promise<boolean> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const written = head.LastModified?.getTime();
    return written !== undefined && now - written < REUPLOAD_AFTER_MS;
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    if (e.name === 'NotFound' || e.name === 'NoSuchKey' || status === 404 || status === 403) return false;
    throw err;
  }
}
