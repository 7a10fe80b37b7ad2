// SQS transport benchmark over an in-process fauxqs (SQS + S3 emulator).
//
//   npm run build && node bench/sqs-transport.js [--quick]
//
// 1. Ping-pong latency between two ranks for 8 B and 64 KiB frames, over bare fauxqs and with
//    per-call latency injected (a log-normal model of real SQS), reported as one-way latency.
// 2. API calls per delivered frame in an all-to-all burst among 8 transports (sends, receives and
//    deletes all counted), for sparse and dense bursts.
// Prints a table and writes bench/results/sqs-transport.json. Figures, never assertions.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { buildApp } from 'fauxqs';
import { fromDist, helpIfAsked } from './help.js';

helpIfAsked(import.meta.url);
// The build is imported after `--help` is handled, so `--help` works before `npm run build`.
const { createJobQueues, createSqsClients, deleteJobQueues, SqsTransport } = await fromDist(
  import.meta.url,
  '../dist/sdk/transport/sqs/index.js',
);

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const PREFIX = 'tsmpi-bench';
let jobCounter = 0;

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function startJob(ctx, size, extra = {}) {
  const jobId = `b${process.pid}x${jobCounter++}`;
  const { queueUrls } = await createJobQueues({ client: ctx.sqs, prefix: PREFIX, jobId, size });
  const transports = queueUrls.map(
    (_, rank) =>
      new SqsTransport({
        rank,
        size,
        queueUrls,
        sqs: ctx.sqs,
        s3: ctx.s3,
        bucket: ctx.bucket,
        jobId,
        ...extra,
      }),
  );
  return {
    transports,
    async stop() {
      await Promise.all(transports.map((t) => t.close()));
      await deleteJobQueues({ client: ctx.sqs, queueUrls });
    },
  };
}

async function pingPong(ctx, bytes, rounds, latency) {
  const job = await startJob(ctx, 2, latency ? { latency } : {});
  const [a, b] = job.transports;
  let onPong = () => undefined;
  b.start(
    (frames) => {
      for (const f of frames) void b.send(0, f);
    },
    (err) => console.error(err),
  );
  a.start(
    () => onPong(),
    (err) => console.error(err),
  );
  const frame = new Uint8Array(bytes).fill(1);
  const rtts = [];
  for (let i = 0; i < rounds + 2; i++) {
    const t0 = performance.now();
    const back = new Promise((resolve) => (onPong = resolve));
    await a.send(1, frame);
    await back;
    if (i >= 2) rtts.push(performance.now() - t0); // two warm-up rounds
  }
  await job.stop();
  rtts.sort((x, y) => x - y);
  const oneWay = rtts.map((x) => x / 2);
  return {
    bytes,
    rounds,
    latency: latency ?? null,
    oneWayMs: {
      p50: +percentile(oneWay, 0.5).toFixed(2),
      p99: +percentile(oneWay, 0.99).toFixed(2),
      mean: +(oneWay.reduce((s, x) => s + x, 0) / oneWay.length).toFixed(2),
    },
  };
}

async function allToAll(ctx, size, perPair, frameBytes) {
  const job = await startJob(ctx, size);
  const expected = (size - 1) * perPair;
  const seen = job.transports.map(() => new Set());
  let remaining = size;
  let allIn = () => undefined;
  const done = new Promise((resolve) => (allIn = resolve));
  for (const t of job.transports) {
    t.start(
      (frames) => {
        for (const f of frames) {
          const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
          seen[t.rank].add(`${v.getUint16(0)}:${v.getUint32(2)}`);
        }
        if (seen[t.rank].size === expected && !seen[t.rank].done) {
          seen[t.rank].done = true;
          if (--remaining === 0) allIn();
        }
      },
      (err) => console.error(err),
    );
  }
  const t0 = performance.now();
  const sends = [];
  for (let seq = 0; seq < perPair; seq++) {
    for (const t of job.transports) {
      for (let k = 1; k < size; k++) {
        const dst = (t.rank + k) % size;
        const f = new Uint8Array(Math.max(6, frameBytes));
        const v = new DataView(f.buffer);
        v.setUint16(0, t.rank);
        v.setUint32(2, seq);
        sends.push(t.send(dst, f));
      }
    }
  }
  await Promise.all(sends);
  await done;
  const elapsedMs = performance.now() - t0;
  await job.stop();
  const calls = {};
  let received = 0;
  let costUsd = 0;
  let peakPollers = 0;
  for (const t of job.transports) {
    const s = t.stats();
    for (const [k, n] of Object.entries(s.calls)) calls[k] = (calls[k] ?? 0) + n;
    received += s.messagesReceived;
    costUsd += s.costUsd;
    peakPollers = Math.max(peakPollers, s.peakPollers);
  }
  const delivered = size * expected;
  const total = Object.values(calls).reduce((s, n) => s + n, 0);
  return {
    size,
    perPair,
    frameBytes,
    delivered,
    received,
    elapsedMs: Math.round(elapsedMs),
    calls,
    callsPerFrame: +(total / delivered).toFixed(3),
    sendCallsPerFrame: +((calls.SendMessageBatch ?? 0) / delivered).toFixed(3),
    receiveCallsPerFrame: +((calls.ReceiveMessage ?? 0) / delivered).toFixed(3),
    deleteCallsPerFrame: +((calls.DeleteMessageBatch ?? 0) / delivered).toFixed(3),
    peakPollers,
    costUsdPerMillionFrames: +((costUsd / delivered) * 1e6).toFixed(3),
  };
}

async function main() {
  const app = buildApp({ logger: false });
  const endpoint = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  const { sqs, s3 } = createSqsClients({
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const bucket = 'tsmpi-bench';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const ctx = { sqs, s3, bucket };
  const rounds = quick ? 10 : 50;
  const modelled = { p50Ms: 20, p99Ms: 80 };

  const pingpong = [];
  for (const bytes of [8, 64 * 1024]) pingpong.push(await pingPong(ctx, bytes, rounds));
  for (const bytes of [8, 64 * 1024]) pingpong.push(await pingPong(ctx, bytes, quick ? 5 : 20, modelled));

  const bursts = [];
  for (const perPair of quick ? [1, 5] : [1, 5, 20]) bursts.push(await allToAll(ctx, 8, perPair, 64));

  console.log('\nPing-pong between 2 ranks (one-way latency = round trip / 2)');
  console.table(
    pingpong.map((r) => ({
      frame: r.bytes === 8 ? '8 B' : '64 KiB',
      'per-call latency': r.latency
        ? `injected p50 ${r.latency.p50Ms} / p99 ${r.latency.p99Ms} ms`
        : 'none (bare fauxqs)',
      rounds: r.rounds,
      'p50 ms': r.oneWayMs.p50,
      'p99 ms': r.oneWayMs.p99,
      'mean ms': r.oneWayMs.mean,
    })),
  );
  console.log('All-to-all burst among 8 transports (64 B frames): API calls per delivered frame');
  console.table(
    bursts.map((r) => ({
      'frames/pair': r.perPair,
      delivered: r.delivered,
      'calls/frame': r.callsPerFrame,
      'send/frame': r.sendCallsPerFrame,
      'receive/frame': r.receiveCallsPerFrame,
      'delete/frame': r.deleteCallsPerFrame,
      'peak pollers': r.peakPollers,
      'USD per 1M frames': r.costUsdPerMillionFrames,
      ms: r.elapsedMs,
    })),
  );

  const out = {
    bench: 'sqs-transport',
    date: new Date().toISOString(),
    node: process.version,
    endpoint: 'fauxqs (in-process, loopback)',
    quick,
    pingpong,
    allToAll: bursts,
  };
  const file = join(here, 'results', 'sqs-transport.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${file}`);

  sqs.destroy();
  s3.destroy();
  await app.close();
  // fauxqs keeps the timers of long polls that the transports aborted for up to 20 s; do not wait.
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
