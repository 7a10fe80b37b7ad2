// `--help` for the benchmark scripts: prints the comment block that opens the script (what it
// measures, how to run it, its options) and exits, instead of starting a run.
import { readFileSync } from 'node:fs';
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
