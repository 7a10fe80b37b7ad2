// The floor under `run hello --ranks N` on this machine: N worker threads with no framework at all
// (empty ES modules, their output piped to the parent, as ranks' is), all alive at once, then ended.
// Run as a whole command like ours (node start-up included): `node bench/peers/bare-workers.js 64`.
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { helpIfAsked } from '../help.js';

helpIfAsked(import.meta.url);

if (isMainThread) {
  const n = Number(process.argv[2] ?? 64);
  const ws = Array.from(
    { length: n },
    () => new Worker(new URL(import.meta.url), { stdout: true, stderr: true }),
  );
  await Promise.all(ws.map((w) => new Promise((resolve) => w.once('message', resolve))));
  await Promise.all(ws.map((w) => w.terminate()));
} else {
  parentPort.postMessage('started');
}
