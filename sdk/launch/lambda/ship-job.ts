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
import { jobObjectKey } from '../../base/stack-contract.js';
import type { RankJobRef } from '../../runtime/lambda/rank-event.js';
import { type ResolvedJob, sdkEntryUrl } from '../job-source.js';

/** The bundle as ranks import it: `tsmpi-cloud` external, everything else inside. */
export async function retargetJobBundle(
  bundlePath: string,
  runtimeUrl: string = sdkEntryUrl(),
): Promise<{ code: Uint8Array; hash: string }> {
  const esbuild = await import('esbuild');
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
 * Makes the job available to the ranks: built-ins by name (they are in the function bundle),
 * files uploaded to `jobs/<hash>.mjs` unless that object exists already.
 */
export async function shipJob(job: ResolvedJob, s3: S3Client, bucket: string): Promise<ShippedJob> {
  if (job.kind === 'builtin') return { ref: { builtin: job.name }, uploadedBytes: 0, calls: {} };
  if (job.bundlePath === undefined) throw new UsageError(`job ${job.name} has no bundle to ship`);
  const { code, hash } = await retargetJobBundle(job.bundlePath);
  const key = jobObjectKey(hash);
  const calls: Record<string, number> = { HeadObject: 1 };
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { ref: { s3Key: key, hash }, uploadedBytes: 0, calls };
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name !== 'NotFound' && e.name !== 'NoSuchKey' && e.$metadata?.httpStatusCode !== 404) throw err;
  }
  calls.PutObject = 1;
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: code, ContentType: 'text/javascript' }),
  );
  return { ref: { s3Key: key, hash }, uploadedBytes: code.length, calls };
}
