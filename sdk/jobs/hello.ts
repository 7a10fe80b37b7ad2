import { defineJob } from './define-job.js';

/** Tutorial part 2, hello.py: every rank introduces itself. */
export default defineJob((comm) => {
  console.log(`Hello from process ${comm.rank} out of ${comm.size}`);
  return comm.rank;
});
