import { describeValue } from '../../base/describe-value.js';

/**
 * How the ranks of a job are laid out on nodes: in blocks of `ranksPerNode` consecutive world
 * ranks, the last node taking the rest (`size` need not be a multiple). Pure arithmetic on two
 * numbers every rank is given alike, so every rank (and the launcher) sees the same layout.
 *
 * @example
 * const plan = new NodePlan(17, 8); // nodes 0..2 with 8, 8 and 1 ranks
 * plan.nodeOf(9); // 1
 * plan.localIndex(9); // 1
 */
export class NodePlan {
  readonly size: number;
  readonly ranksPerNode: number;
  /** Number of nodes: ceil(size / ranksPerNode). */
  readonly nodes: number;

  constructor(size: number, ranksPerNode: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`Expected \`size\` to be an integer >= 1, got ${describeValue(size)}`);
    }
    if (!Number.isInteger(ranksPerNode) || ranksPerNode < 1) {
      throw new RangeError(
        `Expected \`ranksPerNode\` to be an integer >= 1, got ${describeValue(ranksPerNode)}`,
      );
    }
    this.size = size;
    this.ranksPerNode = Math.min(ranksPerNode, size);
    this.nodes = Math.ceil(size / this.ranksPerNode);
  }

  /** The node of world rank `rank`. */
  nodeOf(rank: number): number {
    return Math.floor(rank / this.ranksPerNode);
  }

  /** The position of `rank` among its node's ranks (its slot in the node's shared memory). */
  localIndex(rank: number): number {
    return rank % this.ranksPerNode;
  }

  /** The lowest world rank on `node`. */
  firstRank(node: number): number {
    return node * this.ranksPerNode;
  }

  /** How many ranks run on `node` (the last node may have fewer). */
  ranksOn(node: number): number {
    return Math.min(this.ranksPerNode, this.size - node * this.ranksPerNode);
  }
}
