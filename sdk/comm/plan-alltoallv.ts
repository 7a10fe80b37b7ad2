import { plural } from '../base/describe-value.js';
import { ERR_COUNT, ERR_TRUNCATE, MPIError } from '../base/errors.js';
import { runAlltoall } from '../collectives/algorithms.js';
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
import { encodeBlock, placeBlock } from './buffer-blocks.js';
import type { BufferPlan, Who } from './buffer-plan.js';
import type { TypedArray } from './check.js';
import { IN_PLACE } from './in-place.js';

/**
 * `Alltoallv`, as MPI_Alltoallv: block j of `sendbuf` (`sendcounts[j]` elements at `sdispls[j]`)
 * goes to rank j, and what rank j sends this rank lands at `recvbuf[rdispls[j]..]`, where it must
 * be exactly `recvcounts[j]` elements.
 */
export function planAlltoallv(
  who: Who,
  sendbuf: unknown,
  sendcounts: unknown,
  sdispls: unknown,
  recvbuf: unknown,
  recvcounts: unknown,
  rdispls: unknown,
  call = 'Alltoallv',
  bytes = NOMINAL_BYTES,
): BufferPlan {
  const { size } = who;
  const sb = typedArg(sendbuf, call, 'sendbuf');
  const sc = countsArg(sendcounts, size, call, 'sendcounts');
  const sd = displsArg(sdispls, sc, call, 'sdispls');
  checkBlocksFit(sb.length, sc, sd, ERR_COUNT, call, {
    buf: 'sendbuf',
    counts: 'sendcounts',
    displs: 'sdispls',
  });
  const rb = typedArg(recvbuf, call, 'recvbuf');
  const rc = countsArg(recvcounts, size, call, 'recvcounts');
  const rd = displsArg(rdispls, rc, call, 'rdispls');
  checkBlocksFit(rb.length, rc, rd, ERR_TRUNCATE, call, {
    buf: 'recvbuf',
    counts: 'recvcounts',
    displs: 'rdispls',
  });
  checkSameKind(sb, rb, call, 'sendbuf', 'recvbuf');
  return planExchange(
    sc.map((n, j) => encodeBlock(sb, sd[j]!, n)),
    rb,
    rc,
    rd,
    call,
    bytes,
  );
}

/**
 * `Alltoall`: equal blocks, `sendbuf.length === recvbuf.length`, a multiple of `size`; block j of
 * rank i lands as block i of rank j. With `IN_PLACE` as `sendbuf` the blocks to send are read from
 * `recvbuf` (before anything is received into it).
 */
export function planAlltoall(who: Who, sendbuf: unknown, recvbuf: unknown): BufferPlan {
  const call = 'Alltoall';
  const sb = bufferArg(sendbuf, call, 'sendbuf', true);
  const rb = typedArg(recvbuf, call, 'recvbuf');
  const src = sb === IN_PLACE ? rb : sb;
  const n = equalBlock(src.length, who.size, call, sb === IN_PLACE ? 'recvbuf' : 'sendbuf');
  if (rb.length !== src.length) {
    throw new MPIError(
      rb.length < src.length ? ERR_TRUNCATE : ERR_COUNT,
      `${call}: \`recvbuf\` has ${plural(rb.length, 'element')} but \`sendbuf\` ${src.length}: they must be equal (${plural(who.size, 'block')} of ${n})`,
    );
  }
  checkSameKind(src, rb, call, 'sendbuf', 'recvbuf');
  const counts: number[] = Array(who.size).fill(n);
  const displs = counts.map((_, j) => j * n);
  // Every rank's buffers have the same size: all choose by it.
  return planExchange(
    counts.map((_, j) => encodeBlock(src, j * n, n)),
    rb,
    counts,
    displs,
    call,
    src.byteLength,
  );
}

function planExchange(
  parts: Uint8Array[],
  rb: TypedArray,
  rc: readonly number[],
  rd: readonly number[],
  call: string,
  bytes: number,
): BufferPlan {
  return {
    call: `${call}()`,
    select: { collective: 'alltoall', bytes, shape: {} },
    async run(ctx, spec) {
      const got = await runAlltoall(ctx, spec, parts);
      got.forEach((p, j) => {
        placeBlock(rb, rd[j]!, rc[j]!, p, j, call);
      });
    },
  };
}
