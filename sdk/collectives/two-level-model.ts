import type { AlgorithmSpec, CollectiveName } from './algorithms.js';
import type { CallShape } from './call-shape.js';
import { choose, type Optimize, rank } from './choose.js';
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
 * Whether the root can send a result straight to every rank of the other nodes (`down: 'direct'`):
 * the copies for one node must leave in one send call (the sender batches what one turn sends to
 * one queue, up to `messagesPerSend` entries in one message's size), so they cost what one message
 * to that node costs.
 */
export function directFits(profile: TransportProfile, shape: CallShape, layout: NodeShape): boolean {
  return (
    layout.nodes >= 2 &&
    layout.perNode >= 2 &&
    layout.perNode <= profile.messagesPerSend &&
    layout.perNode * Math.max(1, shape.bytes) <= profile.maxMessageBytes
  );
}

/**
 * Every way the model weighs to run a call in two levels (none for a collective outside
 * `TWO_LEVEL_COLLECTIVES`):
 * - `node`: a flat tree inside each node over shared memory (the memory profile: microseconds,
 *   nothing billed), and between the nodes' leaders the algorithm the model picks for a call of
 *   `nodes` ranks over `profile` (its fastest and its cheapest);
 * - `direct` (bcast, allreduce, barrier; where `directFits`): the result leaves the root straight
 *   for every other rank. The sends to one node's ranks leave in one batch to its queue and its
 *   receiver hands them out, so across nodes this is one flat broadcast of a message `perNode`
 *   times the payload, with no stage inside the nodes after it. For allreduce and barrier the
 *   ranks first reduce inside their node and across the leaders to rank 0.
 * Phases add up: the node stages of all nodes run side by side, so the fullest node stands for
 * them. Requests and USD are the SQS ones (shared memory bills nothing); hops count both levels.
 *
 * @example
 * twoLevelCandidates(SQS_PROFILE, { collective: 'allreduce', size: 64, bytes: 8 }, { nodes: 8, perNode: 8 }).length;
 */
export function twoLevelCandidates(
  profile: TransportProfile,
  shape: CallShape,
  layout: NodeShape,
): TwoLevelPrediction[] {
  const c = shape.collective;
  if (!TWO_LEVEL_COLLECTIVES.has(c)) return [];
  const { nodes, perNode } = layout;
  const flat: AlgorithmSpec = { name: 'knomial', radix: Math.max(2, perNode) };
  const inNode = (collective: 'reduce' | 'bcast') =>
    perNode <= 1
      ? NONE
      : predict(MEMORY_PROFILE, { collective, size: perNode, bytes: shape.bytes, commute: true }, flat);
  const up = c === 'bcast' ? NONE : inNode('reduce');
  const down = c === 'reduce' ? NONE : inNode('bcast');
  const out: TwoLevelPrediction[] = [];
  const seen = new Set<string>();
  for (const objective of ['latency', 'cost'] as const) {
    const inter = choose(profile, { ...shape, size: nodes }, objective).chosen;
    if (seen.has(inter.label)) continue;
    seen.add(inter.label);
    out.push({
      algorithm: { name: 'two-level', inter: inter.algorithm },
      label: `two-level(node: flat; ${nodes} leaders: ${inter.label})`,
      timeMs: up.timeMs + inter.timeMs + down.timeMs,
      hops: up.hops + inter.hops + down.hops,
      interHops: inter.hops,
      messages: nodes * (up.messages + down.messages) + inter.messages,
      requests: inter.requests,
      usd: inter.usd,
    });
  }
  if (c !== 'reduce' && directFits(profile, shape, layout)) {
    // One flat broadcast between nodes of the node's copies together (its billing, transfer and
    // receive calls); the root's own node gets its copies over shared memory meanwhile.
    const spread = predict(
      profile,
      { collective: 'bcast', size: nodes, bytes: perNode * shape.bytes },
      { name: 'knomial', radix: nodes },
    );
    const copies = (nodes - 1) * perNode + (perNode - 1);
    if (c === 'bcast') {
      out.push({
        algorithm: { name: 'two-level', down: 'direct' },
        label: `flat, one batch per node (${nodes} nodes)`,
        timeMs: spread.timeMs,
        hops: spread.hops,
        interHops: spread.hops,
        messages: copies,
        requests: spread.requests,
        usd: spread.usd,
      });
    } else {
      for (const objective of ['latency', 'cost'] as const) {
        const inter = choose(
          profile,
          { ...shape, collective: 'reduce', size: nodes, root: 0 },
          objective,
        ).chosen;
        const label = `two-level(node: flat; ${nodes} leaders: reduce ${inter.label}; result: flat, one batch per node)`;
        if (seen.has(label)) continue;
        seen.add(label);
        out.push({
          algorithm: { name: 'two-level', inter: inter.algorithm, down: 'direct' },
          label,
          timeMs: up.timeMs + inter.timeMs + spread.timeMs,
          hops: up.hops + inter.hops + spread.hops,
          interHops: inter.hops + spread.hops,
          messages: nodes * up.messages + inter.messages + copies,
          requests: inter.requests + spread.requests,
          usd: inter.usd + spread.usd,
        });
      }
    }
  }
  return out;
}

/**
 * The model's pick for a call on a layout: the one-level candidates, and where ranks share nodes
 * (`layout` given, more than one rank on some node) the two-level ones, ranked together under
 * `optimize`. What every rank computes alike (`selectAlgorithm`) and what the benchmarks print.
 *
 * @example
 * modelPick(SQS_PROFILE, { collective: 'bcast', size: 64, bytes: 8 }, { nodes: 8, perNode: 8 }, 'balanced').label;
 */
export function modelPick(
  profile: TransportProfile,
  shape: CallShape,
  layout: NodeShape | undefined,
  optimize: Optimize,
): Prediction {
  const flat = choose(profile, shape, optimize);
  if (layout === undefined || layout.perNode <= 1 || !TWO_LEVEL_COLLECTIVES.has(shape.collective)) {
    return flat.chosen;
  }
  return rank([...flat.ranked, ...twoLevelCandidates(profile, shape, layout)], optimize)[0]!;
}
