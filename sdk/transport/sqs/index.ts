/**
 * The SQS transport and its helpers. Import this module (or its files) explicitly: the package's
 * root entry never loads an AWS SDK client.
 */

export * from '../../base/prices.js';
export type { RetryPolicy } from '../../base/retry.js';
export { DEFAULT_RETRY_POLICY } from '../../base/retry.js';
export { jobQueueName } from '../../base/stack-contract.js';
export type { AwsErrorKind } from './aws-error-kind.js';
export { classifyAwsError } from './aws-error-kind.js';
export type { AwsErrorContext, SqsClients, SqsClientsOptions } from './clients.js';
export { createSqsClients, explainAwsError } from './clients.js';
export type { SqsTransportErrorCode } from './errors.js';
export { SqsTransportError } from './errors.js';
export { deleteJobObjects, jobObjectPrefix } from './job-objects.js';
export type {
  CreateJobQueuesOptions,
  DeleteJobQueuesOptions,
  JobQueueInfo,
  JobQueueSettings,
  JobQueues,
} from './job-queues.js';
export {
  createJobQueues,
  deleteJobQueues,
  findJobQueues,
  jobQueueAttributes,
  validateJobQueueNames,
} from './job-queues.js';
export type { LatencyOptions } from './latency.js';
export { LogNormalLatency } from './latency.js';
export type { SqsTransportOptions } from './sqs-transport.js';
export { SqsTransport } from './sqs-transport.js';
export type { BinaryAccounting } from './wire.js';
