import {
  LAMBDA_ARM_USD_PER_GB_SECOND,
  LAMBDA_USD_PER_REQUEST,
  lambdaGbSeconds,
  S3_USD_PER_GET,
  S3_USD_PER_PUT,
  SQS_STANDARD_USD_PER_REQUEST,
} from '../../base/prices.js';
import type { InvocationUsage } from '../../runtime/lambda/control-report.js';
import type { RankStats } from '../../runtime/run-rank.js';

/** What one aws job cost, by service, at the published us-east-1 prices (see the price files). */
export interface CostReport {
  lambda: { requests: number; gbSeconds: number; usd: number };
  sqs: { requests: number; usd: number };
  s3: { puts: number; gets: number; usd: number };
  totalUsd: number;
  basis: string;
}

const SQS_ACTIONS = new Set([
  'CreateQueue',
  'DeleteQueue',
  'GetQueueAttributes',
  'GetQueueUrl',
  'ListQueues',
  'SendMessage',
  'SendMessageBatch',
  'ReceiveMessage',
  'DeleteMessage',
  'DeleteMessageBatch',
]);
/** PUT, COPY, POST and LIST requests. */
const S3_PUT_CLASS = new Set(['PutObject', 'ListObjectsV2', 'CopyObject']);
/** GET and all other requests (HEAD included). */
const S3_GET_CLASS = new Set(['GetObject', 'HeadObject']);

export interface CostInputs {
  /** Every invocation made (launcher and head ranks), duplicates delivered by Lambda included. */
  invocations: number;
  /** Usage reported by invocations: done, failed, duplicate, rejected (by each rank of a node). */
  usages: readonly InvocationUsage[];
  /** Invocations that never reported their usage (killed at the deadline): billed ms and memory. */
  unreported: readonly { billedMs: number; memoryMb: number }[];
  /** Data-path statistics of the ranks that finished. */
  perRank: readonly RankStats[];
  /** Calls the launcher made, by action. */
  launcherCalls: Readonly<Record<string, number>>;
}

/**
 * Adds up requests and GB-seconds; prices from the published tables. An estimate, free tier ignored.
 * A node (several ranks in one invocation, `usage.node` set) is billed once: its invocation's
 * duration (the longest any of its ranks reported) × its memory.
 */
export function costReport(inputs: CostInputs): CostReport {
  let gbSeconds = 0;
  const nodeMs = new Map<number, { ms: number; memoryMb: number }>();
  for (const u of inputs.usages) {
    const ms = u.durationMs + u.initMs;
    if (u.node === undefined) {
      gbSeconds += lambdaGbSeconds(ms, u.memoryMb);
      continue;
    }
    const seen = nodeMs.get(u.node);
    if (seen === undefined || seen.ms < ms) nodeMs.set(u.node, { ms, memoryMb: u.memoryMb });
  }
  for (const { ms, memoryMb } of nodeMs.values()) gbSeconds += lambdaGbSeconds(ms, memoryMb);
  for (const u of inputs.unreported) gbSeconds += lambdaGbSeconds(u.billedMs, u.memoryMb);

  let sqsRequests = 0;
  let puts = 0;
  let gets = 0;
  const addCalls = (calls: Readonly<Record<string, number>>) => {
    for (const [action, n] of Object.entries(calls)) {
      if (SQS_ACTIONS.has(action)) sqsRequests += n;
      else if (S3_PUT_CLASS.has(action)) puts += n;
      else if (S3_GET_CLASS.has(action)) gets += n;
    }
  };
  addCalls(inputs.launcherCalls);
  for (const u of inputs.usages) addCalls(u.calls);
  for (const s of inputs.perRank) {
    const t = s.transport;
    if (t === undefined) continue;
    // The transport counts SQS requests as billed (64 KiB chunks); S3 calls by action.
    sqsRequests += typeof t.sqsBilledRequests === 'number' ? t.sqsBilledRequests : 0;
    const s3Calls: Record<string, number> = {};
    for (const [action, n] of Object.entries(t.calls)) if (!SQS_ACTIONS.has(action)) s3Calls[action] = n;
    addCalls(s3Calls);
  }

  const lambdaUsd = inputs.invocations * LAMBDA_USD_PER_REQUEST + gbSeconds * LAMBDA_ARM_USD_PER_GB_SECOND;
  const sqsUsd = sqsRequests * SQS_STANDARD_USD_PER_REQUEST;
  const s3Usd = puts * S3_USD_PER_PUT + gets * S3_USD_PER_GET;
  return {
    lambda: { requests: inputs.invocations, gbSeconds, usd: lambdaUsd },
    sqs: { requests: sqsRequests, usd: sqsUsd },
    s3: { puts, gets, usd: s3Usd },
    totalUsd: lambdaUsd + sqsUsd + s3Usd,
    basis:
      'us-east-1 list prices (Lambda Arm, SQS standard, S3 Standard), free tier and CloudWatch Logs excluded; init time of cold starts included',
  };
}
