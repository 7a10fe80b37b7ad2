import {
  type AlgorithmSpec,
  applicable,
  type CollectiveName,
  describeAlgorithm,
  normalizeAlgorithm,
} from './algorithms.js';
import { sizeClass } from './call-shape.js';
import type { ChoiceLog, CollectiveRecord, SelectedBy } from './choice-log.js';
import type { ReduceOp } from './collective-context.js';
import type { CollectiveTuning } from './collective-tuning.js';
import { hasSharedNodes, type NodeGroups } from './node-groups.js';
import { type Prediction, predict } from './predict.js';
import { isSegmentable } from './reduce-scatter-allgather.js';
import { modelPick } from './two-level-model.js';

/** What one call knows beyond its collective and payload size: its reduction, operand and root. */
export interface CallShape {
  reduceOp?: ReduceOp;
  value?: unknown;
  root?: number;
}

/**
 * One call shape's choice, kept until the tuning changes: the algorithm, and the choice log's
 * record of such calls, where the caller adds each call's elapsed time once it completes.
 */
export interface CachedChoice {
  spec: AlgorithmSpec;
  label: string;
  by: SelectedBy;
  prediction: Prediction | undefined;
  record: CollectiveRecord;
}

/** Choices by call shape (see `choiceKey`): the model is consulted once per shape. Clear it when the tuning changes. */
export type ChoiceCache = Map<number, CachedChoice>;

/** The algorithm of one call (counted in the log already), and where its elapsed time goes. */
export type Selection = CachedChoice;

/** Collective names by number, for `choiceKey` (assigned on first use, alike within a rank). */
const collectiveKeys = new Map<string, number>();

/** A call shape as one number: no string is built per call. */
function choiceKey(
  collective: CollectiveName,
  bytesClass: number,
  commute: boolean,
  rootZero: boolean,
  segmentable: boolean,
  elementwise: boolean | undefined,
): number {
  let c = collectiveKeys.get(collective);
  if (c === undefined) collectiveKeys.set(collective, (c = collectiveKeys.size));
  const e = elementwise === undefined ? 0 : elementwise ? 1 : 2;
  // bytesClass is a power of two: its log2 fits in 6 bits.
  return (
    (((c * 64 + Math.log2(bytesClass)) * 2 + (commute ? 1 : 0)) * 2 + (rootZero ? 1 : 0)) * 6 +
    (segmentable ? 3 : 0) +
    e
  );
}

/**
 * Picks the algorithm of one call: the naive oracle, the user's override, the model's choice, or
 * the fixed trees. Depends only on what every rank knows alike (the tuning, the size, the
 * collective, the size class of a payload all ranks share), so every rank picks the same one.
 * The call is counted in `log`.
 */
export function selectAlgorithm(
  tuning: CollectiveTuning,
  size: number,
  collective: CollectiveName,
  bytes: number,
  call: CallShape,
  cache: ChoiceCache,
  log: ChoiceLog,
  nodes?: NodeGroups,
  threads?: NodeGroups,
): Selection {
  const n = size;
  const { reduceOp } = call;
  const segmentable = reduceOp?.elementwise === true && call.value !== undefined && isSegmentable(call.value);
  const bytesClass = sizeClass(bytes);
  const commute = reduceOp?.commute ?? true;
  const root = call.root ?? 0;
  const key = choiceKey(collective, bytesClass, commute, root === 0, segmentable, reduceOp?.elementwise);
  const hit = cache.get(key);
  if (hit !== undefined) {
    hit.record.calls++;
    log.last = hit.label;
    return hit;
  }
  const shape = { collective, size: n, bytes: bytesClass, commute, root, segmentable };
  let spec: AlgorithmSpec;
  let by: SelectedBy;
  let prediction: Prediction | undefined;
  const override = tuning.algorithm[collective];
  const applies = (s: AlgorithmSpec) =>
    applicable(collective, s, reduceOp === undefined ? {} : { op: reduceOp, value: call.value });
  if (tuning.naive) {
    spec = { name: 'linear' };
    by = 'naive';
  } else if (override !== undefined && applies(override)) {
    spec = normalizeAlgorithm(override, n);
    by = 'override';
    prediction = predict(tuning.profile, shape, spec);
  } else if (tuning.optimize !== null) {
    // Where ranks share nodes, the model also weighs running in two levels (the same on every
    // rank: the node groups come from the transport's layout, alike everywhere).
    const layout =
      hasSharedNodes(nodes) && (shape.commute || nodes.contiguous)
        ? { nodes: nodes.members.length, perNode: nodes.maxPerNode }
        : undefined;
    prediction = modelPick(tuning.profile, shape, layout, tuning.optimize);
    spec = prediction.algorithm;
    by = tuning.optimize;
  } else {
    spec =
      overThreads(collective, shape.commute, threads) ??
      normalizeAlgorithm(fixedAlgorithm(tuning, collective), n);
    by = 'fixed';
  }
  const label = prediction?.algorithm.name === 'two-level' ? prediction.label : describeAlgorithm(spec, n);
  const record = log.entry(collective, n, shape.bytes, label, spec, by, prediction);
  const choice: CachedChoice = { spec, label, by, prediction, record };
  cache.set(key, choice);
  record.calls++;
  log.last = label;
  return choice;
}

/**
 * Fixed tuning where threads hold many ranks each (`threads`: the communicator's ranks by thread):
 * allreduce and barrier run in two levels, inside each thread (a hop there is a function call
 * away) and then between one rank per thread. The per-message cost dominates there, and this cuts
 * messages threefold: an allreduce of 64 ranks in 2 threads sends 126 messages, 2 across
 * threads, where recursive doubling sends 384. Measured side by side on 2 cores (1,000 calls
 * after 100): at 64 ranks (32 per thread), allreduce 0.87-1.15 ms against 1.42-1.81, barrier
 * 0.60-0.83 against 1.25-1.65; at 8 ranks (4 per thread) the flat forms were faster (barrier
 * 145-175 µs against 190-215), hence the threshold. bcast and reduce trees send as many
 * messages either way and gained nothing. A non-commutative reduction needs each thread's ranks
 * contiguous.
 */
function overThreads(
  collective: CollectiveName,
  commute: boolean,
  threads: NodeGroups | undefined,
): AlgorithmSpec | undefined {
  if (!hasSharedNodes(threads) || threads.maxPerNode < RANKS_PER_THREAD_FOR_TWO_LEVEL) return undefined;
  if (collective === 'barrier') return { name: 'two-level', inter: { name: 'dissemination', radix: 2 } };
  if (collective === 'allreduce' && (commute || threads.contiguous))
    return { name: 'two-level', inter: { name: 'recursive', radix: 2 } };
  return undefined;
}

/** Ranks per thread from which allreduce and barrier run in two levels (see `overThreads`). */
const RANKS_PER_THREAD_FOR_TWO_LEVEL = 8;

/** The algorithms of fixed tuning (`optimize: null`), as before the cost model. */
function fixedAlgorithm(tuning: CollectiveTuning, collective: CollectiveName): AlgorithmSpec {
  const k = tuning.radix;
  switch (collective) {
    case 'allreduce':
      return tuning.allreduce === 'reduce-bcast'
        ? { name: 'reduce-bcast', radix: k, radix2: k }
        : { name: 'recursive', radix: 2 };
    case 'allgather':
      return { name: 'gather-bcast', radix: k, radix2: k };
    case 'alltoall':
      return { name: 'direct' };
    case 'barrier':
      return { name: 'dissemination', radix: k };
    case 'scan':
    case 'exscan':
      return { name: 'prefix', radix: 2 };
    default:
      return { name: 'knomial', radix: k };
  }
}
