// The floor under our small-message latency on this machine: two worker threads ping-pong one
// Int32 through a SharedArrayBuffer with no framework at all, three ways — busy-polling
// (Atomics.load), blocking (Atomics.wait / notify: a futex), and parked on the event loop
// (Atomics.waitAsync, as a rank that is not spinning). Prints one JSON line of one-way µs.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { helpIfAsked } from '../help.js';

helpIfAsked(import.meta.url);

const ROUNDS = { spin: 20_000, wait: 5_000, waitAsync: 5_000 };

if (isMainThread) {
  const out = {};
  for (const mode of Object.keys(ROUNDS)) {
    const sab = new SharedArrayBuffer(8);
    const rounds = ROUNDS[mode];
    const ws = [0, 1].map(
      (me) => new Worker(new URL(import.meta.url), { workerData: { sab, me, mode, rounds } }),
    );
    const [t] = await Promise.all(ws.map((w) => new Promise((resolve) => w.once('message', resolve))));
    out[mode] = t;
    await Promise.all(ws.map((w) => w.terminate()));
  }
  console.log(JSON.stringify(out));
} else {
  const { sab, me, mode, rounds } = workerData;
  const a = new Int32Array(sab);
  // a[0] counts hops; rank `me` moves it from 2k+me to 2k+me+1.
  const waitTurn = async (v) => {
    if (mode === 'spin') while (Atomics.load(a, 0) !== v);
    else if (mode === 'wait') while (Atomics.load(a, 0) !== v) Atomics.wait(a, 0, v - 1);
    else
      while (Atomics.load(a, 0) !== v) {
        const r = Atomics.waitAsync(a, 0, v - 1);
        if (r.async) await r.value;
      }
  };
  const hop = (v) => {
    Atomics.store(a, 0, v);
    if (mode !== 'spin') Atomics.notify(a, 0);
  };
  const keep = setInterval(() => {}, 1 << 30);
  const total = rounds * 2;
  let t0 = 0;
  for (let v = me; v < total; v += 2) {
    if (v === Math.floor(total / 10) * 2 + me) t0 = performance.now();
    if (v > 0) await waitTurn(v);
    hop(v + 1);
  }
  const measured = total - Math.floor(total / 10) * 2;
  parentPort.postMessage(((performance.now() - t0) / measured) * 1000);
  clearInterval(keep);
}
