import { bcast } from './bcast.js';
import { type CollectiveContext, type ReduceOp, withRadix } from './collective-context.js';
import type { NodeGroups } from './node-groups.js';
import { reduce, reduceToTreeRoot } from './reduce.js';

/*
 * Collectives in two levels: inside each node over its shared memory, across nodes between one
 * leader per node. Inside a node the trees are flat (one hop of microseconds; the node's ranks
 * are few); across nodes any algorithm runs on the leaders, given as `inter`. A node's leader is
 * its lowest rank, except on the root's node, where the root leads.
 *
 * Messages of all levels travel on the call's one channel: a pair of ranks that talks in two
 * levels does so in program order on both sides, and the channel keeps each pair in order.
 */

const EMPTY = new Uint8Array(0);
/** The reduction of a barrier: nothing to combine. */
export const NOTHING_OP: ReduceOp = { combine: () => null, commute: true };

/** `ctx` restricted to `members` (ranks of `ctx`), numbered by their position there. */
function subContext(ctx: CollectiveContext, members: readonly number[], radix: number): CollectiveContext {
  const rank = members.indexOf(ctx.rank);
  return {
    rank,
    size: members.length,
    radix,
    send: (dst, payload) => ctx.send(members[dst]!, payload),
    recv: (src) => ctx.recv(members[src]!),
    encode: (v) => ctx.encode(v),
    decode: (b) => ctx.decode(b),
  };
}

interface Levels {
  /** This rank's node, flat. */
  node: CollectiveContext;
  /** The leaders, one per node in node order (undefined on a rank that does not lead). */
  leaders: CollectiveContext | undefined;
  /** This rank's node leader, as a rank of `node`. */
  leader: number;
  /** The root's node, as a rank of `leaders`. */
  rootNode: number;
}

function levels(ctx: CollectiveContext, g: NodeGroups, root: number): Levels {
  const mine = g.members[g.nodeIndex[ctx.rank]!]!;
  const rootNode = g.nodeIndex[root]!;
  const leaderRanks = g.members.map((m, i) => (i === rootNode ? root : m[0]!));
  const myLeader = leaderRanks[g.nodeIndex[ctx.rank]!]!;
  return {
    node: subContext(ctx, mine, Math.max(2, mine.length)),
    leaders: myLeader === ctx.rank ? subContext(ctx, leaderRanks, ctx.radix) : undefined,
    leader: mine.indexOf(myLeader),
    rootNode,
  };
}

export type InterBcast = (
  ctx: CollectiveContext,
  bytes: Uint8Array | null,
  root: number,
) => Promise<Uint8Array>;
export type InterReduce = (ctx: CollectiveContext, value: unknown, root: number) => Promise<unknown | null>;
export type InterAllreduce = (ctx: CollectiveContext, value: unknown) => Promise<unknown>;
export type InterBarrier = (ctx: CollectiveContext) => Promise<void>;

/** Bcast: across the leaders from the root, then inside each node from its leader. */
export async function bcastTwoLevel(
  ctx: CollectiveContext,
  g: NodeGroups,
  bytes: Uint8Array | null,
  root: number,
  inter: InterBcast,
): Promise<Uint8Array> {
  const l = levels(ctx, g, root);
  let data = bytes;
  if (l.leaders !== undefined) data = await inter(l.leaders, data, l.rootNode);
  return bcast(l.node, l.node.rank === l.leader ? data : null, l.leader);
}

/**
 * Reduce: inside each node to its leader, then across the leaders to the root. With a
 * non-commutative op only over contiguous nodes (the caller's check): node partials are then
 * rank-ordered ranges, combined in node order.
 */
export async function reduceTwoLevel(
  ctx: CollectiveContext,
  g: NodeGroups,
  value: unknown,
  op: ReduceOp,
  root: number,
  inter: InterReduce,
): Promise<unknown | null> {
  const l = levels(ctx, g, root);
  const partial = await reduce(l.node, value, op, l.leader);
  if (l.leaders === undefined) return null;
  const out = await inter(l.leaders, partial, l.rootNode);
  return ctx.rank === root ? out : null;
}

/** Allreduce: inside each node to its leader, across the leaders, back inside each node. */
export async function allreduceTwoLevel(
  ctx: CollectiveContext,
  g: NodeGroups,
  value: unknown,
  op: ReduceOp,
  inter: InterAllreduce,
): Promise<unknown> {
  const l = levels(ctx, g, 0);
  let acc = await reduceToTreeRoot(l.node, value, op, l.leader);
  if (l.leaders !== undefined) acc = await inter(l.leaders, acc);
  const lead = l.node.rank === l.leader;
  const bytes = await bcast(l.node, lead ? ctx.encode(acc) : null, l.leader);
  return lead ? acc : ctx.decode(bytes);
}

/** Barrier: every rank of a node reports to its leader, the leaders meet, each releases its node. */
export async function barrierTwoLevel(
  ctx: CollectiveContext,
  g: NodeGroups,
  inter: InterBarrier,
): Promise<void> {
  const l = levels(ctx, g, 0);
  await reduceToTreeRoot(l.node, null, NOTHING_OP, l.leader);
  if (l.leaders !== undefined) await inter(l.leaders);
  await bcast(l.node, l.node.rank === l.leader ? EMPTY : null, l.leader);
}

/** `ctx` with a flat tree: the root sends to every other rank itself. */
function flatWorld(ctx: CollectiveContext): CollectiveContext {
  return withRadix(ctx, Math.max(2, ctx.size));
}

/**
 * Bcast straight from the root to every rank. The root sends in one synchronous loop, so what it
 * sends to the ranks of one node leaves in one batch to that node's queue (`SqsSender` gathers a
 * turn's sends to one queue), and the node's receiver hands each rank its copy: one hop across
 * nodes, none inside them, a send call per node.
 */
export function bcastDirect(
  ctx: CollectiveContext,
  bytes: Uint8Array | null,
  root: number,
): Promise<Uint8Array> {
  return bcast(flatWorld(ctx), bytes, root);
}

/**
 * Allreduce: reduce in two levels to rank 0 (inside each node, then across the leaders with
 * `inter`), then rank 0 sends the result straight to every rank (`bcastDirect`).
 */
export async function allreduceTwoLevelDirect(
  ctx: CollectiveContext,
  g: NodeGroups,
  value: unknown,
  op: ReduceOp,
  inter: InterReduce,
): Promise<unknown> {
  const acc = await reduceTwoLevel(ctx, g, value, op, 0, inter);
  const bytes = await bcastDirect(ctx, ctx.rank === 0 ? ctx.encode(acc) : null, 0);
  return ctx.rank === 0 ? acc : ctx.decode(bytes);
}

/** Barrier: an empty reduce in two levels to rank 0, which then releases every rank directly. */
export async function barrierTwoLevelDirect(
  ctx: CollectiveContext,
  g: NodeGroups,
  inter: InterReduce,
): Promise<void> {
  await reduceTwoLevel(ctx, g, null, NOTHING_OP, 0, inter);
  await bcastDirect(ctx, ctx.rank === 0 ? EMPTY : null, 0);
}
