// `--help` for the benchmark scripts: prints the comment block that opens the script (what it
// measures, how to run it, its options) and exits, instead of starting a run.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';

/** Call first thing with `import.meta.url`: on `--help` or `-h`, prints the script's header and exits 0. */
export function helpIfAsked(scriptUrl) {
  if (!isMainThread) return;
  const args = process.argv.slice(2);
  if (!args.includes('--help') && !args.includes('-h')) return;
  const path = fileURLToPath(scriptUrl);
  const header = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.startsWith('//')) break;
    header.push(line.replace(/^\/\/ ?/, ''));
  }
  console.log(header.join('\n').trim() || `node ${path}`);
  process.exit(0);
}

/**
 * Imports `rel`, a module of the build (`../dist/...`, relative to the script at `scriptUrl`).
 * Scripts call it after `helpIfAsked`, so `--help` works before `npm run build`; without a build
 * it says what to do instead of failing to resolve a path.
 */
export async function fromDist(scriptUrl, rel) {
  const url = new URL(rel, scriptUrl);
  if (!existsSync(fileURLToPath(url))) {
    console.error(
      `${fileURLToPath(url)} is missing: run \`npm run build\` first (benchmarks run the built code).`,
    );
    process.exit(2);
  }
  return import(url.href);
}
