// Bundles what a rank's worker thread loads into dist/rank/ (run by `npm run build`, after tsc).
//
// A worker that imports dist/sdk/ resolves, reads and compiles ~90 modules; every rank pays that
// again (issue 10: it was most of `run hello --ranks 64`). From dist/rank/ it reads a few files.
// Entry points, code split so they share one module instance inside a worker:
//   rank-worker.js    the worker's entry
//   index.js          what a job's `import 'tsmpi-cloud'` resolves to inside a worker
//   jobs/<name>.js    each built-in job
// `run()` (and the launchers below it) stays outside, imported from dist/sdk/ on its first call: it
// locates files by import.meta.url, which a bundle would move, and a rank rarely calls it, so a
// job's `import 'tsmpi-cloud'` does not load the launchers, esbuild's API or node:crypto.
// Packages (the AWS SDK, esbuild) stay external: the SQS rank transport loads them on demand.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const sdk = path.join(root, 'dist', 'sdk');
const outdir = path.join(root, 'dist', 'rank');
const { BUILTIN_JOBS } = await import(new URL('../dist/sdk/jobs/registry.js', import.meta.url).href);

rmSync(outdir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: [
    path.join(sdk, 'launch', 'local', 'rank-worker.js'),
    path.join(sdk, 'index.js'),
    ...Object.values(BUILTIN_JOBS).map((j) => path.join(sdk, 'jobs', j.module)),
  ],
  outbase: sdk,
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  // No keepNames: it wraps every function the code creates in `__name(fn, ...)`, a
  // defineProperty per closure, which was a quarter of a collective call's own cost (issue 10).
  // Names survive without it: nothing in the bundle is renamed but a few local variables
  // (`npm run build` fails if a class or function would be, see below), and error names are set
  // explicitly.
  keepNames: false,
  // Maps back to the TypeScript sources (through tsc's maps): stack traces and --profile call
  // sites of built-in jobs name e.g. pi.ts:30, as they did from dist/sdk/.
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [
    {
      name: 'run-from-dist-sdk',
      setup(build) {
        build.onResolve({ filter: /^\.\/run\.js$/ }, (a) =>
          a.importer === path.join(sdk, 'index.js') ? { path: 'run', namespace: 'lazy-run' } : undefined,
        );
        build.onResolve({ filter: /^\.\.\/sdk\/run\.js$/, namespace: 'lazy-run' }, (a) => ({
          path: a.path,
          external: true,
        }));
        build.onLoad({ filter: /.*/, namespace: 'lazy-run' }, () => ({
          contents: `/** Runs a job (see dist/sdk/run.js): loaded on the first call. */
export async function run(job, options) {
  const sdk = await import('../sdk/run.js');
  return sdk.run(job, options);
}`,
          loader: 'js',
        }));
      },
    },
  ],
});

// A class or function renamed by bundling (esbuild suffixes a number on a clash) would change
// its `name`, which errors and stack traces show: fail the build instead.
{
  const { readdirSync, readFileSync } = await import('node:fs');
  const declared =
    /^(?:export )?(?:async )?(?:class|function\*?) ([A-Za-z_$][\w$]*)\b|^(?:var|let|const) ([A-Za-z_$][\w$]*) = class\b/gm;
  const namesIn = (text) => [...text.matchAll(declared)].map((m) => m[1] ?? m[2]);
  const sources = new Set();
  for (const f of readdirSync(sdk, { recursive: true })) {
    if (f.endsWith('.js')) for (const n of namesIn(readFileSync(path.join(sdk, f), 'utf8'))) sources.add(n);
  }
  const renamed = [];
  for (const f of readdirSync(outdir).filter((n) => n.endsWith('.js'))) {
    for (const n of namesIn(readFileSync(path.join(outdir, f), 'utf8')))
      if (!sources.has(n)) renamed.push(`${f}: ${n}`);
  }
  if (renamed.length > 0) {
    throw new Error(
      `bundling renamed these classes or functions (their name would change): ${renamed.join(', ')}`,
    );
  }
}
