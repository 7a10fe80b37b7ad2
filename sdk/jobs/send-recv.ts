import { defineJob } from './define-job.js';
import { pyRepr } from './py-repr.js';

/** Tutorial part 3, send_recv.py: rank 0 sends a dict to rank 1 with tag 11. */
export default defineJob(async (comm) => {
  if (comm.size < 2)
    throw new Error(`send-recv needs at least 2 ranks, got ${comm.size}: run it with --ranks 2`);
  if (comm.rank === 0) {
    const data = { key: 'value', rank: comm.rank };
    await comm.send(data, 1, 11);
    console.log('Process 0 sent data to Process 1');
    return data;
  }
  if (comm.rank === 1) {
    const data = await comm.recv(0, 11);
    console.log(`Process 1 received data: ${pyRepr(data)}`);
    return data;
  }
  return null;
});
