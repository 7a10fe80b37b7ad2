// Tracing overhead on the local allreduce benchmark: the mean time of one small allreduce (max
// over ranks) with recording off, with --trace, with --trace --profile (stack capture per call),
// and, where TSMPI_BASELINE_DIST names the dist/ of an older build without the hooks, that build.
// Modes alternate within each round; the median over rounds is reported. Prints a table and
// writes bench/results/trace-overhead.json. Figures, never assertions.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { helpIfAsked } from './help.js';

helpIfAsked(import.meta.url);

const here = dirname(fileURLToPath(import.meta.url));
const job = join(here, 'jobs', 'allreduce-loop.mjs');
const ranks = Number(process.env.RANKS ?? 4);
const iters = Number(process.env.ITERS ?? 3000);
const rounds = Number(process.env.ROUNDS ?? 5);
const tmp = mkdtempSync(join(tmpdir(), 'tsmpi-trace-bench-'));

const { run } = await import(pathToFileURL(join(here, '..', 'dist', 'sdk', 'index.js')).href);
const baselineDir = process.env.TSMPI_BASELINE_DIST;
const baseline =
  baselineDir !== undefined && existsSync(join(baselineDir, 'sdk', 'index.js'))
    ? (await import(pathToFileURL(join(baselineDir, 'sdk', 'index.js')).href)).run
    : undefined;

const modes = {
  ...(baseline ? { 'no hooks (baseline build)': (o) => baseline(job, o) } : {}),
  off: (o) => run(job, o),
  trace: (o) => run(job, { ...o, trace: join(tmp, 't.json') }),
  'trace+profile': (o) => run(job, { ...o, trace: join(tmp, 'tp.json'), profile: true }),
};
const samples = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, f] of Object.entries(modes)) {
    const res = await f({ ranks, args: { iters }, onOutput: () => {} });
    samples[name].push(res.result * 1e6);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const off = median(samples.off);
const rows = Object.entries(samples).map(([mode, xs]) => ({
  mode,
  medianUs: Math.round(median(xs) * 100) / 100,
  vsOffPercent: Math.round(((median(xs) - off) / off) * 1000) / 10,
  samplesUs: xs.map((x) => Math.round(x * 100) / 100),
}));
console.log(`allreduce of one number, ${ranks} ranks, ${iters} calls, median of ${rounds} rounds`);
console.log(`${'mode'.padEnd(28)}${'µs/call'.padStart(10)}${'vs off'.padStart(10)}`);
for (const r of rows) {
  console.log(
    `${r.mode.padEnd(28)}${r.medianUs.toFixed(2).padStart(10)}${`${r.vsOffPercent >= 0 ? '+' : ''}${r.vsOffPercent}%`.padStart(10)}`,
  );
}
const out = { ranks, iters, rounds, rows };
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'trace-overhead.json'), `${JSON.stringify(out, null, 1)}\n`);
