/** A name `-x` / `run({ env })` accepts for an environment variable: letters, digits and `_`, not starting with a digit. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Environment variables a job may not set in a Lambda rank (`-x` / `run({ env })` on the aws
 * backend). Lambda reserves `_HANDLER`, `_X_AMZN_TRACE_ID`, `AWS_*` (region, credentials, the
 * function's name and memory, the Runtime API) and `LAMBDA_*` (task root, runtime dir): see
 * "Defined runtime environment variables" in the Lambda developer guide. `TSMPI_*` is the stack's
 * configuration of the rank function (queue prefix, bucket). A rank that changed any of them
 * would talk to another region, with other credentials or to other queues than its job's.
 */
export function lambdaReservedEnvName(name: string): boolean {
  return /^(AWS_|LAMBDA_|TSMPI_)/.test(name) || name === '_HANDLER' || name === '_X_AMZN_TRACE_ID';
}

/** What a job can set instead, for the error messages that refuse a reserved name. */
export const LAMBDA_RESERVED_ENV_RULE =
  'Lambda reserves _HANDLER, _X_AMZN_TRACE_ID, AWS_* and LAMBDA_*, and the stack configures its ranks with TSMPI_*';
