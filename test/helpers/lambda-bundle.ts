/**
 * Test-only: bundles `functions/rank.ts` the way the CDK construct does (`NodejsFunction` with
 * local esbuild: one minified ES module, the AWS SDK bundled, `require` defined by a banner), so
 * tests run the very code that is deployed. The only difference is the target: `node20` (the
 * Node these tests run on) instead of the runtime's `node24`.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

export const RANK_ENTRY = fileURLToPath(new URL('../../functions/rank.ts', import.meta.url));
/** The worker of a node's ranks, bundled next to the function as the construct's asset has it. */
export const NODE_WORKER_ENTRY = fileURLToPath(
  new URL('../../functions/rank-node-worker.ts', import.meta.url),
);

/** The banner of the construct's bundling options. */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __tsmpiCreateRequire } from 'node:module'; const require = __tsmpiCreateRequire(import.meta.url);";

export interface RankBundle {
  /** The bundle's path and file URL. */
  file: string;
  url: string;
  bytes: number;
  /** Removes the bundle's directory. */
  dispose(): void;
}

/** Builds the rank function bundle into a fresh temporary directory. */
export async function buildRankBundle(
  options: { target?: string; sourcemap?: boolean } = {},
): Promise<RankBundle> {
  const dir = mkdtempSync(join(tmpdir(), 'tsmpi-rank-bundle-'));
  const file = join(dir, 'index.mjs');
  const common: BuildOptions = {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: options.target ?? 'node20',
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    sourcemap: options.sourcemap ?? true,
    logLevel: 'warning',
  };
  await Promise.all([
    build({ ...common, entryPoints: [RANK_ENTRY], outfile: file }),
    build({ ...common, entryPoints: [NODE_WORKER_ENTRY], outfile: join(dir, 'node-worker.mjs') }),
  ]);
  return {
    file,
    url: pathToFileURL(file).href,
    bytes: statSync(file).size,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
