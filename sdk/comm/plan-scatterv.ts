import { plural } from '../base/describe-value.js';
import { ERR_COUNT, ERR_TRUNCATE, MPIError } from '../base/errors.js';
import { runScatter } from '../collectives/algorithms.js';
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
 * `Scatterv`: the root sends block i of `sendbuf` (`counts[i]` elements at `displs[i]`) to rank i.
 * `sendbuf`, `counts` and `displs` are read at the root only; `recvbuf` may be `IN_PLACE` there
 * (the root's block stays in `sendbuf`). Off the root a block larger than `recvbuf` is ERR_TRUNCATE.
 */
export function planScatterv(
  who: Who,
  sendbuf: unknown,
  counts: unknown,
  displs: unknown,
  recvbuf: unknown,
  root: unknown,
  call = 'Scatterv',
): BufferPlan {
  const r = checkRoot(root, who.size);
  const isRoot = who.rank === r;
  const rb = bufferArg(recvbuf, call, 'recvbuf', isRoot);
  let parts: Uint8Array[] | null = null;
  let own: (() => void) | null = null;
  if (isRoot) {
    const sb = typedArg(sendbuf, call, 'sendbuf');
    const c = countsArg(counts, who.size, call, 'counts');
    const d = displsArg(displs, c, call, 'displs');
    checkBlocksFit(sb.length, c, d, ERR_COUNT, call, { buf: 'sendbuf', counts: 'counts', displs: 'displs' });
    if (rb !== IN_PLACE) {
      checkSameKind(sb, rb, call, 'sendbuf', 'recvbuf');
      if (rb.length < c[r]!) {
        throw new MPIError(
          ERR_TRUNCATE,
          `${call}: \`recvbuf\` holds ${plural(rb.length, 'element')} but the root's block has \`counts[${r}]\` = ${c[r]}`,
        );
      }
      const mine = sb.slice(d[r]!, d[r]! + c[r]!) as TypedArray;
      own = () => copyBlock(rb, 0, mine);
    }
    parts = c.map((n, i) => (i === r ? new Uint8Array(0) : encodeBlock(sb, d[i]!, n)));
  }
  return {
    call: `${call}(root=${r})`,
    // Only the root knows the blocks' sizes: choose for a small payload, as `scatter` does.
    select: { collective: 'scatter', bytes: NOMINAL_BYTES, shape: { root: r } },
    async run(ctx, spec) {
      // The root's own part never travels: every scatter algorithm hands parts[root] back to it.
      const got = await runScatter(ctx, spec, parts, r);
      if (isRoot) own?.();
      else placeBlock(rb as TypedArray, 0, undefined, got, r, call);
    },
  };
}

/** `Scatter`: `Scatterv` with `sendbuf` cut into `size` equal blocks. */
export function planScatter(who: Who, sendbuf: unknown, recvbuf: unknown, root: unknown): BufferPlan {
  const r = checkRoot(root, who.size);
  let counts: number[] | null = null;
  if (who.rank === r) {
    const sb = typedArg(sendbuf, 'Scatter', 'sendbuf');
    counts = Array(who.size).fill(equalBlock(sb.length, who.size, 'Scatter', 'sendbuf'));
  }
  return planScatterv(who, sendbuf, counts, null, recvbuf, r, 'Scatter');
}
