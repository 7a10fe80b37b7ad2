/**
 * tsmpi-cloud: mpi4py-style message passing for TypeScript. This entry point never loads an AWS
 * SDK client: backends that need one are imported on demand.
 */
export * from './api.js';
export type { RunOptions, RunResult } from './run.js';
export { run } from './run.js';
