import { plural } from '../base/describe-value.js';
import { ERR_COUNT, ERR_OP, ERR_TRUNCATE, MPIError } from '../base/errors.js';
import { decode, encode } from '../codec/codec.js';
import { runReduceScatter } from '../collectives/reduce-scatter.js';
import {
  bufferArg,
  checkSameKind,
  countsArg,
  equalBlock,
  kindOf,
  opArg,
  prefixSums,
  typedArg,
} from './buffer-args.js';
import { encodeBlock, placeValue } from './buffer-blocks.js';
import type { BufferPlan, Who } from './buffer-plan.js';
import { isTypedArray, type TypedArray } from './check.js';
import { IN_PLACE } from './in-place.js';
import type { Op } from './op.js';
import { toReduceOp } from './reduce-operand.js';

/**
 * `Reduce_scatter`: the element-wise reduction (in rank order) of every rank's first
 * `sum(recvcounts)` elements of `sendbuf`, cut in rank order: rank i gets `recvcounts[i]` elements
 * at the front of `recvbuf`. With `IN_PLACE` as `sendbuf` the input is read from `recvbuf`.
 */
export function planReduceScatter(
  who: Who,
  sendbuf: unknown,
  recvbuf: unknown,
  recvcounts: unknown,
  op: unknown,
  call = 'Reduce_scatter',
): BufferPlan {
  const o = opArg(op, call);
  const sb = bufferArg(sendbuf, call, 'sendbuf', true);
  const rb = typedArg(recvbuf, call, 'recvbuf');
  const counts = countsArg(recvcounts, who.size, call, 'recvcounts');
  const displs = prefixSums(counts);
  const total = displs[who.size - 1]! + counts[who.size - 1]!;
  const src = sb === IN_PLACE ? rb : sb;
  const srcName = sb === IN_PLACE ? 'recvbuf (IN_PLACE)' : 'sendbuf';
  if (src.length < total) {
    throw new MPIError(
      ERR_COUNT,
      `${call}: \`recvcounts\` add up to ${plural(total, 'element')} but \`${srcName}\` has ${src.length}`,
    );
  }
  if (sb !== IN_PLACE) {
    checkSameKind(sb, rb, call, 'sendbuf', 'recvbuf');
    if (rb.length < counts[who.rank]!) {
      throw new MPIError(
        ERR_TRUNCATE,
        `${call}: \`recvbuf\` holds ${plural(rb.length, 'element')} but \`recvcounts[${who.rank}]\` is ${counts[who.rank]}`,
      );
    }
  }
  // A private copy: the predefined ops write their result into an operand.
  const value = src.slice(0, total) as TypedArray;
  o.check(value, call);
  const kind = kindOf(value);
  const cut = (reduced: unknown): Uint8Array[] => {
    if (!isTypedArray(reduced) || kindOf(reduced) !== kind || reduced.length !== total) {
      // Every rank still gets a part, a marker that makes it fail too, instead of waiting forever.
      const why = encode(
        `the op's result at rank 0 is not a ${kind} of ${plural(total, 'element')}; a user op on buffers must return a TypedArray like its operands`,
      );
      return counts.map(() => why);
    }
    return counts.map((n, i) => encodeBlock(reduced, displs[i]!, n));
  };
  const rop = toReduceOp(o);
  return {
    call: `${call}(op=${o.name})`,
    // Every rank's operand has the same size: all choose by it. Its algorithms are reduce's.
    select: { collective: 'reduce', bytes: value.byteLength, shape: { root: 0, reduceOp: rop, value } },
    async run(ctx, spec) {
      const part = await runReduceScatter(ctx, spec, value, rop, cut);
      const block = decode(part);
      if (typeof block === 'string') throw new MPIError(ERR_OP, `${call}: ${block}`);
      placeValue(rb, 0, counts[who.rank]!, block, 0, call);
    },
  };
}

/**
 * `Reduce_scatter_block`: `Reduce_scatter` with equal blocks, `sendbuf.length === size ×
 * recvbuf.length` (with `IN_PLACE`, `recvbuf.length === size × n` and the result is its first n).
 */
export function planReduceScatterBlock(who: Who, sendbuf: unknown, recvbuf: unknown, op: Op): BufferPlan {
  const call = 'Reduce_scatter_block';
  opArg(op, call);
  const sb = bufferArg(sendbuf, call, 'sendbuf', true);
  const rb = typedArg(recvbuf, call, 'recvbuf');
  const n =
    sb === IN_PLACE
      ? equalBlock(rb.length, who.size, call, 'recvbuf')
      : equalBlock(sb.length, who.size, call, 'sendbuf');
  if (sb !== IN_PLACE) {
    checkSameKind(sb, rb, call, 'sendbuf', 'recvbuf');
    // `sendbuf.length === size * recvbuf.length`, as Alltoall's equal lengths: too short is
    // ERR_TRUNCATE, too long ERR_COUNT (the counts disagree). Checked here so the message names
    // this call's arguments (it has no `recvcounts`).
    if (rb.length !== n) {
      throw new MPIError(
        rb.length < n ? ERR_TRUNCATE : ERR_COUNT,
        `${call}: \`recvbuf\` holds ${plural(rb.length, 'element')} but each rank's block is ${n} (\`sendbuf\` has ${plural(sb.length, 'element')} for ${plural(who.size, 'rank')}): \`sendbuf.length\` must be ${who.size} × \`recvbuf.length\`; pass a \`recvbuf\` of ${n}${rb.length > n ? ` (e.g. \`recvbuf.subarray(0, ${n})\`)` : ''}`,
      );
    }
  }
  return planReduceScatter(who, sendbuf, recvbuf, Array(who.size).fill(n), op, call);
}
