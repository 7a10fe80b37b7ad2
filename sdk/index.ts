/**
 * tsmpi-cloud: mpi4py-style message passing for TypeScript. This entry point never loads an AWS
 * SDK client: backends that need one are imported on demand.
 *
 * @example
 * import { defineJob, run, SUM } from 'tsmpi-cloud';
 *
 * @module tsmpi-cloud
 */
export * from './api.js';
export type { Backend, JobStats, OutputSink, Timings } from './launch/launcher.js';
export type { RunOptions, RunResult } from './launch/run.js';
export { run } from './launch/run.js';
export type { RankStats } from './runtime/run-rank.js';
