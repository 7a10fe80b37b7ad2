// Bundles the Lambda functions of the package at build time (`npm run build` runs this after
// tsc): `functions/<name>.ts` becomes `dist/functions/<name>/index.mjs` (+ `.map`), one
// self-contained ES module per function with its dependencies, the AWS SDK included.
//
// The construct deploys these directories as they are (`Code.fromAsset`), so a consumer's
// `cdk synth` needs neither esbuild nor a lock file, and the asset hash is the same on every
// machine: the bytes come from the published tarball, not from a bundler run on the user's side.
// Source-map paths are relative to the output, so the bundle holds no machine-specific path.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

/** The functions shipped pre-bundled; each is `functions/<name>.ts` exporting `handler`. */
export const BUNDLED_FUNCTIONS = ['rank', 'sweeper'];

/**
 * Further entries bundled into a function's directory, by function: `<file>.mjs` from
 * `functions/<entry>.ts`. The rank function spawns one `node-worker.mjs` thread per rank of a
 * node (several ranks per invocation), so the worker must ship in the same asset.
 */
export const EXTRA_ENTRIES = { rank: { 'node-worker': 'rank-node-worker' } };

/**
 * Defines `require` in the ESM bundles: bundled CommonJS dependencies (parts of the AWS SDK)
 * call `require('node:…')`, which ES modules do not have.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __tsmpiCreateRequire } from 'node:module'; const require = __tsmpiCreateRequire(import.meta.url);";

/**
 * Bundles every function of `root` into `root/dist/functions/<name>/`; resolves with the
 * directories. A file whose bytes did not change is not rewritten, and a changed one is replaced
 * by a rename, so concurrent synths (`infra/run-app.mjs` calls this) never see a half-written asset.
 */
export async function bundleFunctions(root = dirname(dirname(fileURLToPath(import.meta.url)))) {
  const dirs = [];
  for (const name of BUNDLED_FUNCTIONS) {
    const outDir = join(root, 'dist', 'functions', name);
    mkdirSync(outDir, { recursive: true });
    const entries = { index: name, ...EXTRA_ENTRIES[name] };
    for (const [file, entry] of Object.entries(entries))
      await bundleOne(root, entry, join(outDir, `${file}.mjs`));
    dirs.push(outDir);
  }
  return dirs;
}

/** Bundles `functions/<entry>.ts` into `outfile` (+ `.map`), rewriting only what changed. */
async function bundleOne(root, entry, outfile) {
  const { outputFiles } = await build({
    write: false,
    absWorkingDir: root,
    entryPoints: [join(root, 'functions', `${entry}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    // The runtime of both functions (Runtime.NODEJS_24_X in the construct).
    target: 'node24',
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    // The functions run with --enable-source-maps: traces name the TypeScript lines. The
    // sources themselves stay out (smaller asset; traces need only the mappings).
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const file of outputFiles) {
    if (existsSync(file.path) && Buffer.compare(readFileSync(file.path), file.contents) === 0) continue;
    const scratch = `${file.path}.${process.pid}.tmp`;
    writeFileSync(scratch, file.contents);
    renameSync(scratch, file.path);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dirs = await bundleFunctions();
  for (const dir of dirs) console.log(`bundled ${dir}/index.mjs`);
}
