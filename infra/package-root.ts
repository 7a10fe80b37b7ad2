import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `name` in this package's package.json; how the root is recognised when walking up. */
const PACKAGE_NAME = 'tsmpi-cloud';

/**
 * The root directory of the tsmpi-cloud package this file belongs to.
 *
 * Found by walking up from this module's own location (`import.meta.url`), never from
 * `process.cwd()`, so it is right in every layout this file runs from: the source tree
 * (`infra/`), the compiled package (`dist/infra/`), a copy installed in another app's
 * `node_modules/tsmpi-cloud/`, and the single-file bundle `infra/run-app.mjs` writes under
 * `node_modules/.cache/`.
 */
export function packageRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readPackageName(manifest) === PACKAGE_NAME) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `Cannot find the ${PACKAGE_NAME} package root above ${fileURLToPath(from)}: ` +
          'no package.json named "tsmpi-cloud" in any parent directory. ' +
          'Pass the handler paths explicitly (the `rankEntry` prop of TsmpiCloud).',
      );
    }
    dir = parent;
  }
}

/**
 * The handler file `functions/<name>` of this package: the TypeScript source when present
 * (this repository, or a package published with its sources), else the compiled
 * `dist/functions/<name>.js` (the npm package ships only `dist/`). esbuild bundles either.
 */
export function functionEntry(name: string, root: string = packageRoot()): string {
  const candidates = [join(root, 'functions', `${name}.ts`), join(root, 'dist', 'functions', `${name}.js`)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new Error(
      `Cannot find the ${name} handler of ${PACKAGE_NAME}: looked for ${candidates.join(' and ')}. ` +
        (name === 'rank'
          ? 'Pass `rankEntry` to TsmpiCloud (or `-c rankEntry=<path>` to the CDK app), or build the package.'
          : 'Build the package (`npm run build`) or reinstall it.'),
    );
  }
  return found;
}

/**
 * The directory of the pre-bundled function `<name>` (`dist/functions/<name>/index.mjs`, written by
 * `npm run build` and shipped in the package): the asset the construct deploys, handler `index.handler`.
 *
 * @example
 * Code.fromAsset(functionAssetDir('sweeper'));
 */
export function functionAssetDir(name: string, root: string = packageRoot()): string {
  const dir = join(root, 'dist', 'functions', name);
  if (!existsSync(join(dir, 'index.mjs'))) {
    throw new Error(
      `Cannot find the pre-bundled ${name} function of ${PACKAGE_NAME}: ${join(dir, 'index.mjs')} is missing. ` +
        'In a clone of the repository run `npm run build`; in an installed package, reinstall tsmpi-cloud.',
    );
  }
  return dir;
}

function readPackageName(manifest: string): unknown {
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
  } catch {
    return undefined;
  }
}
