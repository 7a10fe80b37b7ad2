/**
 * tsmpi-cloud: mpi4py-style message passing for TypeScript. This entry point never loads an AWS
 * SDK client: backends that need one are imported on demand.
 *
 * @example
 * import { defineJob, run, SUM } from 'tsmpi-cloud';
 *
 * @module tsmpi-cloud
 */
import { registerScriptRunner } from './jobs/define-job.js';
import { isMainScript, runAsScript } from './runtime/run-as-script.js';

export * from './api.js';
export type { Backend, JobStats, OutputSink, Timings } from './launch/launcher.js';
export type { RunOptions, RunResult } from './run.js';
export { run } from './run.js';
export type { RankStats } from './runtime/run-rank.js';

// A job file started with plain `node`/`tsx` runs as rank 0 of a world of one (see defineJob).
registerScriptRunner(async (callerFile, job) => {
  if (isMainScript(callerFile)) await runAsScript(job);
});
