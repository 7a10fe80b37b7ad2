import { isDeepStrictEqual } from 'node:util';
import { jobQueueName } from '../../base/stack-contract.js';
import { encode } from '../../codec/codec.js';
import {
  RANK_EVENT_VERSION,
  type RankEvent,
  type RankJobRef,
  siblingQueueUrl,
} from '../../runtime/lambda/rank-event.js';
import { NodePlan } from '../../transport/node/node-plan.js';
import type { LaunchRequest } from '../launcher.js';
import { type FanOutPlan, treeAssignments } from './fan-out-model.js';

/** Who the launcher invokes itself, and the event each of them gets. */
export interface FanOutEvents {
  /**
   * Every rank (client fan-out), or the tree's heads; with several ranks per node, the first rank
   * of every node (of every head node), whose event runs the node.
   */
  ranks: number[];
  eventFor: (rank: number) => RankEvent;
  /**
   * The copy of the rank function each of `ranks` is invoked on: round-robin in the order of
   * `ranks`. A tree head invokes its subtree on its own copy, so the whole job spreads.
   */
  functionFor: (rank: number) => string;
}

/**
 * The events of one job's fan-out. A tree head's event names the ranks it invokes in turn
 * (`spawn`); every event carries the job's deadline when it has a --timeout, so each rank can
 * stop itself on time. With `nodes` of several ranks, an invocation is a node: its event names
 * the node's first rank and `ranksPerNode`, `plan` counts nodes, and `queues` are the nodes'.
 */
export function fanOutEvents(o: {
  req: Pick<LaunchRequest, 'ranks' | 'args' | 'timeoutMs' | 'optimize' | 'record' | 'env'>;
  jobId: string;
  job: RankJobRef;
  queuePrefix: string;
  queues: { queueUrls: string[]; controlUrl: string };
  plan: FanOutPlan;
  nodes?: NodePlan;
  /** Copies of the rank function, copy 0 first (default: one, named `rank`). */
  functionNames?: readonly string[];
}): FanOutEvents {
  const { req, jobId, queues, plan } = o;
  const n = req.ranks;
  const nodes = o.nodes ?? new NodePlan(n, 1);
  const perNode = nodes.ranksPerNode > 1 ? { ranksPerNode: nodes.ranksPerNode } : {};
  const launchedAt = Date.now();
  const argsPart = eventArgs(req.args);
  const eventFor = (rank: number): RankEvent => ({
    v: RANK_EVENT_VERSION,
    jobId,
    rank,
    size: n,
    controlUrl: queues.controlUrl,
    job: o.job,
    ...argsPart,
    launchedAt: Date.now(),
    ...(req.timeoutMs === undefined ? {} : { deadlineMs: launchedAt + req.timeoutMs }),
    ...(req.optimize === undefined ? {} : { optimize: req.optimize }),
    ...(req.record === undefined ? {} : { record: req.record }),
    ...(req.env === undefined || Object.keys(req.env).length === 0 ? {} : { env: req.env }),
    ...perNode,
  });
  // Ranks derive their queue URLs from the control queue's: check that holds here.
  const derivable = queues.queueUrls.every(
    (u, r) => u === siblingQueueUrl(queues.controlUrl, jobQueueName(o.queuePrefix, jobId, r)),
  );
  const fullEvent = (rank: number): RankEvent =>
    derivable ? eventFor(rank) : { ...eventFor(rank), queueUrls: queues.queueUrls };

  // The tree over nodes (node = rank when one rank per node), in ranks: each node's first.
  const first = (node: number) => (node >= nodes.nodes ? n : nodes.firstRank(node));
  const heads =
    plan.strategy === 'tree'
      ? treeAssignments(nodes.nodes, Math.max(1, plan.heads)).map((h) => ({
          head: first(h.head),
          from: first(h.from),
          to: first(h.to),
        }))
      : [];
  const spawnOf = new Map(heads.map((h) => [h.head, { from: h.from, to: h.to }]));
  const ranks =
    plan.strategy === 'tree'
      ? heads.map((h) => h.head)
      : Array.from({ length: nodes.nodes }, (_, node) => nodes.firstRank(node));
  const names = o.functionNames !== undefined && o.functionNames.length > 0 ? o.functionNames : ['rank'];
  const copyOf = new Map(ranks.map((r, i) => [r, i % names.length]));
  return {
    ranks,
    functionFor: (rank) => names[copyOf.get(rank) ?? 0]!,
    eventFor: (rank) => {
      const spawn = spawnOf.get(rank);
      return spawn === undefined || spawn.from === spawn.to ? fullEvent(rank) : { ...fullEvent(rank), spawn };
    },
  };
}

/** Job args travel as JSON when JSON keeps them exactly, else as codec bytes. */
function eventArgs(args: Record<string, unknown>): Pick<RankEvent, 'args' | 'argsCodec'> {
  let json: unknown;
  try {
    json = JSON.parse(JSON.stringify(args));
  } catch {
    json = undefined;
  }
  if (isDeepStrictEqual(json, args)) return { args };
  return { argsCodec: Buffer.from(encode(args)).toString('base64') };
}
