import { defineJob } from './define-job.js';
import { pyRepr } from './py-repr.js';

/** Tutorial part 5, scatter_gather.py: scatter i*2, add one, gather at the root. */
export default defineJob(async (comm) => {
  const data = comm.rank === 0 ? Array.from({ length: comm.size }, (_, i) => i * 2) : null;
  const recvData = await comm.scatter(data, 0);
  console.log(`Process ${comm.rank} received: ${pyRepr(recvData)}`);
  const processed = recvData + 1;
  const gathered = await comm.gather(processed, 0);
  if (comm.rank === 0) console.log(`Root process gathered: ${pyRepr(gathered)}`);
  return gathered;
});
