/**
 * tsmpi-cloud: mpi4py-style message passing for TypeScript. This entry point never loads an AWS
 * SDK client: backends that need one are imported on demand.
 */
export type { CollectiveTuning } from './comm/comm.js';
export { Comm } from './comm/comm.js';
export { ANY_SOURCE, ANY_TAG, PROC_NULL, SUCCESS, TAG_UB, UNDEFINED, Wtime } from './comm/constants.js';
export {
  ERR_ABORTED,
  ERR_ARG,
  ERR_COMM,
  ERR_COUNT,
  ERR_OP,
  ERR_OTHER,
  ERR_RANK,
  ERR_ROOT,
  ERR_TAG,
  ERR_TIMEOUT,
  ERR_TRUNCATE,
  ERR_TYPE,
  errorClassName,
  JobFailedError,
  MPIError,
  UsageError,
} from './comm/errors.js';
export {
  BAND,
  BOR,
  BXOR,
  LAND,
  LOR,
  LXOR,
  MAX,
  MAXLOC,
  MIN,
  MINLOC,
  NO_OP,
  Op,
  PROD,
  REPLACE,
  SUM,
} from './comm/op.js';
export { Request } from './comm/request.js';
export { Status } from './comm/status.js';
export type { RunOptions, RunResult } from './launch/run.js';
export { run } from './launch/run.js';
export type { Job, JobArgs, JobFunction } from './runtime/define-job.js';
export { defineJob } from './runtime/define-job.js';
export type { Transport, TransportStats } from './transport/transport.js';
