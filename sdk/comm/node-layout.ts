import type { Transport } from '../transport/transport.js';

/**
 * `splitType` type: the ranks that share memory, i.e. run on the same node (one Lambda
 * invocation; one process on the local backend). MPICH's value of `MPI_COMM_TYPE_SHARED`.
 */
export const COMM_TYPE_SHARED = 1;

/**
 * Which node each world rank runs on. A node is a set of ranks that share memory: one process on
 * the local backend, one Lambda invocation (or one group of threads on `sqs`) on the cloud
 * backends. Every rank sees the same layout, so a collective may plan by it without talking.
 */
export interface NodeLayout {
  /** The node of world rank `rank`: an integer >= 0, equal for ranks that share memory. */
  nodeOf(rank: number): number;
}

/** Every rank on a node of its own: what a transport that says nothing about nodes gets. */
export const RANK_PER_NODE: NodeLayout = { nodeOf: (rank) => rank };

/** All ranks on one node. */
export const ONE_NODE: NodeLayout = { nodeOf: () => 0 };

/**
 * The layout a transport declares through its optional `nodeOf`, else one rank per node (the
 * safe assumption: nothing is shared that is not known to be).
 *
 * @example
 * nodeLayoutOf(transport).nodeOf(3); // the node of world rank 3
 */
export function nodeLayoutOf(transport: Pick<Transport, 'nodeOf'>): NodeLayout {
  const nodeOf = transport.nodeOf;
  if (nodeOf === undefined) return RANK_PER_NODE;
  return { nodeOf: (rank) => nodeOf.call(transport, rank) };
}
