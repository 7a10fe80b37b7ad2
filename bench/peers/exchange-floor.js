// The floor under our 2-rank small collectives and our ping-pong on this machine, in plain JS with
// no framework: two worker threads and one SharedArrayBuffer.
//
//   node bench/peers/exchange-floor.js [--iters 1000] [--warmup 100]
//
// 1. exchange: each iteration both threads publish a counter and wait for the other's (what a
//    2-rank barrier or allreduce of one number needs at least: one one-way hop each way, in
//    parallel). Timed as issue 10 times collectives: `warmup` iterations, then the mean of
//    `iters`, max over the two threads. Four ways of waiting:
//      spin        Atomics.load in a loop (what a C MPI progress engine does)
//      spin+await  the same, plus one `await` of a resolved promise per iteration (the least any
//                  Promise-returning API such as ours pays per call)
//      wait        Atomics.wait / Atomics.notify (a futex: the thread sleeps)
//      waitAsync   Atomics.waitAsync (the thread returns to its event loop, as a parked rank)
// 2. copy: ping-pong of N bytes through the SharedArrayBuffer, busy-polling, copying the payload
//    in on one side and out on the other (one copy each side: the "one copy at most"),
//    into a preallocated buffer (warm) or a freshly allocated one per receive (cold/allocating).
//    One-way µs = round trip / 2.
// Prints a JSON line of µs.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { helpIfAsked } from '../help.js';

helpIfAsked(import.meta.url);

const argv = process.argv.slice(2);
const option = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? Number(argv[i + 1]) : dflt;
};

const SIZES = [8, 1024, 65536, 1048576];

if (isMainThread) {
  const iters = option('iters', 1000);
  const warmup = option('warmup', 100);
  const out = { exchange: {}, copy: {} };
  const run = async (data) => {
    const sab = new SharedArrayBuffer(64 + 2 * 1048576);
    const ws = [0, 1].map((me) => new Worker(new URL(import.meta.url), { workerData: { ...data, sab, me } }));
    const got = await Promise.all(ws.map((w) => new Promise((resolve) => w.once('message', resolve))));
    await Promise.all(ws.map((w) => w.terminate()));
    return Math.max(...got);
  };
  for (const mode of ['spin', 'spin+await', 'wait', 'waitAsync']) {
    out.exchange[`${mode} (${warmup}+${iters})`] = await run({ kind: 'exchange', mode, iters, warmup });
    out.exchange[`${mode} (steady, 1000+20000)`] = await run({
      kind: 'exchange',
      mode,
      iters: 20000,
      warmup: 1000,
    });
  }
  for (const bytes of SIZES) {
    const n = bytes >= 65536 ? 300 : 5000;
    for (const alloc of [false, true]) {
      out.copy[`${bytes} B ${alloc ? 'allocating' : 'preallocated'}`] = await run({
        kind: 'copy',
        bytes,
        alloc,
        iters: n,
        warmup: Math.ceil(n / 10),
      });
    }
  }
  // And the bare memcpy of one thread, warm, for reference.
  out.memcpy = {};
  for (const bytes of SIZES) {
    const a = new Uint8Array(bytes).fill(1);
    const b = new Uint8Array(bytes);
    const reps = Math.max(50, Math.floor(2e8 / Math.max(bytes, 1024) / 100));
    for (let i = 0; i < reps; i++) b.set(a);
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) b.set(a);
    out.memcpy[`${bytes} B`] = ((performance.now() - t0) / reps) * 1000;
    const t1 = performance.now();
    for (let i = 0; i < 50; i++) new Uint8Array(bytes).set(a);
    out.memcpy[`${bytes} B into a new buffer`] = ((performance.now() - t1) / 50) * 1000;
  }
  console.log(JSON.stringify(out));
} else {
  const { kind, sab, me } = workerData;
  const flags = new Int32Array(sab, 0, 16);
  if (kind === 'exchange') {
    const { mode, iters, warmup } = workerData;
    const other = 1 - me;
    const resolved = Promise.resolve();
    const waitFor = async (v) => {
      if (mode === 'spin' || mode === 'spin+await') {
        while (Atomics.load(flags, other) < v);
        if (mode === 'spin+await') await resolved;
      } else if (mode === 'wait') {
        for (let cur; (cur = Atomics.load(flags, other)) < v; ) Atomics.wait(flags, other, cur);
      } else {
        for (let cur; (cur = Atomics.load(flags, other)) < v; ) {
          const r = Atomics.waitAsync(flags, other, cur);
          if (r.async) await r.value;
        }
      }
    };
    const keep = setInterval(() => {}, 1 << 30);
    let t0 = 0;
    for (let i = 1; i <= warmup + iters; i++) {
      if (i === warmup + 1) t0 = performance.now();
      Atomics.store(flags, me, i);
      if (mode === 'wait' || mode === 'waitAsync') Atomics.notify(flags, me);
      await waitFor(i);
    }
    const perCall = ((performance.now() - t0) / iters) * 1000;
    clearInterval(keep);
    parentPort.postMessage(perCall);
  } else {
    // Ping-pong: rank 0 writes its payload into region 0 and bumps flags[0]; rank 1 copies it out,
    // writes its own into region 1 and bumps flags[1]; and so on.
    const { bytes, alloc, iters, warmup } = workerData;
    const region = (r) => new Uint8Array(sab, 64 + r * 1048576, bytes);
    const mine = new Uint8Array(bytes).fill(me + 1);
    let into = new Uint8Array(bytes);
    let t0 = 0;
    for (let i = 1; i <= warmup + iters; i++) {
      if (i === warmup + 1) t0 = performance.now();
      if (me === 0) {
        region(0).set(mine);
        Atomics.store(flags, 0, i);
        while (Atomics.load(flags, 1) < i);
        if (alloc) into = new Uint8Array(bytes);
        into.set(region(1));
      } else {
        while (Atomics.load(flags, 0) < i);
        if (alloc) into = new Uint8Array(bytes);
        into.set(region(0));
        region(1).set(mine);
        Atomics.store(flags, 1, i);
      }
    }
    parentPort.postMessage(((performance.now() - t0) / iters / 2) * 1000);
  }
}
