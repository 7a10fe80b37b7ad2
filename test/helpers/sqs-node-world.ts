import { randomUUID } from 'node:crypto';
import type { Comm } from '../../sdk/comm/comm.js';
import { NodePlan } from '../../sdk/transport/node/node-plan.js';
import type { NodeRouter } from '../../sdk/transport/node/node-router.js';
import type { NodeTransport } from '../../sdk/transport/node/node-transport.js';
import {
  createNodeFabrics,
  createSqsNodeRank,
  createSqsNodeRouter,
} from '../../sdk/transport/node/sqs-nodes.js';
import { createJobQueues, deleteJobQueues } from '../../sdk/transport/sqs/job-queues.js';
import type { ContractWorld } from '../contract/contract-world.js';
import { faultySqs, type InjectedFaults, type SqsFaultOptions } from './faulty-sqs.js';
import type { Fauxqs } from './fauxqs.js';
import { runWorld } from './in-process-world.js';
import type { SqsJobOptions } from './sqs-world.js';

/**
 * Runs `fn` on `size` ranks in this thread, `ranksPerNode` to a node: the ranks of a node share
 * memory rings (the smallest ring, so frames are chunked and wait for space, also the frames
 * the router writes), nodes talk over one queue each of the emulator, through clients that
 * duplicate, shuffle and delay what they receive. One router per node, as the sqs launcher runs
 * them. Queues are deleted after, whatever happens.
 */
export async function overSqsNodes<T>(
  fx: Fauxqs,
  size: number,
  ranksPerNode: number,
  fn: (comm: Comm) => Promise<T> | T,
  options: SqsJobOptions & { moreFaults?: SqsFaultOptions } = {},
): Promise<{ results: T[]; injected: InjectedFaults[]; transports: NodeTransport[]; routers: NodeRouter[] }> {
  const { prefix = 'tsmpi-nodes', faults = true, onQueues, seed = 0, moreFaults, ...worldOptions } = options;
  const plan = new NodePlan(size, ranksPerNode);
  const jobId = `n${randomUUID().slice(0, 8)}`;
  const { queueUrls } = await createJobQueues({ client: fx.sqs, prefix, jobId, size: plan.nodes });
  const injected: InjectedFaults[] = [];
  const fabrics = createNodeFabrics(plan, { ringBytes: 1024 });
  const client = (i: number) => {
    const f = faultySqs(
      fx.sqs,
      faults
        ? { duplicate: 0.15, shuffle: true, maxDelayMs: 5, ...moreFaults, seed: seed * 131 + i + 1 }
        : {},
    );
    injected.push(f.injected);
    return f.client;
  };
  const queues = (i: number) => ({
    nodeUrls: queueUrls,
    sqs: client(i),
    s3: fx.s3,
    bucket: fx.bucket,
    jobId,
    binaryAccounting: 'base64' as const,
    // Injected throttles and 500s are retried quickly, as often as it takes.
    ...(moreFaults === undefined ? {} : { retry: { baseDelayMs: 1, maxDelayMs: 10, maxAttempts: 30 } }),
  });
  const routers: NodeRouter[] = [];
  try {
    await onQueues?.(queueUrls);
    let fail: (err: Error) => void = () => undefined;
    const routerFailed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    for (let node = 0; node < plan.nodes; node++) {
      const r = createSqsNodeRouter({ node, plan, fabric: fabrics[node]!, queues: queues(size + node) });
      r.start(fail);
      routers.push(r);
    }
    const transports = Array.from({ length: size }, (_, rank) =>
      createSqsNodeRank({ rank, plan, fabrics, queues: queues(rank) }),
    );
    const results = await Promise.race([runWorld(size, fn, { ...worldOptions, transports }), routerFailed]);
    return { results, injected, transports, routers };
  } finally {
    await Promise.all(routers.map((r) => r.close()));
    await deleteJobQueues({ client: fx.sqs, queueUrls });
  }
}

/** The contract suite's world over SQS with `ranksPerNode` ranks per node (see `overSqsNodes`). */
export function sqsNodeWorld(fx: Fauxqs, ranksPerNode: number, sizes: readonly number[]): ContractWorld {
  return {
    name: `sqs nodes of ${ranksPerNode} (fauxqs, faulty deliveries)`,
    sizes,
    roots: (size) => [...new Set([0, Math.floor(size / 2), size - 1])],
    exhaustive: false,
    run: async (size, fn, options) => (await overSqsNodes(fx, size, ranksPerNode, fn, options)).results,
  };
}
