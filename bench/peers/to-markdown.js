// Prints bench/results/peers.json (or the file given) as a markdown table, every repetition shown:
//   node bench/peers/to-markdown.js [bench/results/peers.json]
import { readFileSync } from 'node:fs';

if (process.argv[2] === '--help' || process.argv[2] === '-h') {
  console.log('Usage: node bench/peers/to-markdown.js [peers.json]   (default bench/results/peers.json)');
  process.exit(0);
}
const file = process.argv[2] ?? new URL('../results/peers.json', import.meta.url);
const r = JSON.parse(readFileSync(file, 'utf8'));
const f = (x) =>
  x === undefined || x === null
    ? ''
    : x >= 100
      ? x.toFixed(0)
      : x >= 10
        ? x.toFixed(1)
        : x >= 1
          ? x.toFixed(2)
          : x.toPrecision(2);
const peer = r.peers[0]?.name;
console.log(
  `${r.date}, Node ${r.node}, ${r.cores} cores (${r.cpu}), ${r.reps} repetitions alternating; ` +
    `load average (1 min) ${r.loadAverage1m.before.toFixed(1)} before, ${r.loadAverage1m.after.toFixed(1)} after.\n`,
);
console.log(
  `| measure | ours (median; each rep) | ${peer ?? 'peer'} (median; each rep) | ratio | spread of ratios | target | met |`,
);
console.log('|---|---|---|---|---|---|---|');
for (const row of r.rows) {
  const s = r.samples[row.measure];
  const ours = `${row.ours} (${s.ours.map(f).join(', ')})`;
  const ps = peer === undefined ? undefined : s[peer];
  const theirs = ps === undefined ? '' : `${row[peer]} (${ps.map(f).join(', ')})`;
  console.log(
    `| ${row.measure} | ${ours} | ${theirs} | ${row[`ratio vs ${peer}`] ?? ''} | ${row.spread ?? ''} | ${row.target ?? ''} | ${row.met ?? ''} |`,
  );
}
if (r.scale?.length) {
  console.log('\n| job | ranks | wall s | CPU s | peak RSS MiB | ok |\n|---|---|---|---|---|---|');
  for (const s of r.scale)
    console.log(
      `| ${s.job} | ${s.ranks} | ${s['wall s']} | ${s['CPU s']} | ${s['peak RSS MiB']} | ${s.ok} |`,
    );
}
