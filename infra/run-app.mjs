// Runs a TypeScript CDK app on Node 20 without a build step: `node infra/run-app.mjs infra/app.ts`
// (this is the "app" command in cdk.json).
//
// Node 20 cannot run .ts files, so the app is bundled with the installed esbuild into one ES
// module and imported. Packages stay external (imported from node_modules as usual); only the
// app's own .ts files are bundled. The bundle is written under node_modules/.cache, inside the
// package, so those imports resolve and `import.meta.url` still lies within the package (the
// construct finds its handlers from it); it is named per process, so concurrent synths do not
// collide, and removed afterwards.
//
// In this repository (where functions/*.ts exist) the pre-bundled functions the construct deploys
// are rebuilt first, so a synth or deploy never ships a bundle older than the sources.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { bundleFunctions } from '../scripts/bundle-functions.mjs';

const entry = process.argv[2];
if (entry === undefined) {
  console.error('usage: node infra/run-app.mjs <app.ts>');
  process.exit(2);
}

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const outDir = join(root, 'node_modules', '.cache', 'tsmpi-cloud');
const outfile = join(outDir, `cdk-app-${process.pid}.mjs`);
mkdirSync(outDir, { recursive: true });
if (existsSync(join(root, 'functions', 'rank.ts'))) await bundleFunctions(root);

try {
  await build({
    entryPoints: [resolve(entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  await import(pathToFileURL(outfile).href);
} finally {
  rmSync(outfile, { force: true });
}
