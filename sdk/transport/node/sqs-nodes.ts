import { createMemoryFabric, type MemoryFabric, type MemoryFabricOptions } from '../memory/memory-fabric.js';
import { MemoryTransport } from '../memory/memory-transport.js';
import { SqsTransport, type SqsTransportOptions } from '../sqs/sqs-transport.js';
import type { NodePlan } from './node-plan.js';
import { NodeRouter } from './node-router.js';
import { NodeTransport } from './node-transport.js';

/** How every part of a job reaches the node queues: SqsTransport's options, nodes in place of ranks. */
export type SqsNodeQueues = Omit<SqsTransportOptions, 'rank' | 'size' | 'queueUrls'> & {
  /** `nodeUrls[n]` is node n's queue (from `createJobQueues` with `size: plan.nodes`). */
  nodeUrls: readonly string[];
};

/**
 * The shared memory of every node: node n gets a fabric with one ring per rank plus one for its
 * router (local index `plan.ranksOn(n)`), so the router is a producer like any rank.
 */
export function createNodeFabrics(plan: NodePlan, options: MemoryFabricOptions = {}): MemoryFabric[] {
  return Array.from({ length: plan.nodes }, (_, n) => createMemoryFabric(plan.ranksOn(n) + 1, options));
}

function nodeQueue(plan: NodePlan, node: number, q: SqsNodeQueues): SqsTransport {
  const { nodeUrls, ...rest } = q;
  if (nodeUrls.length !== plan.nodes) {
    throw new RangeError(
      `Expected ${plan.nodes} node queue URLs (${plan.size} ranks, ${plan.ranksPerNode} per node), got ${nodeUrls.length}`,
    );
  }
  return new SqsTransport({ ...rest, rank: node, size: plan.nodes, queueUrls: nodeUrls });
}

/**
 * One rank's transport on the sqs backend with several ranks per node: shared memory within the
 * node (`fabrics[nodeOf(rank)]`), the node queues between nodes (sending only: the node's router
 * receives).
 *
 * @example
 * const t = createSqsNodeRank({ rank: 9, plan, fabrics, queues: { nodeUrls, sqs, jobId } });
 */
export function createSqsNodeRank(o: {
  rank: number;
  plan: NodePlan;
  fabrics: readonly MemoryFabric[];
  queues: SqsNodeQueues;
  /** Called once the transport has closed (to destroy clients it owns). */
  dispose?: () => void;
}): NodeTransport {
  const node = o.plan.nodeOf(o.rank);
  const fabric = o.fabrics[node];
  if (fabric === undefined) throw new RangeError(`No shared memory for node ${node} of rank ${o.rank}`);
  const { fabrics: _fabrics, ...rest } = o;
  return createNodeRank({ ...rest, fabric });
}

/**
 * One rank's transport given only its own node's shared memory (`fabric`): what a rank of a
 * Lambda node, which holds just its node, uses. See {@link createSqsNodeRank}.
 */
export function createNodeRank(o: {
  rank: number;
  plan: NodePlan;
  fabric: MemoryFabric;
  queues: SqsNodeQueues;
  dispose?: () => void;
}): NodeTransport {
  const node = o.plan.nodeOf(o.rank);
  const local = new MemoryTransport(o.fabric, o.plan.localIndex(o.rank));
  let remote: SqsTransport;
  try {
    remote = nodeQueue(o.plan, node, o.queues);
  } catch (err) {
    void local.close();
    throw err;
  }
  return new NodeTransport({
    rank: o.rank,
    plan: o.plan,
    local,
    remote,
    ...(o.dispose === undefined ? {} : { dispose: o.dispose }),
  });
}

/**
 * The receiver of node `node`: long-polls the node's queue and writes each frame into its rank's
 * ring. Start it with `start(onError)` before the ranks send; close it after they ended.
 */
export function createSqsNodeRouter(o: {
  node: number;
  plan: NodePlan;
  fabric: MemoryFabric;
  queues: SqsNodeQueues;
}): NodeRouter {
  const outbound = new MemoryTransport(o.fabric, o.plan.ranksOn(o.node));
  let inbound: SqsTransport;
  try {
    inbound = nodeQueue(o.plan, o.node, o.queues);
  } catch (err) {
    void outbound.close();
    throw err;
  }
  return new NodeRouter({ node: o.node, plan: o.plan, inbound, outbound });
}
