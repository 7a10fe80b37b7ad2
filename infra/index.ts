/**
 * `tsmpi-cloud/infra`: the CDK construct and stack that deploy tsmpi-cloud to AWS.
 * Needs `aws-cdk-lib` and `constructs` in the app that imports it.
 *
 * @module tsmpi-cloud/infra
 */
export { functionAssetDir, functionEntry, packageRoot } from './package-root.js';
export {
  BUCKET_PREFIXES,
  ENV,
  OPTIONAL_STACK_OUTPUTS,
  RANK_ENVIRONMENT,
  STACK_OUTPUTS,
} from './stack-outputs.js';
export {
  LAUNCHER_QUEUE_ACTIONS,
  RANK_MAX_EVENT_AGE,
  RANK_QUEUE_ACTIONS,
  SWEEP_INTERVAL,
  TsmpiCloud,
} from './tsmpi-cloud-construct.js';
export {
  DEFAULT_LOG_RETENTION,
  DEFAULT_MAX_JOB_AGE,
  DEFAULT_MEMORY_SIZE,
  DEFAULT_TIMEOUT,
  defaultQueuePrefix,
  JOB_START_MARGIN,
  MAX_RANK_FUNCTION_COPIES,
  type ResolvedTsmpiCloudProps,
  type TsmpiCloudProps,
  TsmpiCloudPropsError,
} from './tsmpi-cloud-props.js';
export { TsmpiCloudStack, type TsmpiCloudStackProps } from './tsmpi-cloud-stack.js';
