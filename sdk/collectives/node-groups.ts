/**
 * A communicator's ranks grouped by the node they run on, as every rank computes it alike from
 * the transport's node layout: nodes in order of their lowest rank, ranks ascending within each.
 */
export interface NodeGroups {
  /** `members[i]`: the communicator ranks on node i, ascending; `members[i][0]` is its leader. */
  readonly members: readonly (readonly number[])[];
  /** `nodeIndex[r]`: which entry of `members` holds rank r. */
  readonly nodeIndex: readonly number[];
  /** Most ranks on one node. */
  readonly maxPerNode: number;
  /**
   * Every node's ranks form one contiguous range, so combining node by node in node order is
   * combining in rank order: two-level reduction is then right for non-commutative ops too.
   */
  readonly contiguous: boolean;
}

/**
 * Groups `size` ranks by `nodeOf(rank)`.
 *
 * @example
 * nodeGroupsOf(5, (r) => Math.floor(r / 2)).members; // [[0, 1], [2, 3], [4]]
 */
export function nodeGroupsOf(size: number, nodeOf: (rank: number) => number): NodeGroups {
  const byNode = new Map<number, number[]>();
  const nodeIndex: number[] = [];
  const members: number[][] = [];
  for (let r = 0; r < size; r++) {
    const node = nodeOf(r);
    let m = byNode.get(node);
    if (m === undefined) {
      m = [];
      byNode.set(node, m);
      members.push(m);
    }
    nodeIndex.push(members.indexOf(m));
    m.push(r);
  }
  let maxPerNode = 0;
  let contiguous = true;
  for (const m of members) {
    maxPerNode = Math.max(maxPerNode, m.length);
    if (m[m.length - 1]! - m[0]! !== m.length - 1) contiguous = false;
  }
  return { members, nodeIndex, maxPerNode, contiguous };
}

/** Whether running in two levels can differ from running flat: several nodes, one with several ranks. */
export function hasSharedNodes(g: NodeGroups | undefined): g is NodeGroups {
  return g !== undefined && g.members.length > 1 && g.maxPerNode > 1;
}
