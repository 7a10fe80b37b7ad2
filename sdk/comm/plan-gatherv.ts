import { plural } from '../base/describe-value.js';
import { ERR_COUNT, ERR_TRUNCATE, MPIError } from '../base/errors.js';
import { runGather } from '../collectives/algorithms.js';
import { NOMINAL_BYTES } from '../collectives/call-shape.js';
import {
  bufferArg,
  checkBlocksFit,
  checkSameKind,
  countsArg,
  displsArg,
  equalBlock,
  typedArg,
} from './buffer-args.js';
import { copyBlock, encodeBlock, placeBlock } from './buffer-blocks.js';
import type { BufferPlan, Who } from './buffer-plan.js';
import { checkRoot, type TypedArray } from './check.js';
import { IN_PLACE } from './in-place.js';

/**
 * `Gatherv`: rank i's `sendbuf` (`counts[i]` elements) lands at `recvbuf[displs[i]..]` on the root.
 * `recvbuf`, `counts` and `displs` are read at the root only; `sendbuf` may be `IN_PLACE` there
 * (the root's block is already in `recvbuf`). A block whose length differs from its count fails
 * at the root (ERR_TRUNCATE if longer, ERR_COUNT if shorter).
 */
export function planGatherv(
  who: Who,
  sendbuf: unknown,
  recvbuf: unknown,
  counts: unknown,
  displs: unknown,
  root: unknown,
  call = 'Gatherv',
): BufferPlan {
  const r = checkRoot(root, who.size);
  const isRoot = who.rank === r;
  const sb = bufferArg(sendbuf, call, 'sendbuf', isRoot);
  let mine: Uint8Array = new Uint8Array(0);
  let place: ((parts: Uint8Array[]) => void) | null = null;
  if (isRoot) {
    const rb = typedArg(recvbuf, call, 'recvbuf');
    const c = countsArg(counts, who.size, call, 'counts');
    const d = displsArg(displs, c, call, 'displs');
    checkBlocksFit(rb.length, c, d, ERR_TRUNCATE, call, {
      buf: 'recvbuf',
      counts: 'counts',
      displs: 'displs',
    });
    let own: TypedArray | null = null;
    if (sb !== IN_PLACE) {
      checkSameKind(sb, rb, call, 'sendbuf', 'recvbuf');
      if (sb.length !== c[r]) {
        throw new MPIError(
          sb.length > c[r]! ? ERR_TRUNCATE : ERR_COUNT,
          `${call}: the root's \`sendbuf\` has ${plural(sb.length, 'element')} but \`counts[${r}]\` is ${c[r]}`,
        );
      }
      own = sb.slice() as TypedArray;
    }
    place = (parts) => {
      parts.forEach((p, i) => {
        if (i !== r) placeBlock(rb, d[i]!, c[i]!, p, i, call);
      });
      if (own !== null) copyBlock(rb, d[r]!, own);
    };
  } else {
    mine = encodeBlock(sb as TypedArray, 0, (sb as TypedArray).length);
  }
  return {
    call: `${call}(root=${r})`,
    // Only the root knows the blocks' sizes: choose for a small payload, as `gather` does.
    select: { collective: 'gather', bytes: NOMINAL_BYTES, shape: { root: r } },
    async run(ctx, spec) {
      // The root's own part never travels: every gather algorithm puts `mine` as parts[root].
      const parts = await runGather(ctx, spec, mine, r);
      if (parts !== null) place?.(parts);
    },
  };
}

/**
 * `Gather`: `Gatherv` with blocks of `sendbuf.length` elements in rank order (with `IN_PLACE` at
 * the root, of `recvbuf.length / size`). A larger `recvbuf` keeps its tail.
 */
export function planGather(who: Who, sendbuf: unknown, recvbuf: unknown, root: unknown): BufferPlan {
  const r = checkRoot(root, who.size);
  let counts: number[] | null = null;
  if (who.rank === r) {
    const sb = bufferArg(sendbuf, 'Gather', 'sendbuf', true);
    const rb = typedArg(recvbuf, 'Gather', 'recvbuf');
    const n = sb === IN_PLACE ? equalBlock(rb.length, who.size, 'Gather', 'recvbuf') : sb.length;
    if (rb.length < n * who.size) {
      throw new MPIError(
        ERR_TRUNCATE,
        `Gather: recvbuf holds ${plural(rb.length, 'element')} but ${plural(who.size, 'rank')} × ${n} = ${n * who.size} are needed`,
      );
    }
    counts = Array(who.size).fill(n);
  }
  return planGatherv(who, sendbuf, recvbuf, counts, null, r, 'Gather');
}
