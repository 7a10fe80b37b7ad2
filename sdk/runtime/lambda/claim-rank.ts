/**
 * The duplicate guard: Lambda may deliver one async event twice, and a rank must not run twice
 * (its messages would reach its peers twice over, under the same sequence numbers, and its
 * queue would have two consumers).
 *
 * Mechanism: the first thing a rank invocation does is `CreateQueue` of a claim queue
 * `<prefix>-<jobId>-c<rank>` whose attributes encode a random 56-bit token drawn by this
 * invocation. SQS's CreateQueue is idempotent only for identical attributes: a second
 * CreateQueue of an existing name with any different attribute value fails with
 * `QueueNameExists`. So of two invocations with the same (jobId, rank), exactly one gets the
 * queue URL back and runs the rank; the other gets `QueueNameExists` and exits without running
 * anything. The SDK retrying our own CreateQueue after a lost response sends the same token,
 * so it succeeds again (the claim is idempotent per invocation, exclusive across invocations).
 *
 * Why a queue rather than an S3 conditional write (`PutObject` with `If-None-Match: *`): the
 * stack's IAM lets ranks write only `payloads/` objects, and the SQS emulator the tests run
 * against (fauxqs 1.9.2) ignores `If-None-Match` on PutObject. CreateQueue is allowed on the
 * stack's queue prefix, behaves the same on AWS and fauxqs, and the claim queue is deleted with
 * the job's other queues (or swept, being under the prefix).
 *
 * The guarantee rests on SQS deciding queue-name uniqueness atomically. Two invocations draw
 * the same token with probability 2^-56 (then both would run); Lambda's duplicate deliveries
 * are rare to begin with (retries are off; duplicates come from its at-least-once event queue).
 */
import { randomBytes } from 'node:crypto';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { resolveRetryPolicy } from '../../base/retry.js';
import { errorName } from '../../transport/sqs/aws-error-kind.js';
import { withRetries } from '../../transport/sqs/retry.js';

/** The claim queue of a rank: `<prefix>-<jobId>-c<rank>`. */
export function claimQueueName(prefix: string, jobId: string, rank: number): string {
  return `${prefix}-${jobId}-c${rank}`;
}

/**
 * Queue attributes carrying a token: three settable attributes with wide ranges, each set to a
 * value chosen by the token. Together they hold 1,209,541 × 1,047,553 × 43,201 ≈ 2^55.3 values.
 */
export function claimAttributes(token: Uint8Array): Record<string, string> {
  if (token.length < 8) throw new RangeError('claim token: expected at least 8 random bytes');
  const view = new DataView(token.buffer, token.byteOffset, token.byteLength);
  // 64 random bits split into three numbers; the modulos keep them in SQS's allowed ranges.
  let n = view.getBigUint64(0, false);
  const take = (range: bigint) => {
    const v = n % range;
    n /= range;
    return Number(v);
  };
  return {
    MessageRetentionPeriod: String(60 + take(1_209_541n)),
    MaximumMessageSize: String(1024 + take(1_047_553n)),
    VisibilityTimeout: String(take(43_201n)),
  };
}

export type ClaimOutcome =
  /** This invocation owns the rank. */
  | { claimed: true; queueName: string }
  /** Another invocation owns it (`duplicate`), or the job ended and its claims were deleted (`gone`). */
  | { claimed: false; reason: 'duplicate' | 'gone'; queueName: string };

/**
 * Claims rank `rank` of job `jobId` for this invocation. Throttling and 5xx are retried (with
 * the same token); other failures propagate.
 *
 * @example
 * const c = await claimRank({ sqs, prefix: 'tsmpi-1a2b3c4d', jobId, rank: 3 });
 * if (!c.claimed) return; // a duplicate delivery: run nothing
 */
export async function claimRank(options: {
  sqs: SQSClient;
  prefix: string;
  jobId: string;
  rank: number;
  token?: Uint8Array;
  onCall?: (action: string) => void;
}): Promise<ClaimOutcome> {
  const { sqs, prefix, jobId, rank } = options;
  const queueName = claimQueueName(prefix, jobId, rank);
  const attributes = claimAttributes(options.token ?? randomBytes(8));
  try {
    await withRetries(
      () => {
        options.onCall?.('CreateQueue');
        return sqs.send(new CreateQueueCommand({ QueueName: queueName, Attributes: attributes }));
      },
      { policy: resolveRetryPolicy(undefined, 'claimRank'), what: `CreateQueue ${queueName} (rank claim)` },
    );
    return { claimed: true, queueName };
  } catch (err) {
    // `QueueNameExists` (JSON protocol), `AWS.SimpleQueueService.QueueNameExists` (query codes, emulators).
    const name = errorName(err).replace(/^AWS\.SimpleQueueService\./, '');
    if (name === 'QueueNameExists' || name === 'QueueAlreadyExists')
      return { claimed: false, reason: 'duplicate', queueName };
    // The launcher deleted the job's queues (claims included) less than a minute ago: the job is over.
    if (name === 'QueueDeletedRecently') return { claimed: false, reason: 'gone', queueName };
    throw err;
  }
}
