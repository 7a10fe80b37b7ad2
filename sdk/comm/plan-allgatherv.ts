import { plural } from '../base/describe-value.js';
import { ERR_COUNT, ERR_TRUNCATE, MPIError } from '../base/errors.js';
import { runAllgather } from '../collectives/algorithms.js';
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
import type { TypedArray } from './check.js';
import { IN_PLACE } from './in-place.js';

/**
 * `Allgatherv`: rank i's `sendbuf` (`counts[i]` elements) lands at `recvbuf[displs[i]..]` on every
 * rank. With `IN_PLACE` as `sendbuf`, each rank's block is already at its place in `recvbuf`.
 */
export function planAllgatherv(
  who: Who,
  sendbuf: unknown,
  recvbuf: unknown,
  counts: unknown,
  displs: unknown,
  call = 'Allgatherv',
): BufferPlan {
  const { rank, size } = who;
  const sb = bufferArg(sendbuf, call, 'sendbuf', true);
  const rb = typedArg(recvbuf, call, 'recvbuf');
  const c = countsArg(counts, size, call, 'counts');
  const d = displsArg(displs, c, call, 'displs');
  checkBlocksFit(rb.length, c, d, ERR_TRUNCATE, call, { buf: 'recvbuf', counts: 'counts', displs: 'displs' });
  let own: TypedArray | null = null;
  if (sb !== IN_PLACE) {
    checkSameKind(sb, rb, call, 'sendbuf', 'recvbuf');
    if (sb.length !== c[rank]) {
      throw new MPIError(
        sb.length > c[rank]! ? ERR_TRUNCATE : ERR_COUNT,
        `${call}: \`sendbuf\` has ${plural(sb.length, 'element')} but \`counts[${rank}]\` is ${c[rank]}`,
      );
    }
    own = sb.slice() as TypedArray;
  }
  const mine = own === null ? encodeBlock(rb, d[rank]!, c[rank]!) : encodeBlock(own, 0, own.length);
  let total = 0;
  for (const n of c) total += n;
  return {
    call: `${call}()`,
    // Every rank knows the counts, so all choose by the same size.
    select: { collective: 'allgather', bytes: total * rb.BYTES_PER_ELEMENT, shape: {} },
    async run(ctx, spec) {
      const parts = await runAllgather(ctx, spec, mine);
      parts.forEach((p, i) => {
        if (i !== rank) placeBlock(rb, d[i]!, c[i]!, p, i, call);
      });
      if (own !== null) copyBlock(rb, d[rank]!, own);
    },
  };
}

/**
 * `Allgather`: `Allgatherv` with blocks of `sendbuf.length` elements in rank order (with `IN_PLACE`,
 * of `recvbuf.length / size`). A larger `recvbuf` keeps its tail.
 */
export function planAllgather(who: Who, sendbuf: unknown, recvbuf: unknown): BufferPlan {
  const sb = bufferArg(sendbuf, 'Allgather', 'sendbuf', true);
  const rb = typedArg(recvbuf, 'Allgather', 'recvbuf');
  const n = sb === IN_PLACE ? equalBlock(rb.length, who.size, 'Allgather', 'recvbuf') : sb.length;
  if (rb.length < n * who.size) {
    throw new MPIError(
      ERR_TRUNCATE,
      `Allgather: recvbuf holds ${plural(rb.length, 'element')} but ${plural(who.size, 'rank')} × ${n} = ${n * who.size} are needed`,
    );
  }
  return planAllgatherv(who, sendbuf, recvbuf, Array(who.size).fill(n), null, 'Allgather');
}
