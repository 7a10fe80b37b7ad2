// Benchmark job: ping-pong between ranks 0 and 1; one-way latency = round trip / 2.
import { defineJob, Wtime } from 'tsmpi-cloud';

const SIZES = [8, 1024, 64 * 1024, 1024 * 1024];

export default defineJob(async (comm, args) => {
  if (comm.size < 2) throw new Error('ping-pong needs 2 ranks');
  const out = [];
  for (const bytes of SIZES) {
    const iters = args.iters ?? (bytes >= 1048576 ? 300 : bytes >= 65536 ? 2000 : 20000);
    const n = bytes / 8;
    const obj = n === 1 ? 1.5 : Array.from({ length: n }, (_, i) => i + 0.5);
    const buf = new Float64Array(n);
    const rbuf = new Float64Array(n);
    const peer = 1 - comm.rank;
    const measure = async (kind) => {
      const once = async () => {
        if (kind === 'object') {
          if (comm.rank === 0) {
            await comm.send(obj, peer, 1);
            await comm.recv(peer, 1);
          } else if (comm.rank === 1) {
            await comm.send(await comm.recv(peer, 1), peer, 1);
          }
        } else if (comm.rank === 0) {
          await comm.Send(buf, peer, 2);
          await comm.Recv(rbuf, peer, 2);
        } else if (comm.rank === 1) {
          await comm.Recv(rbuf, peer, 2);
          await comm.Send(rbuf, peer, 2);
        }
      };
      for (let i = 0; i < Math.max(5, iters / 10); i++) await once();
      const t0 = Wtime();
      for (let i = 0; i < iters; i++) await once();
      return (Wtime() - t0) / iters / 2;
    };
    if (comm.rank > 1) continue;
    out.push({
      bytes,
      objectOneWayUs: (await measure('object')) * 1e6,
      float64OneWayUs: (await measure('buffer')) * 1e6,
    });
  }
  return out;
});
