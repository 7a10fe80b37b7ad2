import type { MemoryFabric } from '../../transport/memory/memory-fabric.js';
import type { NodePlan } from '../../transport/node/node-plan.js';
import type { NodeRouter } from '../../transport/node/node-router.js';
import {
  createNodeFabrics,
  createSqsNodeRouter,
  type SqsNodeQueues,
} from '../../transport/node/sqs-nodes.js';

/** The routers of a job's nodes, running in the launcher's thread. */
export interface SqsNodeRouters {
  /** Node n's shared memory, for the ranks' workers (the SharedArrayBuffers are shared, not copied). */
  fabrics: MemoryFabric[];
  /** For `ThreadLauncher.launch`: a router that fails fails the job, charged to its node's first rank. */
  watch: (fail: (rank: number, err: Error) => void) => void;
  /** Stops every router. Idempotent. */
  close(): Promise<void>;
  /** Their receive and delete calls summed, their cost, and per node what each routed. */
  stats(): {
    calls: Record<string, number>;
    costUsd: number;
    perNode: { routed: number; received: number }[];
  };
}

/**
 * Starts one router per node: the node's only receiver, polling its queue and writing frames
 * into its ranks' rings. Errors that come before the job's supervisor exists are kept and
 * reported as soon as it does.
 *
 * @example
 * const routers = startSqsNodeRouters({ plan, queues });
 * await new ThreadLauncher(() => spec).launch(req, routers.watch);
 * await routers.close();
 */
export function startSqsNodeRouters(o: { plan: NodePlan; queues: SqsNodeQueues }): SqsNodeRouters {
  const { plan } = o;
  const fabrics = createNodeFabrics(plan);
  let fail: ((rank: number, err: Error) => void) | undefined;
  const early: [number, Error][] = [];
  const routers: NodeRouter[] = [];
  let closing: Promise<void> | undefined;
  for (let node = 0; node < plan.nodes; node++) {
    const r = createSqsNodeRouter({ node, plan, fabric: fabrics[node]!, queues: o.queues });
    const rank = plan.firstRank(node);
    r.start((err) => (fail === undefined ? early.push([rank, err]) : fail(rank, err)));
    routers.push(r);
  }
  return {
    fabrics,
    watch: (f) => {
      fail = f;
      for (const [rank, err] of early.splice(0)) f(rank, err);
    },
    close() {
      closing ??= Promise.all(routers.map((r) => r.close())).then(() => undefined);
      return closing;
    },
    stats() {
      const calls: Record<string, number> = {};
      let costUsd = 0;
      const perNode = routers.map((r) => {
        const s = r.stats();
        for (const [k, v] of Object.entries(s.calls)) calls[k] = (calls[k] ?? 0) + v;
        costUsd += typeof s.costUsd === 'number' ? s.costUsd : 0;
        return { routed: s.routed as number, received: s.messagesReceived };
      });
      return { calls, costUsd, perNode };
    },
  };
}
