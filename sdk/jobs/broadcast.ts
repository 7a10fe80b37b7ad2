import { defineJob } from './define-job.js';
import { pyStr } from './py-repr.js';

/** Tutorial part 4, broadcast.py: rank 0's string reaches everyone. */
export default defineJob(async (comm) => {
  const data = comm.rank === 0 ? 'Broadcast message' : null;
  const got = await comm.bcast(data, 0);
  console.log(`Process ${comm.rank} received data: ${pyStr(got)}`);
  return got;
});
