// Core benchmarks of the local backend (issue 2): collective latency, ping-pong, the pi kernel,
// and `run pi --ranks 64` end to end with its peak memory. Prints tables, writes JSON.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { fromDist, helpIfAsked } from './help.js';

helpIfAsked(import.meta.url);
// The build is imported after `--help` is handled, so `--help` works before `npm run build`.
const { run } = await fromDist(import.meta.url, '../dist/sdk/index.js');

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const quiet = { onOutput: () => {} };
const results = { machine: { cores: availableParallelism(), cpu: cpus()[0]?.model, node: process.version } };

const table = (title, rows) => {
  console.log(`\n${title}`);
  console.table(rows);
};

// Collective latency at 2, 8, 64 ranks.
const coll = [];
for (const ranks of [2, 8, 64]) {
  const iters = ranks <= 2 ? 20000 : ranks <= 8 ? 2000 : 100;
  const res = await run(here('./jobs/collective-latency.mjs'), { ranks, args: { iters }, ...quiet });
  const r = res.result;
  coll.push({
    ranks,
    'allreduce µs': +(r.allreduce * 1e6).toFixed(1),
    'bcast µs': +(r.bcast * 1e6).toFixed(1),
    'reduce µs': +(r.reduce * 1e6).toFixed(1),
    'barrier µs': +(r.barrier * 1e6).toFixed(1),
  });
}
results.collectives = coll;
table('Collective latency (local backend, per call, max over ranks)', coll);

// Ping-pong.
const pp = await run(here('./jobs/ping-pong.mjs'), { ranks: 2, ...quiet });
results.pingPong = pp.result.map((r) => ({
  bytes: r.bytes,
  'object one-way µs': +r.objectOneWayUs.toFixed(2),
  'Float64Array one-way µs': +r.float64OneWayUs.toFixed(2),
}));
table('Ping-pong between 2 ranks (one-way = round trip / 2)', results.pingPong);

// pi: kernel speed per rank and the 2-rank run of 1e8 samples.
const pi2 = await run('pi', { ranks: 2, args: { samples: 100_000_000 }, ...quiet });
const pi1 = await run('pi', { ranks: 1, args: { samples: 50_000_000 }, ...quiet });
results.pi = {
  kernelSamplesPerSecondPerCore: Math.round(pi1.result.samplesPerSecondPerRank),
  twoRanks1e8JobSeconds: +(pi2.timings.computeMs / 1000).toFixed(3),
  twoRanks1e8TotalSeconds: +(pi2.timings.totalMs / 1000).toFixed(3),
  twoRanksSamplesPerSecondPerRank: Math.round(pi2.result.samplesPerSecondPerRank),
};
table('pi', [results.pi]);

// `run pi --ranks 64` end to end in a fresh process: wall time and peak RSS.
const t0 = performance.now();
const out = execFileSync(
  process.execPath,
  [
    '--input-type=module',
    '-e',
    `const { run } = await import(${JSON.stringify(new URL('../dist/sdk/index.js', import.meta.url).href)});
     const r = await run('pi', { ranks: 64, onOutput: () => {} });
     console.log(JSON.stringify({ timings: r.timings, maxRssKiB: process.resourceUsage().maxRSS }));`,
  ],
  { encoding: 'utf8' },
);
const wall = performance.now() - t0;
const e2e = JSON.parse(out.trim().split('\n').pop());
results.pi64 = {
  wallSeconds: +(wall / 1000).toFixed(2),
  startupSeconds: +(e2e.timings.startupMs / 1000).toFixed(2),
  computeSeconds: +(e2e.timings.computeMs / 1000).toFixed(3),
  peakRssMiB: Math.round(e2e.maxRssKiB / 1024),
};
table('run pi --ranks 64 end to end (fresh process)', [results.pi64]);

mkdirSync(here('./results'), { recursive: true });
writeFileSync(here('./results/core.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log('\nwrote bench/results/core.json');
