import { MAX } from '../comm/predefined-ops.js';
import { defineJob } from './define-job.js';
import { pyRepr } from './py-repr.js';

/**
 * Tutorial part 5, the reduce program: scatter i*2, add one, reduce with MAX at the root. (The
 * tutorial's listing reduces an undefined `local_count`; the processed value is what it means.)
 */
export default defineJob(async (comm) => {
  const data = comm.rank === 0 ? Array.from({ length: comm.size }, (_, i) => i * 2) : null;
  const recvData = await comm.scatter(data, 0);
  console.log(`Process ${comm.rank} received: ${pyRepr(recvData)}`);
  const processed = recvData + 1;
  const maxVal = await comm.reduce(processed, MAX, 0);
  if (comm.rank === 0) console.log(`The maximum value is: ${pyRepr(maxVal)}`);
  return maxVal;
});
