/**
 * What `import ... from 'tsmpi-cloud'` gives a user job running on Lambda: the package's root
 * exports, from the very module instances the rank runtime uses (so `instanceof MPIError` and op
 * identity hold), less `run()`, which is replaced by a stub.
 *
 * Why not the root entry itself: `run()` pulls in every launcher (and through them esbuild and
 * the Lambda and CloudFormation clients), none of which a rank can use; leaving it out keeps the
 * function bundle, and so every cold start, smaller. A unit test keeps this list equal to the
 * root entry's.
 */
import { UsageError } from '../../comm/errors.js';

export { Comm } from '../../comm/comm.js';
export { ANY_SOURCE, ANY_TAG, PROC_NULL, SUCCESS, TAG_UB, UNDEFINED, Wtime } from '../../comm/constants.js';
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
} from '../../comm/errors.js';
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
} from '../../comm/op.js';
export { Request } from '../../comm/request.js';
export { Status } from '../../comm/status.js';
export { defineJob } from '../define-job.js';

/** `run()` inside a rank: jobs are started by a launcher, not by other jobs. */
export function run(): Promise<never> {
  return Promise.reject(
    new UsageError(
      'run() is not available inside a rank running on Lambda: start jobs from the CLI or from a program on your machine',
    ),
  );
}
