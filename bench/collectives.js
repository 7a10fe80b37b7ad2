// Collective algorithms over SQS (an in-process fauxqs) with injected latency, next to the cost
// model's predictions; then the model and the simulation at 1,000 and 10,000 ranks.
//
//   npm run build && node bench/collectives.js [--quick] [--sizes 8,32,64] [--p50 16 --p99 105]
//
// For 8, 32 and 64 ranks (all in this thread, each with its own SqsTransport, every SQS call delayed
// by a log-normal draw), every collective × algorithm: hops on the critical path, messages, SQS
// calls per call (measured and predicted), time per call (measured, predicted by the closed-form
// model, and by the discrete-event simulation of the same code), and which algorithm the model picks
// when optimizing latency or cost. Prints tables, checks the targets, and writes
// bench/results/collectives.json. Figures, never assertions.
//
// All ranks share this one thread, and so its CPU (the AWS SDK costs about a millisecond per call):
// the predictions that are compared with measurements use a profile calibrated for that (sharedCpus 1,
// cpuMsPerCall measured here); the ranks themselves choose with the default SQS profile (one CPU
// per rank, as on Lambda) plus the injected latency.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from 'fauxqs';
import { fromDist, helpIfAsked } from './help.js';

helpIfAsked(import.meta.url);
// The build is imported after `--help` is handled, so `--help` works before `npm run build`.
const { describeAlgorithm } = await fromDist(import.meta.url, '../dist/sdk/collectives/algorithms.js');
const { NOMINAL_BYTES } = await fromDist(import.meta.url, '../dist/sdk/collectives/call-shape.js');
const { choose } = await fromDist(import.meta.url, '../dist/sdk/collectives/choose.js');
const { predict } = await fromDist(import.meta.url, '../dist/sdk/collectives/predict.js');
const { SQS_PROFILE, withProfile } = await fromDist(
  import.meta.url,
  '../dist/sdk/collectives/transport-profile.js',
);
const { SUM } = await fromDist(import.meta.url, '../dist/sdk/index.js');
const { openRank } = await fromDist(import.meta.url, '../dist/sdk/runtime/run-rank.js');
const { createJobQueues, createSqsClients, deleteJobQueues, SqsTransport } = await fromDist(
  import.meta.url,
  '../dist/sdk/transport/sqs/index.js',
);
const { simulate } = await fromDist(import.meta.url, '../dist/sim/simulate.js');

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const quick = argv.includes('--quick');
const SIZES = flag('sizes', quick ? '8,32' : '8,32,64')
  .split(',')
  .map(Number);
const LATENCY = { p50Ms: Number(flag('p50', 16)), p99Ms: Number(flag('p99', 105)) };
/** What the ranks choose with: the SQS profile with the injected latency (one CPU per rank). */
const RUNTIME = withProfile(SQS_PROFILE, { callLatency: LATENCY });
const PREFIX = 'tsmpi-bench';
const started = performance.now();
let jobCounter = 0;

const k = (name, radix, radix2) => ({ name, ...(radix ? { radix } : {}), ...(radix2 ? { radix2 } : {}) });
const FLAT = 1_000_000;

/** What each collective does per call, and which algorithms to measure. */
const COLLECTIVES = {
  bcast: {
    op: (c) => c.bcast(c.rank === 0 ? 42 : null, 0),
    algorithms: [k('knomial', 2), k('knomial', 4), k('knomial', 8), k('knomial', FLAT)],
  },
  reduce: {
    op: (c) => c.reduce(1, SUM, 0),
    algorithms: [k('knomial', 2), k('knomial', 4), k('knomial', 8), k('knomial', FLAT)],
  },
  allreduce: {
    op: (c) => c.allreduce(1, SUM),
    algorithms: [
      k('recursive', 2),
      k('recursive', 4),
      k('recursive', 8),
      k('recursive', FLAT),
      k('reduce-bcast', 2, 2),
      k('reduce-bcast', FLAT, 8),
      k('reduce-bcast', FLAT, FLAT),
    ],
  },
  gather: {
    op: (c) => c.gather(c.rank, 0),
    algorithms: [k('knomial', 2), k('knomial', 8), k('knomial', FLAT)],
  },
  scatter: {
    op: (c) => c.scatter(c.rank === 0 ? Array.from({ length: c.size }, (_, i) => i) : null, 0),
    algorithms: [k('knomial', 2), k('knomial', 8), k('knomial', FLAT)],
  },
  allgather: {
    op: (c) => c.allgather(c.rank),
    algorithms: [
      k('gather-bcast', 2, 2),
      k('gather-bcast', FLAT, FLAT),
      k('bruck', 2),
      k('bruck', 8),
      k('bruck', FLAT),
    ],
  },
  alltoall: {
    op: (c) => c.alltoall(Array.from({ length: c.size }, (_, j) => j)),
    algorithms: [k('direct'), k('bruck', 2), k('bruck', 8)],
  },
  barrier: {
    op: (c) => c.barrier(),
    algorithms: [k('dissemination', 2), k('dissemination', 8), k('tree', 2, 2), k('tree', FLAT, FLAT)],
  },
  scan: {
    op: (c) => c.scan(1, SUM),
    algorithms: [k('prefix', 2), k('prefix', 8), k('prefix', FLAT)],
  },
};

function sameSpec(a, b, n) {
  return describeAlgorithm(a, n) === describeAlgorithm(b, n);
}

function sqsCalls(transports) {
  let n = 0;
  for (const t of transports) for (const v of Object.values(t.stats().calls)) n += v;
  return n;
}

async function world(fx, size) {
  const jobId = `b${process.pid}c${jobCounter++}`;
  const { queueUrls } = await createJobQueues({ client: fx.sqs, prefix: PREFIX, jobId, size });
  const transports = queueUrls.map(
    (_, rank) =>
      new SqsTransport({
        rank,
        size,
        queueUrls,
        sqs: fx.sqs,
        s3: fx.s3,
        bucket: fx.bucket,
        jobId,
        latency: LATENCY,
        binaryAccounting: 'base64',
      }),
  );
  const handles = transports.map((t) => openRank(t, undefined, { latency: LATENCY }));
  return {
    transports,
    comms: handles.map((h) => h.comm),
    async stop() {
      await Promise.all(handles.map((h) => h.endpoint.close()));
      await deleteJobQueues({ client: fx.sqs, queueUrls });
    },
  };
}

/** Runs `op` on every rank at once, `iters` times; mean wall time per call and SQS calls per call. */
async function measure(w, op, iters) {
  await Promise.all(w.comms.map(op)); // warm-up: JIT, sockets, pollers
  const calls0 = sqsCalls(w.transports);
  const cpu0 = process.cpuUsage();
  const times = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    await Promise.all(w.comms.map(op));
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  const calls = (sqsCalls(w.transports) - calls0) / iters;
  times.sort((a, b) => a - b);
  return {
    meanMs: times.reduce((a, b) => a + b, 0) / iters,
    p50Ms: times[Math.floor(iters / 2)],
    calls,
    cpuMsPerCall: calls > 0 ? (cpu.user + cpu.system) / 1000 / iters / calls : 0,
  };
}

const fmt = (x, d = 0) => (x === undefined || x === null ? '-' : Number(x).toFixed(d));
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

async function measureSize(fx, size, rows) {
  const w = await world(fx, size);
  const measured = [];
  let cpuMs = 0;
  let calls = 0;
  try {
    // Warm up the JIT and the sockets before anything is timed.
    for (const def of Object.values(COLLECTIVES)) await Promise.all(w.comms.map(def.op));
    // What the model would pick for this machine (all ranks on one thread), from a CPU estimate.
    const estimate = withProfile(RUNTIME, { sharedCpus: 1, cpuMsPerCall: 0.7 });
    for (const [name, def] of Object.entries(COLLECTIVES)) {
      const shape = { collective: name, size, bytes: NOMINAL_BYTES };
      const latencyPick = choose(RUNTIME, shape, 'latency').chosen.algorithm;
      const costPick = choose(RUNTIME, shape, 'cost').chosen.algorithm;
      const list = [...def.algorithms];
      for (const pick of [latencyPick, costPick, choose(estimate, shape, 'latency').chosen.algorithm])
        if (!list.some((a) => sameSpec(a, pick, size))) list.push(pick);
      const seen = new Set();
      for (const spec of list) {
        const label = describeAlgorithm(spec, size);
        if (seen.has(label)) continue;
        seen.add(label);
        const heavy = predict(RUNTIME, shape, spec).messages >= 1500;
        const iters = quick ? 2 : heavy ? 2 : size >= 64 ? 5 : size >= 32 ? 6 : 8;
        for (const c of w.comms) c.setTuning({ algorithm: { [name]: spec } });
        const m = await measure(w, def.op, iters);
        for (const c of w.comms) c.setTuning({ algorithm: { [name]: null } });
        cpuMs += m.cpuMsPerCall * m.calls * iters;
        calls += m.calls * iters;
        const picked = [
          sameSpec(spec, latencyPick, size) ? 'latency' : '',
          sameSpec(spec, costPick, size) ? 'cost' : '',
        ]
          .filter(Boolean)
          .join('+');
        measured.push({ name, spec, label, iters, m, picked, shape });
      }
    }
  } finally {
    await w.stop();
  }
  // The one thread's CPU per SQS call over everything measured at this size (counters, not times).
  const cpuMsPerCall = calls > 0 ? cpuMs / calls : 1;
  const profile = withProfile(RUNTIME, { sharedCpus: 1, cpuMsPerCall });
  console.log(`\n${size} ranks: one shared CPU, ${fmt(cpuMsPerCall, 2)} ms per SQS call (measured)`);
  console.log(
    `${pad('collective', 10)} ${pad('algorithm', 32)} ${lpad('hops', 4)} ${lpad('msgs', 5)} ${lpad('calls', 6)} ${lpad('(model)', 7)} ${lpad('ms', 6)} ${lpad('model', 6)} ${lpad('sim', 6)} ${lpad('model/ms', 8)}  picked by (Lambda profile; here: this machine)`,
  );
  for (const { name, spec, label, iters, m, picked: pickedRuntime, shape } of measured) {
    const model = predict(profile, shape, spec);
    const here = [
      sameSpec(spec, choose(profile, shape, 'latency').chosen.algorithm, size) ? 'here:latency' : '',
      sameSpec(spec, choose(profile, shape, 'cost').chosen.algorithm, size) ? 'here:cost' : '',
    ].filter(Boolean);
    const picked = [pickedRuntime, ...here].filter(Boolean).join(' ');
    const runtime = predict(RUNTIME, shape, spec);
    const sim = await simulate({
      profile,
      size,
      collective: name,
      algorithm: spec,
      trials: model.messages >= 1500 ? 2 : 8,
    });
    const row = {
      ranks: size,
      collective: name,
      algorithm: label,
      spec: model.algorithm,
      hops: model.hops,
      hopsSimulated: sim.hops,
      messages: model.messages,
      iterations: iters,
      measured: { meanMs: +fmt(m.meanMs, 1), p50Ms: +fmt(m.p50Ms, 1), sqsCalls: +fmt(m.calls, 1) },
      predicted: {
        timeMs: +fmt(model.timeMs, 1),
        requests: +fmt(model.requests, 1),
        usd: model.usd,
        simulatedMs: +fmt(sim.meanMs, 1),
        simulatedRequests: +fmt(sim.requests.total, 1),
      },
      runtimePrediction: { timeMs: +fmt(runtime.timeMs, 1), requests: +fmt(runtime.requests, 1) },
      ratio: +(model.timeMs / m.meanMs).toFixed(3),
      simRatio: +(sim.meanMs / m.meanMs).toFixed(3),
      pickedBy: pickedRuntime,
      pickedHere: here.map((h) => h.slice(5)).join('+'),
    };
    rows.push(row);
    console.log(
      `${pad(name, 10)} ${pad(label, 32)} ${lpad(row.hops, 4)} ${lpad(row.messages, 5)} ${lpad(fmt(m.calls), 6)} ${lpad(fmt(model.requests), 7)} ${lpad(fmt(m.meanMs), 6)} ${lpad(fmt(model.timeMs), 6)} ${lpad(fmt(sim.meanMs), 6)} ${lpad(fmt(row.ratio, 2), 8)}  ${picked}`,
    );
  }
  return { size, cpuMsPerCall };
}

/** Payloads over one SQS message: trees (offloaded to S3 at every hop) against the bandwidth-minded algorithms. */
async function largePayloads(fx, cpuMsPerCall) {
  const size = 8;
  const bytes = 2 << 20;
  const cases = [
    {
      name: 'bcast',
      op: (c) => {
        const buf = new Uint8Array(bytes);
        if (c.rank === 0) buf.fill(7);
        return c.Bcast(buf, 0);
      },
      algorithms: [
        k('knomial', 2),
        k('knomial', FLAT),
        k('scatter-allgather', 2, 2),
        k('scatter-allgather', FLAT, FLAT),
      ],
    },
    {
      name: 'allreduce',
      op: (c) => c.allreduce(new Float64Array(bytes / 8).fill(c.rank), SUM),
      algorithms: [
        k('reduce-bcast', FLAT, FLAT),
        k('recursive', 2),
        k('reduce-scatter-allgather', 2),
        k('reduce-scatter-allgather', FLAT),
      ],
    },
  ];
  const out = [];
  const measured = [];
  let cpuMs = 0;
  let callsTotal = 0;
  let mibMoved = 0;
  const w = await world(fx, size);
  try {
    for (const c of cases) {
      const shape = { collective: c.name, size, bytes, segmentable: c.name === 'allreduce' };
      const pickL = choose(RUNTIME, shape, 'latency').chosen.algorithm;
      const pickC = choose(RUNTIME, shape, 'cost').chosen.algorithm;
      for (const spec of c.algorithms) {
        for (const comm of w.comms) comm.setTuning({ algorithm: { [c.name]: spec } });
        const before = w.transports.map((t) => ({ ...t.stats().calls }));
        const sent0 = w.transports.reduce((n, t) => n + t.stats().bytesSent, 0);
        const iters = quick ? 1 : 3;
        const m = await measure(w, c.op, iters);
        const sent = (w.transports.reduce((n, t) => n + t.stats().bytesSent, 0) - sent0) / (iters + 1);
        cpuMs += m.cpuMsPerCall * m.calls * iters;
        callsTotal += m.calls * iters;
        mibMoved += (sent / 1_048_576) * iters;
        for (const comm of w.comms) comm.setTuning({ algorithm: { [c.name]: null } });
        let s3 = 0;
        w.transports.forEach((t, i) => {
          for (const [a, v] of Object.entries(t.stats().calls))
            if (/Object$/.test(a)) s3 += v - (before[i][a] ?? 0);
        });
        s3 /= iters + 1; // the warm-up call is in the difference
        measured.push({ c, spec, shape, m, s3, pickL, pickC });
      }
    }
  } finally {
    await w.stop();
  }
  // This machine: the calibrated CPU per call, the CPU per MiB (counters, not times), no latency on
  // the emulator's S3 (the transport injects latency into SQS calls only), loopback bandwidth.
  const cpuMsPerMiB = Math.max(0, (cpuMs - callsTotal * cpuMsPerCall) / (2 * mibMoved));
  const profile = withProfile(RUNTIME, {
    sharedCpus: 1,
    cpuMsPerCall,
    cpuMsPerMiB,
    mibPerSecond: 2000,
    offload: { ...RUNTIME.offload, latency: { p50Ms: 1, p99Ms: 4 } },
  });
  console.log(
    `\nLarge payloads: ${size} ranks, ${bytes >> 20} MiB per rank (SQS messages carry 1 MiB; larger go through S3;\n${fmt(cpuMsPerMiB, 1)} ms of CPU per MiB per side, measured)`,
  );
  console.log(
    `${pad('collective', 10)} ${pad('algorithm', 44)} ${lpad('hops', 4)} ${lpad('msgs', 5)} ${lpad('SQS', 5)} ${lpad('S3', 4)} ${lpad('ms', 6)} ${lpad('model', 6)}  picked by`,
  );
  for (const { c, spec, shape, m, s3, pickL, pickC } of measured) {
    const p = predict(profile, shape, spec);
    const picked = [sameSpec(spec, pickL, size) ? 'latency' : '', sameSpec(spec, pickC, size) ? 'cost' : '']
      .filter(Boolean)
      .join('+');
    const row = {
      ranks: size,
      bytes,
      collective: c.name,
      algorithm: p.label,
      hops: p.hops,
      messages: p.messages,
      measured: { meanMs: +fmt(m.meanMs, 1), calls: +fmt(m.calls, 1), s3Calls: +fmt(s3, 1) },
      predicted: { timeMs: +fmt(p.timeMs, 1), requests: +fmt(p.requests, 1), usd: p.usd },
      ratio: +(p.timeMs / m.meanMs).toFixed(3),
      pickedBy: picked,
    };
    out.push(row);
    console.log(
      `${pad(c.name, 10)} ${pad(p.label, 44)} ${lpad(p.hops, 4)} ${lpad(p.messages, 5)} ${lpad(fmt(m.calls - s3), 5)} ${lpad(fmt(s3), 4)} ${lpad(fmt(m.meanMs), 6)} ${lpad(fmt(p.timeMs), 6)}  ${picked}`,
    );
  }
  return { cpuMsPerMiB, rows: out };
}

function targets(rows) {
  const out = {};
  const at64 = rows.filter((r) => r.ranks === Math.max(...SIZES));
  const pick = (coll, by) => at64.find((r) => r.collective === coll && r.pickedBy.includes(by));
  const pickHere = (coll, by) => at64.find((r) => r.collective === coll && r.pickedHere.includes(by));
  const hopsTarget = { bcast: 2, reduce: 2, allreduce: 3 };
  out.hops = Object.fromEntries(
    Object.entries(hopsTarget).map(([c, max]) => {
      const r = pick(c, 'latency');
      const h = pickHere(c, 'latency');
      return [
        c,
        {
          algorithm: r?.algorithm,
          hops: r?.hops,
          measuredMs: r?.measured.meanMs,
          max,
          met: r !== undefined && r.hops <= max,
          here: { algorithm: h?.algorithm, hops: h?.hops, measuredMs: h?.measured.meanMs },
        },
      ];
    }),
  );
  const within = rows.filter((r) => Math.abs(r.ratio - 1) <= 0.25).length;
  const simWithin = rows.filter((r) => Math.abs(r.simRatio - 1) <= 0.25).length;
  out.predictions = {
    rows: rows.length,
    modelWithin25pct: within,
    simulationWithin25pct: simWithin,
    worst: [...rows]
      .sort((a, b) => Math.abs(b.ratio - 1) - Math.abs(a.ratio - 1))
      .slice(0, 5)
      .map((r) => `${r.ranks} ${r.collective} ${r.algorithm}: model/measured ${r.ratio}`),
  };
  out.cost = {};
  for (const c of Object.keys(COLLECTIVES)) {
    const lat = pick(c, 'latency');
    const cost = pick(c, 'cost');
    const binomial = at64.find(
      (r) =>
        r.collective === c &&
        [
          'binomial',
          'recursive doubling',
          'reduce(binomial)+bcast(binomial)',
          'gather(binomial)+bcast(binomial)',
          'prefix(k=2)',
          'dissemination(k=2)',
          'bruck(k=2)',
        ].includes(r.algorithm),
    );
    out.cost[c] = {
      latencyChoice: lat?.algorithm,
      costChoice: cost?.algorithm,
      latencyCalls: lat?.measured.sqsCalls,
      costCalls: cost?.measured.sqsCalls,
      binomial: binomial?.algorithm,
      binomialCalls: binomial?.measured.sqsCalls,
      fewerThanLatency: cost && lat ? cost.measured.sqsCalls < lat.measured.sqsCalls : null,
      sameAsLatency: cost && lat ? cost.algorithm === lat.algorithm : null,
      notMoreThanBinomial:
        cost && binomial ? cost.measured.sqsCalls <= binomial.measured.sqsCalls * 1.05 : null,
    };
  }
  return out;
}

/** The model everywhere, the simulation where it stays cheap, at 1,000 and 10,000 ranks. */
async function project() {
  const out = [];
  console.log('\nProjection (one CPU per rank, as on Lambda): model, and simulation where tractable');
  console.log(
    `${pad('ranks', 6)} ${pad('collective', 10)} ${pad('algorithm', 30)} ${lpad('hops', 4)} ${lpad('msgs', 9)} ${lpad('requests', 9)} ${lpad('model ms', 9)} ${lpad('sim ms', 8)}  picked by`,
  );
  for (const size of [1000, 10_000]) {
    for (const name of ['bcast', 'reduce', 'allreduce', 'allgather', 'barrier', 'alltoall']) {
      const shape = { collective: name, size, bytes: NOMINAL_BYTES };
      const lat = choose(RUNTIME, shape, 'latency');
      const cost = choose(RUNTIME, shape, 'cost');
      const specs = [lat.chosen.algorithm, cost.chosen.algorithm];
      const binomial = lat.ranked.find(
        (p) => (p.algorithm.radix ?? 2) === 2 && (p.algorithm.radix2 ?? 2) === 2,
      );
      if (binomial) specs.push(binomial.algorithm);
      const seen = new Set();
      for (const spec of specs) {
        const p = predict(RUNTIME, shape, spec);
        if (seen.has(p.label)) continue;
        seen.add(p.label);
        // The simulation runs every message: skip what would take minutes.
        const work = p.messages * (size >= 10_000 ? 4 : 1);
        const sim =
          work <= 400_000
            ? await simulate({
                profile: RUNTIME,
                size,
                collective: name,
                algorithm: spec,
                trials: size >= 10_000 ? 1 : 3,
              })
            : null;
        const picked = [
          sameSpec(spec, lat.chosen.algorithm, size) ? 'latency' : '',
          sameSpec(spec, cost.chosen.algorithm, size) ? 'cost' : '',
          binomial && sameSpec(spec, binomial.algorithm, size) ? 'binomial' : '',
        ]
          .filter(Boolean)
          .join('+');
        out.push({
          ranks: size,
          collective: name,
          algorithm: p.label,
          hops: p.hops,
          messages: p.messages,
          requests: Math.round(p.requests),
          usd: p.usd,
          modelMs: +fmt(p.timeMs, 1),
          simulatedMs: sim ? +fmt(sim.meanMs, 1) : null,
          simulatedHops: sim?.hops ?? null,
          pickedBy: picked,
        });
        console.log(
          `${pad(size, 6)} ${pad(name, 10)} ${pad(p.label, 30)} ${lpad(p.hops, 4)} ${lpad(p.messages, 9)} ${lpad(Math.round(p.requests), 9)} ${lpad(fmt(p.timeMs), 9)} ${lpad(sim ? fmt(sim.meanMs) : '-', 8)}  ${picked}`,
        );
      }
    }
  }
  return out;
}

async function main() {
  const app = buildApp({ logger: false });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const endpoint = address.replace('localhost', '127.0.0.1');
  const { sqs, s3 } = createSqsClients({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const bucket = 'tsmpi-bench-collectives';
  const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const fx = { sqs, s3, bucket };
  const rows = [];
  const calibration = [];
  console.log(
    `Collectives over SQS (fauxqs in-process), every call delayed by a log-normal draw (p50 ${LATENCY.p50Ms} ms, p99 ${LATENCY.p99Ms} ms).`,
  );
  console.log('ms: mean wall time per call, all ranks started together; calls: SQS API calls per call.');
  let large = [];
  try {
    for (const size of SIZES) calibration.push(await measureSize(fx, size, rows));
    large = await largePayloads(fx, calibration[0]?.cpuMsPerCall ?? 0.8);
  } finally {
    sqs.destroy();
    s3.destroy();
    await app.close();
  }
  const t = targets(rows);
  console.log('\nTargets at', Math.max(...SIZES), 'ranks:');
  for (const [c, h] of Object.entries(t.hops))
    console.log(
      `  ${c}: latency choice ${h.algorithm}, ${h.hops} hops, ${fmt(h.measuredMs)} ms (target <= ${h.max} hops): ${h.met ? 'met' : 'MISSED'}; for this machine: ${h.here.algorithm}, ${h.here.hops} hops, ${fmt(h.here.measuredMs)} ms`,
    );
  console.log(
    `  predictions within 25% of measured: model ${t.predictions.modelWithin25pct}/${t.predictions.rows}, simulation ${t.predictions.simulationWithin25pct}/${t.predictions.rows}`,
  );
  for (const wst of t.predictions.worst) console.log(`    ${wst}`);
  for (const [c, v] of Object.entries(t.cost))
    console.log(
      `  ${c}: cost choice ${v.costChoice} ${fmt(v.costCalls)} calls vs latency choice ${v.latencyChoice} ${fmt(v.latencyCalls)}, binomial ${v.binomial} ${fmt(v.binomialCalls)}`,
    );
  const projections = await project();
  const out = {
    bench: 'collectives',
    date: new Date().toISOString(),
    node: process.version,
    endpoint: 'fauxqs (in-process, loopback), all ranks on this thread',
    latency: LATENCY,
    runtimeProfile: RUNTIME,
    calibration,
    quick,
    rows,
    largePayloads: large,
    targets: t,
    projections,
    elapsedS: +((performance.now() - started) / 1000).toFixed(1),
  };
  const file = join(here, 'results', 'collectives.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(out, null, 1)}\n`);
  console.log(`\nwrote ${file} in ${out.elapsedS} s`);
}

await main();
