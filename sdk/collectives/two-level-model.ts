import type { AlgorithmSpec, CollectiveName } from './algorithms.js';
import type { CallShape } from './call-shape.js';
import { choose, type Optimize } from './choose.js';
import { type Prediction, predict } from './predict.js';
import { MEMORY_PROFILE, type TransportProfile } from './transport-profile.js';

/** The collectives that run in two levels where the model finds it cheaper. */
export const TWO_LEVEL_COLLECTIVES: ReadonlySet<CollectiveName> = new Set([
  'bcast',
  'reduce',
  'allreduce',
  'barrier',
]);

/** The node layout as the model sees it: how many nodes, how many ranks on the fullest. */
export interface NodeShape {
  nodes: number;
  perNode: number;
}

const NONE = { timeMs: 0, hops: 0, messages: 0 };

/** A two-level prediction, with the hops between nodes (the slow ones) apart. */
export interface TwoLevelPrediction extends Prediction {
  /** Hops on the critical path between node leaders (SQS); `hops` counts the node stages too. */
  readonly interHops: number;
}

/**
 * Predicts a call run in two levels: a flat tree inside each node over shared memory (the
 * memory profile: microseconds, nothing billed), and between the nodes' leaders the algorithm
 * the model itself picks for a call of `nodes` ranks over `profile`. Phases add up: the node
 * stages of all nodes run side by side, so the fullest node stands for them. Requests and USD
 * are the leaders' (shared memory bills nothing); hops count both levels.
 *
 * @example
 * predictTwoLevel(SQS_PROFILE, { collective: 'allreduce', size: 64, bytes: 8 }, { nodes: 8, perNode: 8 }, 'latency').hops; // 3
 */
export function predictTwoLevel(
  profile: TransportProfile,
  shape: CallShape,
  layout: NodeShape,
  optimize: Optimize,
): TwoLevelPrediction {
  const { nodes, perNode } = layout;
  const inter = choose(profile, { ...shape, size: nodes }, optimize).chosen;
  const flat: AlgorithmSpec = { name: 'knomial', radix: Math.max(2, perNode) };
  const inNode = (collective: 'reduce' | 'bcast') =>
    perNode <= 1
      ? NONE
      : predict(MEMORY_PROFILE, { collective, size: perNode, bytes: shape.bytes, commute: true }, flat);
  const c = shape.collective;
  const up = c === 'bcast' ? NONE : inNode('reduce');
  const down = c === 'reduce' ? NONE : inNode('bcast');
  const algorithm: AlgorithmSpec = { name: 'two-level', inter: inter.algorithm };
  return {
    algorithm,
    label: `two-level(node: flat; ${nodes} leaders: ${inter.label})`,
    timeMs: up.timeMs + inter.timeMs + down.timeMs,
    hops: up.hops + inter.hops + down.hops,
    interHops: inter.hops,
    messages: nodes * (up.messages + down.messages) + inter.messages,
    requests: inter.requests,
    usd: inter.usd,
  };
}
