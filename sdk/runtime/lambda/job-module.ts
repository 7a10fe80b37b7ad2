/**
 * Loading a rank's job inside the rank function.
 *
 * Built-in jobs are imported statically (by literal paths), so esbuild puts them in the function
 * bundle: no file lookup, no download.
 *
 * User jobs arrive as an ES module bundle in the stack's bucket, `jobs/<hash>.mjs`, built by the
 * launcher with `tsmpi-cloud` left as a bare external import. The function bundle is one file
 * with no `node_modules`, so that import is made to resolve by Node's own rules: the rank writes
 *
 *   <tmp>/tsmpi-cloud/jobs/<hash>.mjs                          the job
 *   <tmp>/tsmpi-cloud/node_modules/tsmpi-cloud/index.mjs       a shim
 *
 * and the shim re-exports the runtime's exports from a `globalThis` handle the handler set
 * (`Symbol.for('tsmpi-cloud.runtime')`). No loader hooks, no rewriting of the user's code, and
 * the job gets the very module instances the rank runs on.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { resolveRetryPolicy } from '../../base/retry.js';
import { BUCKET_EXPIRY_DAYS } from '../../base/stack-contract.js';
import { isJob, type Job, type JobFunction } from '../../jobs/define-job.js';
import { classifyAwsError } from '../../transport/sqs/aws-error-kind.js';
import { withRetries } from '../../transport/sqs/retry.js';
import { JobLoadError, loadJob } from '../load-job.js';

/** Where `globalThis` holds the runtime's exports for the shim. */
export const RUNTIME_HANDLE = Symbol.for('tsmpi-cloud.runtime');

/**
 * The built-in jobs, by name. Literal import paths, so they are bundled; a unit test keeps the
 * names equal to `BUILTIN_JOBS`.
 */
export const BUILTIN_JOB_MODULES: Record<string, () => Promise<{ default: unknown }>> = {
  pi: () => import('../../jobs/pi.js'),
  hello: () => import('../../jobs/hello.js'),
  'send-recv': () => import('../../jobs/send-recv.js'),
  broadcast: () => import('../../jobs/broadcast.js'),
  'scatter-gather': () => import('../../jobs/scatter-gather.js'),
  reduce: () => import('../../jobs/reduce.js'),
  'pi-nonblocking': () => import('../../jobs/pi-nonblocking.js'),
};

/** Loads a built-in job from the function bundle. */
export async function loadBuiltinJob(name: string): Promise<Job> {
  const load = Object.hasOwn(BUILTIN_JOB_MODULES, name) ? BUILTIN_JOB_MODULES[name] : undefined;
  if (load === undefined) {
    throw new JobLoadError(
      `built-in job \`${name}\` is not in this rank function (it has ${Object.keys(BUILTIN_JOB_MODULES).join(', ')}): ` +
        'deploy the stack again with `cdk deploy` from the same tsmpi-cloud version as the CLI',
    );
  }
  const def = (await load()).default;
  if (isJob(def)) return def;
  if (typeof def === 'function') return { fn: def as JobFunction } as Job;
  throw new JobLoadError(`built-in job \`${name}\` has no job as its default export`);
}

/** The directory under which shipped jobs and the runtime shim are written (`/tmp/tsmpi-cloud` on Lambda). */
export function defaultWorkDir(): string {
  return join(tmpdir(), 'tsmpi-cloud');
}

/** Writes a file so that no reader ever sees it half written (several ranks may share a disk in tests). */
function writeAtomically(file: string, contents: string | Uint8Array): void {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, contents);
  renameSync(temp, file);
}

/** The shim module's source: one `export const` per runtime export, read from the global handle. */
export function runtimeShimSource(exportNames: readonly string[]): string {
  for (const name of exportNames) {
    if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name))
      throw new TypeError(`runtime export \`${name}\` is not an identifier`);
  }
  const key = "Symbol.for('tsmpi-cloud.runtime')";
  return [
    '// Written by the tsmpi-cloud rank function: `tsmpi-cloud` for user jobs, the runtime that runs them.',
    `const runtime = globalThis[${key}];`,
    "if (runtime === undefined) throw new Error('tsmpi-cloud: the rank runtime is not loaded (this module is only for jobs run by the rank function)');",
    `export const { ${exportNames.join(', ')} } = runtime;`,
    '',
  ].join('\n');
}

/**
 * Publishes the runtime's exports on `globalThis` and writes the `tsmpi-cloud` shim package under
 * `workDir/node_modules`. Idempotent per process.
 */
export function installRuntimeAlias(
  runtime: Record<string, unknown>,
  workDir: string = defaultWorkDir(),
): void {
  (globalThis as Record<symbol, unknown>)[RUNTIME_HANDLE] = runtime;
  const dir = join(workDir, 'node_modules', 'tsmpi-cloud');
  mkdirSync(dir, { recursive: true });
  writeAtomically(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'tsmpi-cloud', type: 'module', exports: './index.mjs', private: true })}\n`,
  );
  writeAtomically(join(dir, 'index.mjs'), runtimeShimSource(Object.keys(runtime).sort()));
}

/** The first 16 hex digits of the SHA-256 of `code`: how shipped bundles are named. */
export function bundleHash(code: Uint8Array): string {
  return createHash('sha256').update(code).digest('hex').slice(0, 16);
}

/**
 * Downloads `jobs/<hash>.mjs` (unless this environment has it already), checks its hash, and
 * imports it (a fresh instance per distinct `instance`). Requires `installRuntimeAlias` first.
 */
export async function loadShippedJob(options: {
  s3: S3Client;
  bucket: string;
  key: string;
  hash: string;
  workDir?: string;
  onCall?: (action: string) => void;
  /**
   * Names this load: each distinct value imports a fresh module instance (the ESM cache is keyed
   * by URL), so a warm environment never hands a job the module state an earlier run left.
   */
  instance?: string;
}): Promise<{ job: Job; downloaded: boolean }> {
  const { s3, bucket, key, hash } = options;
  const dir = join(options.workDir ?? defaultWorkDir(), 'jobs');
  const file = join(dir, `${hash}.mjs`);
  let downloaded = false;
  if (!existsSync(file)) {
    const res = await withRetries(
      () => {
        options.onCall?.('GetObject');
        return s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      },
      { policy: resolveRetryPolicy(undefined, 'loadShippedJob'), what: `GetObject s3://${bucket}/${key}` },
    ).catch((err: unknown) => {
      const kind = classifyAwsError(err);
      // A missing key answers 403, not 404, to a role without s3:ListBucket (the rank's).
      const missing =
        kind === 'no-such-key' || kind === 'access-denied'
          ? ": the object is missing (the bucket's lifecycle rule expires jobs/ after " +
            `${BUCKET_EXPIRY_DAYS.jobs} days, or it was deleted) or the rank's role may not read it; ` +
            "run the job again (the launcher uploads the bundle anew), and check that the rank function is the deployed stack's"
          : '';
      throw new JobLoadError(
        `could not download the job bundle s3://${bucket}/${key}: ${(err as Error).name}: ${(err as Error).message}${missing}`,
        { cause: err },
      );
    });
    const code = await res.Body?.transformToByteArray();
    if (code === undefined) throw new JobLoadError(`the job bundle s3://${bucket}/${key} is empty`);
    const actual = createHash('sha256').update(code).digest('hex');
    if (actual.slice(0, hash.length) !== hash) {
      throw new JobLoadError(
        `the job bundle s3://${bucket}/${key} does not match its hash (content hash ${actual.slice(0, hash.length)}): it was changed after upload`,
      );
    }
    mkdirSync(dir, { recursive: true });
    writeAtomically(file, code);
    downloaded = true;
  }
  const url = pathToFileURL(file);
  if (options.instance !== undefined) url.searchParams.set('instance', options.instance);
  const job = await loadJob(url.href, key);
  return { job, downloaded };
}
