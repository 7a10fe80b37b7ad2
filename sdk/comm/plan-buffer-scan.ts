import { runScan } from '../collectives/algorithms.js';
import { bufferArg, checkReductionRecvbuf, opArg, typedArg } from './buffer-args.js';
import { placeResult } from './buffer-blocks.js';
import type { BufferPlan, Who } from './buffer-plan.js';
import type { TypedArray } from './check.js';
import { IN_PLACE } from './in-place.js';
import { LOGIC_OPS, truthOf } from './predefined-ops.js';
import { toReduceOp } from './reduce-operand.js';

/**
 * `Scan` (inclusive) or `Exscan` (exclusive) on buffers: element-wise, in rank order. The result
 * goes to the front of `recvbuf`; `Exscan` leaves rank 0's `recvbuf` untouched. With `IN_PLACE`
 * as `sendbuf` the input is read from `recvbuf` (all of it) and overwritten by the result.
 */
export function planBufferScan(
  who: Who,
  sendbuf: unknown,
  recvbuf: unknown,
  op: unknown,
  exclusive: boolean,
): BufferPlan {
  const call = exclusive ? 'Exscan' : 'Scan';
  const o = opArg(op, call);
  const sb = bufferArg(sendbuf, call, 'sendbuf', true);
  const rb = typedArg(recvbuf, call, 'recvbuf');
  if (sb !== IN_PLACE) {
    checkReductionRecvbuf(sb, rb, call);
  }
  // A private copy: the predefined ops write their result into an operand.
  const copy = (sb === IN_PLACE ? rb : sb).slice() as TypedArray;
  o.check(copy, call);
  // As the other reductions take it (see `truthOf`): rank 0's LAND of 5 is 1, as over many ranks.
  const value = LOGIC_OPS.has(o) ? (truthOf(copy) as TypedArray) : copy;
  const rop = toReduceOp(o);
  return {
    call: `${call}(op=${o.name})`,
    // Every rank's operand has the same size: all choose by it.
    select: {
      collective: exclusive ? 'exscan' : 'scan',
      bytes: value.byteLength,
      shape: { reduceOp: rop, value },
    },
    async run(ctx, spec) {
      const r = await runScan(ctx, spec, value, rop);
      if (!exclusive) placeResult(rb, r.inclusive, value.length, call);
      else if (who.rank !== 0) placeResult(rb, r.exclusive, value.length, call);
    },
  };
}
