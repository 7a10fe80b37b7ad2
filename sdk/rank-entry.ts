/**
 * What `import ... from 'tsmpi-cloud'` gives a user job running on Lambda: the package's root
 * exports, from the very module instances the rank runtime uses (so `instanceof MPIError` and op
 * identity hold), less `run()`, which is replaced by a stub.
 *
 * Why not the root entry itself: `run()` pulls in every launcher (and through them esbuild and
 * the Lambda and CloudFormation clients), none of which a rank can use; leaving it out keeps the
 * function bundle, and so every cold start, smaller. Both this module and the root entry
 * re-export `sdk/api.ts`; a unit test checks they offer the same names.
 *
 * It sits beside the root entry, above every layer: `functions/rank.ts` hands it to the rank
 * handler (`RankHandlerDeps.jobApi`), so `runtime/` never imports the public API above it.
 */
import { UsageError } from './base/errors.js';

export * from './api.js';

/** `run()` inside a rank: jobs are started by a launcher, not by other jobs. */
export function run(): Promise<never> {
  return Promise.reject(
    new UsageError(
      'run() is not available inside a rank running on Lambda: start jobs from the CLI or from a program on your machine',
    ),
  );
}
