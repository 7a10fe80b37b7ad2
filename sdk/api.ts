/**
 * Everything of the public API except `run()`: what a job needs inside a rank. The root entry
 * (`index.ts`) adds `run()`; the Lambda rank runtime adds a stub instead, so the launchers (and
 * esbuild and the AWS clients they load) stay out of the function bundle.
 */

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
  TsmpiError,
  UsageError,
} from './base/errors.js';
export type { TypedArray } from './codec/typed-array.js';
export type { CollectiveTuning } from './collectives/collective-tuning.js';
export { Comm } from './comm/comm.js';
export { ANY_SOURCE, ANY_TAG, PROC_NULL, SUCCESS, TAG_UB, UNDEFINED, Wtime } from './comm/constants.js';
export { IN_PLACE, type InPlace } from './comm/in-place.js';
export { COMM_TYPE_SHARED } from './comm/node-layout.js';
export type { UserFunction } from './comm/op.js';
export { Op } from './comm/op.js';
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
  PROD,
  REPLACE,
  SUM,
} from './comm/predefined-ops.js';
export type { RequestValue, RequestValues } from './comm/request.js';
export { Request } from './comm/request.js';
export { Status } from './comm/status.js';
export type { Job, JobArgs, JobFunction } from './jobs/define-job.js';
export { defineJob } from './jobs/define-job.js';
export type { FramePlacement, FramePlacer, Transport, TransportStats } from './transport/transport.js';
