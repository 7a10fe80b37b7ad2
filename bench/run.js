// `npm run bench`: every benchmark in turn. Each prints a table and writes bench/results/<name>.json.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { helpIfAsked } from './help.js';

helpIfAsked(import.meta.url);

const only = process.argv.slice(2);
const all = [
  'core.js',
  'memory-transport.js',
  'sqs-transport.js',
  'collectives.js',
  'trace-overhead.js',
  'peers/peers.js',
];
let failed = 0;
for (const file of all) {
  const path = fileURLToPath(new URL(`./${file}`, import.meta.url));
  if (!existsSync(path) || (only.length > 0 && !only.some((o) => file.startsWith(o)))) continue;
  console.log(`\n=== bench/${file}`);
  const r = spawnSync(process.execPath, [path], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed > 0 ? 1 : 0;
