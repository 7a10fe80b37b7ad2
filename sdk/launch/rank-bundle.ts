import { existsSync } from 'node:fs';

/** dist/rank/, written by `npm run build` (scripts/bundle-rank.mjs) next to dist/sdk/. */
const BUNDLE_DIR = new URL('../../rank/', import.meta.url);
let present: boolean | undefined;

/**
 * The URL of `file` (a path relative to dist/sdk/, e.g. `index.js`, `jobs/pi.js`) inside the rank
 * bundle, or `undefined` where there is no bundle (a build without it, or sources run directly):
 * then ranks import dist/sdk/ itself. Every URL a worker imports comes from here or from none, so a
 * rank never holds two instances of the runtime (the job's `Op`s and `Comm` are the runtime's own).
 *
 * @example
 * const workerUrl = rankBundleUrl('launch/local/rank-worker.js') ?? new URL('./rank-worker.js', import.meta.url).href;
 */
export function rankBundleUrl(file: string): string | undefined {
  present ??= existsSync(new URL('launch/local/rank-worker.js', BUNDLE_DIR));
  return present ? new URL(file, BUNDLE_DIR).href : undefined;
}
