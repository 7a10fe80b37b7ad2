// One-way latency of the memory transport between two worker threads: ping-pong, halved.
//
//   npm run build && node bench/memory-transport.js
//
// Prints a table and writes bench/results/memory-transport.json. Each (spin, size) cell runs
// for at most ~1.2 s; the whole run stays under 30 s.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { helpIfAsked } from './help.js';

helpIfAsked(import.meta.url);

const distModule = new URL('../dist/sdk/transport/memory/memory-transport.js', import.meta.url);
const KiB = 1024;
const MiB = 1024 * KiB;
/** [frame bytes, max iterations]: each cell stops at whichever comes first, these or the budget. */
const SIZES = [
  [8, 20_000],
  [KiB, 20_000],
  [64 * KiB, 4_000],
  [MiB, 600],
];
const CELL_BUDGET_MS = 1200;
const WARMUP = 0.1;
/** [label, spinMicros]: `undefined` becomes the transport's DEFAULT_SPIN_MICROS. */
const SPINS = [
  ['on', undefined],
  ['off', 0],
];
const STREAM_BYTES = 64 * MiB;
const STREAM_ROUNDS = 4;

if (!isMainThread) {
  await runWorker();
} else {
  await main();
}

async function main() {
  if (!existsSync(distModule)) {
    console.error(`${distModule.pathname} is missing: run \`npm run build\` first`);
    process.exit(1);
  }
  const { createMemoryFabric, DEFAULT_SPIN_MICROS } = await import(distModule.href);
  const loadBefore = loadavg()[0];
  const rows = [];
  for (const [spin, spinOption] of SPINS) {
    const spinMicros = spinOption ?? DEFAULT_SPIN_MICROS;
    const fabric = createMemoryFabric(2);
    const results = await pair(fabric, spinMicros);
    for (const r of results) rows.push({ spin, spinMicros, ringBytes: fabric.ringBytes, ...r });
  }
  printTable(rows, loadBefore);
  const out = {
    benchmark: 'memory-transport',
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    // Other load on the machine skews everything (spinning most); glibc malloc settings decide
    // whether fresh receive buffers are page-faulted in (most of a 1 MiB frame's cost by default).
    loadAverage1m: { before: round(loadBefore), after: round(loadavg()[0]) },
    mallocEnv: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_'))),
    method:
      'two worker threads; rank 0 sends a frame, rank 1 sends it back from onFrames; ' +
      'one-way = round trip / 2, after 10% warm-up; stream = 64 MiB one way, 8-byte ack back',
    results: rows,
  };
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('memory-transport.json', dir), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nwrote ${new URL('memory-transport.json', dir).pathname}`);
}

/** Runs rank 0 (driver) and rank 1 (echo) and returns the driver's measurements. */
function pair(fabric, spinMicros) {
  return new Promise((resolve, reject) => {
    let results;
    const workers = [0, 1].map((rank) => {
      const w = new Worker(new URL(import.meta.url), { workerData: { fabric, rank, spinMicros } });
      w.on('error', reject);
      if (rank === 0) w.on('message', (m) => (results = m));
      return w;
    });
    let exited = 0;
    for (const w of workers) {
      w.on('exit', (code) => {
        if (code !== 0) reject(new Error(`bench worker exited with code ${code}`));
        else if (++exited === 2) resolve(results);
      });
    }
  });
}

async function runWorker() {
  const { MemoryTransport } = await import(distModule.href);
  const { fabric, rank, spinMicros } = workerData;
  const t = new MemoryTransport(fabric, rank, { spinMicros });
  const STOP = new Uint8Array([0xff]);
  const ACK = new Uint8Array(8);
  const fail = (err) => {
    throw err;
  };

  if (rank === 1) {
    t.start((frames) => {
      for (const f of frames) {
        if (f.length === 1 && f[0] === 0xff) {
          void t.close();
          return;
        }
        void t.send(0, f.length > MiB ? ACK : f);
      }
    }, fail);
    return;
  }

  let waiting;
  const inbox = [];
  t.start((frames) => {
    inbox.push(...frames);
    if (waiting !== undefined) {
      const w = waiting;
      waiting = undefined;
      w(inbox.shift());
    }
  }, fail);
  const next = () => (inbox.length > 0 ? Promise.resolve(inbox.shift()) : new Promise((r) => (waiting = r)));

  const results = [];
  for (const [bytes, maxIterations] of SIZES) {
    const frame = new Uint8Array(bytes).fill(7);
    const rtt = new Float64Array(maxIterations);
    const warmup = Math.ceil(maxIterations * WARMUP);
    let n = 0;
    const end = performance.now() + CELL_BUDGET_MS;
    for (let i = 0; i < maxIterations && performance.now() < end; i++) {
      const t0 = performance.now();
      await t.send(1, frame);
      const back = await next();
      const t1 = performance.now();
      if (back.length !== bytes) throw new Error(`echo of ${bytes} bytes came back with ${back.length}`);
      if (i >= warmup) rtt[n++] = t1 - t0;
    }
    results.push({ bytes, ...summarize(bytes, rtt.subarray(0, n)) });
  }

  // Bandwidth: a 64 MiB frame through the ring, chunked, acknowledged by 8 bytes.
  const big = new Uint8Array(STREAM_BYTES).fill(3);
  const times = new Float64Array(STREAM_ROUNDS);
  for (let i = 0; i < STREAM_ROUNDS; i++) {
    const t0 = performance.now();
    await t.send(1, big);
    await next();
    times[i] = performance.now() - t0;
  }
  const best = Math.min(...times);
  results.push({
    bytes: STREAM_BYTES,
    iterations: STREAM_ROUNDS,
    oneWayMeanUs: round((times.reduce((a, b) => a + b, 0) / STREAM_ROUNDS) * 1000),
    oneWayP50Us: round(percentile(times, 0.5) * 1000),
    oneWayP99Us: round(Math.max(...times) * 1000),
    gbPerSecond: round(STREAM_BYTES / (best / 1000) / 1e9),
    note: 'one way + 8-byte ack',
  });

  await t.send(1, STOP);
  parentPort.postMessage(results);
  await t.close();
}

/** Round trips (ms) of `bytes`-byte frames → one-way figures; GB/s from the median one-way time. */
function summarize(bytes, rtt) {
  const mean = rtt.reduce((a, b) => a + b, 0) / rtt.length;
  const p50 = percentile(rtt, 0.5) / 2;
  return {
    iterations: rtt.length,
    oneWayMeanUs: round((mean / 2) * 1000),
    oneWayP50Us: round(p50 * 1000),
    oneWayP99Us: round((percentile(rtt, 0.99) / 2) * 1000),
    gbPerSecond: round(bytes / (p50 / 1000) / 1e9),
  };
}

function percentile(values, p) {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

function round(x) {
  return Math.round(x * 100) / 100;
}

function printTable(rows, load) {
  const head = ['spin', 'bytes', 'iterations', 'one-way mean µs', 'p50 µs', 'p99 µs', 'GB/s'];
  const body = rows.map((r) => [
    r.spin,
    r.bytes >= MiB ? `${r.bytes / MiB} MiB` : r.bytes >= KiB ? `${r.bytes / KiB} KiB` : `${r.bytes} B`,
    String(r.iterations),
    r.oneWayMeanUs.toFixed(2),
    r.oneWayP50Us.toFixed(2),
    r.oneWayP99Us.toFixed(2),
    r.gbPerSecond.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  const where = `${availableParallelism()} cores, Node ${process.version}, load average ${load.toFixed(2)}`;
  console.log(`memory transport, two worker threads, ${where}\n`);
  console.log(line(head));
  for (const row of body) console.log(line(row));
}
