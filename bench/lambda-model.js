// The aws backend, measured where it can be and modelled where it cannot (no AWS here).
//
//   npm run build && node bench/lambda-model.js
//
// Measured on this machine:
//   1. the rank function bundle, built as the CDK construct builds it (esbuild: one minified ES
//      module, AWS SDK inside): size, and zipped size (what Lambda stores);
//   2. its cold-start import time: a fresh `node` process importing the bundle, median of 5,
//      with and without --enable-source-maps (the function runs with it);
//   3. the launcher's CPU per async Invoke (SDK serialization + SigV4 signing), against a local
//      HTTP server answering 202, so the network is not in it;
//   4. the pi kernel's speed on one core.
// Modelled (sdk/launch/lambda/fan-out-model.ts, published Lambda figures, SQS hop p50 16 ms /
// p99 105 ms): `run pi --ranks 64` and `--ranks 1000` end to end — launch, first and last rank
// started, the two reduces of pi, teardown.
//
// Prints a table and writes bench/results/lambda-model.json. Figures, never assertions.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { build } from 'esbuild';
import { fromDist, helpIfAsked } from './help.js';

helpIfAsked(import.meta.url);
// The build is imported after `--help` is handled, so `--help` works before `npm run build`.
const { countInsideStreams } = await fromDist(import.meta.url, '../dist/sdk/jobs/pi-kernel.js');
const { DEFAULT_FAN_OUT_PARAMETERS, planFanOut } = await fromDist(
  import.meta.url,
  '../dist/sdk/launch/lambda/fan-out-model.js',
);

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(here);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) =>
  ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`;

// --- 1. The bundle ------------------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'tsmpi-rank-bench-'));
const file = join(dir, 'index.mjs');
await build({
  entryPoints: [join(root, 'functions/rank.ts')],
  outfile: file,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  mainFields: ['module', 'main'],
  banner: {
    js: "import { createRequire as __tsmpiCreateRequire } from 'node:module'; const require = __tsmpiCreateRequire(import.meta.url);",
  },
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
const bundleBytes = statSync(file).size;
const mapBytes = statSync(`${file}.map`).size;
const zippedBytes = gzipSync(Buffer.concat([readFileSync(file), readFileSync(`${file}.map`)])).length;

// --- 2. Cold-start import -----------------------------------------------------------------------
function importMs(flags) {
  const code = `const t=performance.now();await import(${JSON.stringify(`file://${file}`)});process.stdout.write(String(performance.now()-t))`;
  const runs = [];
  for (let i = 0; i < 5; i++) {
    const r = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', code], {
      encoding: 'utf8',
      env: { ...process.env, AWS_REGION: 'us-east-1' },
    });
    runs.push(Number(r.stdout));
  }
  return { medianMs: median(runs), runs };
}
const coldImport = importMs([]);
const coldImportSourceMaps = importMs(['--enable-source-maps']);
rmSync(dir, { recursive: true, force: true });

// --- 3. Launcher CPU per Invoke -----------------------------------------------------------------
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(202).end());
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const lambda = new LambdaClient({
  endpoint: `http://127.0.0.1:${server.address().port}`,
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  requestHandler: { httpAgent: { keepAlive: true, maxSockets: 64 } },
});
const payload = new TextEncoder().encode(
  JSON.stringify({
    v: 1,
    jobId: 'x'.repeat(14),
    rank: 1,
    size: 1000,
    controlUrl: `https://sqs.us-east-1.amazonaws.com/123456789012/${'p'.repeat(40)}`,
    job: { builtin: 'pi' },
    launchedAt: Date.now(),
  }),
);
const invoke = () =>
  lambda.send(new InvokeCommand({ FunctionName: 'f', InvocationType: 'Event', Payload: payload }));
for (let i = 0; i < 200; i++) await invoke();
const n = 2000;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: 64 }, async () => {
    while (next++ < n) await invoke();
  }),
);
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const invokeCpuMs = (cpu.user + cpu.system) / 1000 / n;
lambda.destroy();
server.close();

// --- 4. The pi kernel ---------------------------------------------------------------------------
countInsideStreams(1e6, 1, 0);
const kt = performance.now();
countInsideStreams(2e7, 1, 0);
const samplesPerSecond = 2e7 / ((performance.now() - kt) / 1000);

// --- The model ----------------------------------------------------------------------------------
// One SQS hop: log-normal with p50 16 ms, p99 105 ms (the transport benchmark's model of SQS).
const Z99 = 2.3263478740408408;
const mu = Math.log(16);
const sigma = Math.log(105 / 16) / Z99;
function hop() {
  const u1 = 1 - Math.random();
  const u2 = Math.random();
  return Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
}
/** A k-nomial reduce to rank 0 (what pi's reduce runs over SQS, radix min(8, size)): completion time. */
function reduceMs(size, radix) {
  // done[r]: when rank r has its subtree's value; children of r at distance radix^level.
  const done = new Array(size).fill(0);
  for (let span = 1; span < size; span *= radix) {
    for (let r = 0; r < size; r += span * radix) {
      for (let k = 1; k < radix; k++) {
        const child = r + k * span;
        if (child < size) done[r] = Math.max(done[r], done[child] + hop());
      }
    }
  }
  return done[0];
}
function simulate(size, trials = 2000) {
  const xs = Array.from(
    { length: trials },
    () => reduceMs(size, Math.max(2, Math.min(size, 8))) + reduceMs(size, Math.max(2, Math.min(size, 8))),
  );
  xs.sort((a, b) => a - b);
  return { p50: xs[Math.floor(trials / 2)], p99: xs[Math.floor(trials * 0.99)] };
}

// Lambda Arm (Graviton2, 1 vCPU at 1769 MB) runs this kernel at about 60% of a recent laptop core
// (assumption: SIMD WebAssembly at a lower clock); cold start = runtime boot ~120 ms + import.
const LAMBDA_SPEED = 0.6;
const coldStartMs = 120 + coldImportSourceMaps.medianMs * 1.5;
const SAMPLES = 10_000_000; // pi's default
const rows = [];
for (const ranks of [64, 1000]) {
  for (const latencyMs of [30, 80, 250]) {
    const plan = planFanOut(ranks, { latencyMs, clientCpuMs: invokeCpuMs, coldStartMs });
    const chosen = plan.strategy === 'tree' ? plan.tree : plan.client;
    const computeMs = (SAMPLES / ranks / (samplesPerSecond * LAMBDA_SPEED)) * 1000;
    const collectives = simulate(ranks);
    // Teardown: 2N+1 DeleteQueue (data, claims, control) 128 at a time, and a ListObjectsV2 alongside.
    const teardownMs = Math.ceil((2 * ranks + 1) / 128) * latencyMs;
    // Before the fan-out: DescribeStacks + 2 Lambda calls, then the queues (N+1 CreateQueue, each
    // followed by a GetQueueAttributes until visible, 128 at a time) alongside the upload.
    const setupMs = 3 * latencyMs + Math.ceil((ranks + 1) / 128) * 2 * latencyMs;
    // The last rank starts after allStarted; then compute + the two reduces + the done report.
    const endMs =
      setupMs +
      chosen.allStartedMs +
      computeMs +
      collectives.p50 +
      DEFAULT_FAN_OUT_PARAMETERS.hopMs +
      teardownMs;
    rows.push({
      ranks,
      latencyMs,
      strategy: plan.strategy,
      heads: plan.heads,
      setupMs,
      launchMs: chosen.launchMs,
      firstStartedMs: chosen.firstStartedMs,
      allStartedMs: chosen.allStartedMs,
      computeMs,
      collectivesP50Ms: collectives.p50,
      collectivesP99Ms: collectives.p99,
      teardownMs,
      totalMs: endMs,
      clientAllStartedMs: plan.client.allStartedMs,
      treeAllStartedMs: plan.tree?.allStartedMs,
    });
  }
}

console.log('rank function bundle (esbuild, minified ESM, AWS SDK inside)');
console.log(
  `  index.mjs ${(bundleBytes / 1024).toFixed(0)} KiB, source map ${(mapBytes / 1024).toFixed(0)} KiB, zipped ~${(zippedBytes / 1024).toFixed(0)} KiB`,
);
console.log(
  `  cold import (fresh node ${process.version}, median of 5): ${fmt(coldImport.medianMs)}; with --enable-source-maps ${fmt(coldImportSourceMaps.medianMs)}`,
);
console.log(
  `launcher CPU per async Invoke (SDK + SigV4, no network): ${invokeCpuMs.toFixed(3)} ms (${n} calls, 64 in flight, ${fmt(wallMs)} wall)`,
);
console.log(
  `pi kernel on one local core: ${(samplesPerSecond / 1e6).toFixed(0)} M samples/s (Lambda Arm assumed ${LAMBDA_SPEED}x)`,
);
console.log('');
console.log(
  'modelled `run pi --ranks N` (default 1e7 samples) on AWS; latency = one Lambda/SQS API round trip from the launcher',
);
console.log(
  'ranks  latency  fan-out     setup    launch  1st start  all start   compute  2x reduce p50/p99    teardown     total',
);
for (const r of rows) {
  console.log(
    [
      String(r.ranks).padStart(5),
      `${r.latencyMs} ms`.padStart(8),
      `${r.strategy}${r.heads ? `/${r.heads}` : ''}`.padEnd(10),
      fmt(r.setupMs).padStart(8),
      fmt(r.launchMs).padStart(9),
      fmt(r.firstStartedMs).padStart(10),
      fmt(r.allStartedMs).padStart(10),
      fmt(r.computeMs).padStart(9),
      `${fmt(r.collectivesP50Ms)} / ${fmt(r.collectivesP99Ms)}`.padStart(20),
      fmt(r.teardownMs).padStart(11),
      fmt(r.totalMs).padStart(9),
    ].join(' '),
  );
}
console.log('');
console.log(
  `assumptions: dispatch ${DEFAULT_FAN_OUT_PARAMETERS.dispatchMs} ms (202 → handler), cold start ${fmt(coldStartMs)} (runtime ~120 ms + 1.5x the local import), ` +
    `region Invoke ${DEFAULT_FAN_OUT_PARAMETERS.regionLatencyMs} ms, 64 Invokes in flight, invoke rate 10x concurrency/s, 1000 environments/10 s per function; ` +
    'queues created (N+1) and deleted (2N+1) 128 at a time',
);

mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(
  join(here, 'results', 'lambda-model.json'),
  `${JSON.stringify(
    {
      node: process.version,
      bundle: { bytes: bundleBytes, mapBytes, zippedBytes },
      coldImportMs: { plain: coldImport, sourceMaps: coldImportSourceMaps },
      invokeCpuMs,
      samplesPerSecond,
      parameters: {
        ...DEFAULT_FAN_OUT_PARAMETERS,
        coldStartMs,
        lambdaSpeed: LAMBDA_SPEED,
        hop: { p50Ms: 16, p99Ms: 105 },
      },
      rows,
    },
    null,
    2,
  )}\n`,
);
