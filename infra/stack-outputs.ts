/**
 * The contract between the deployed stack and the code that uses it, as `tsmpi-cloud/infra`
 * exports it. The names live in `sdk/base/stack-contract.ts`, which imports nothing from the
 * CDK, so runtime code shares them without pulling `aws-cdk-lib` in.
 */
export {
  BUCKET_PREFIXES,
  ENV,
  OPTIONAL_STACK_OUTPUTS,
  RANK_ENVIRONMENT,
  STACK_OUTPUTS,
} from '../sdk/base/stack-contract.js';
