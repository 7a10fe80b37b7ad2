import { randomUUID } from 'node:crypto';
import type { Comm } from '../../sdk/comm/comm.js';
import { createJobQueues, deleteJobQueues } from '../../sdk/transport/sqs/job-queues.js';
import { SqsTransport } from '../../sdk/transport/sqs/sqs-transport.js';
import type { ContractWorld, WorldRunOptions } from '../contract/contract-world.js';
import { faultySqs, type InjectedFaults } from './faulty-sqs.js';
import type { Fauxqs } from './fauxqs.js';
import { runWorld } from './in-process-world.js';

export interface SqsJobOptions extends WorldRunOptions {
  /** Queue name prefix of the job (default `tsmpi-contract`). */
  prefix?: string;
  /** Duplicate (15%), shuffle and delay what every rank receives (default true). */
  faults?: boolean;
  /** Called once the queues exist, before any rank runs. */
  onQueues?: (queueUrls: readonly string[]) => void | Promise<void>;
}

/**
 * Runs `fn` on `size` ranks in this thread, each rank with its own SqsTransport against the
 * emulator, through a client that duplicates (15% of received messages), shuffles and delays
 * what it receives. Queues are created first and deleted after, whatever happens, as the
 * launcher does. Returns every rank's result, what was injected and
 * the (closed) transports, for their stats.
 */
export async function overSqs<T>(
  fx: Fauxqs,
  size: number,
  fn: (comm: Comm) => Promise<T> | T,
  options: SqsJobOptions = {},
): Promise<{ results: T[]; injected: InjectedFaults[]; transports: SqsTransport[] }> {
  const { prefix = 'tsmpi-contract', faults = true, onQueues, seed = 0, ...worldOptions } = options;
  const jobId = `c${randomUUID().slice(0, 8)}`;
  const { queueUrls } = await createJobQueues({ client: fx.sqs, prefix, jobId, size });
  const injected: InjectedFaults[] = [];
  const transports: SqsTransport[] = [];
  try {
    await onQueues?.(queueUrls);
    for (let rank = 0; rank < size; rank++) {
      const f = faultySqs(
        fx.sqs,
        faults ? { duplicate: 0.15, shuffle: true, maxDelayMs: 5, seed: seed * 131 + rank + 1 } : {},
      );
      injected.push(f.injected);
      transports.push(
        new SqsTransport({
          rank,
          size,
          queueUrls,
          sqs: f.client,
          s3: fx.s3,
          bucket: fx.bucket,
          jobId,
          binaryAccounting: 'base64',
        }),
      );
    }
    const results = await runWorld(size, fn, { ...worldOptions, transports });
    return { results, injected, transports };
  } finally {
    await deleteJobQueues({ client: fx.sqs, queueUrls });
  }
}

/**
 * Sizes the contract runs at over SQS. Every hop is an HTTP round trip to the emulator (a few
 * milliseconds, plus the injected delays) and every job creates and deletes its queues, so the
 * full matrix (1-8 ranks, every root, every shape) would take minutes. These keep the cases that
 * differ in kind: one rank (no traffic), two, an odd size that folds trees and recursive
 * doubling (3), and the largest power of two (8), where deep trees and many peers meet.
 */
const SQS_SIZES = [1, 2, 3, 8] as const;

/** Roots over SQS: the first, the last and one in the middle (subtree edges differ for each). */
function sqsRoots(size: number): number[] {
  return [...new Set([0, Math.floor(size / 2), size - 1])];
}

/** The contract suite's world over SQS (fauxqs), with duplicated, shuffled and delayed deliveries. */
export function sqsWorld(fx: Fauxqs): ContractWorld {
  return {
    name: 'sqs (fauxqs, faulty deliveries)',
    sizes: SQS_SIZES,
    roots: sqsRoots,
    exhaustive: false,
    run: async (size, fn, options) => (await overSqs(fx, size, fn, options)).results,
  };
}
