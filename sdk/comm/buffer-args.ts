import { describeValue, plural } from '../base/describe-value.js';
import { ERR_ARG, ERR_COUNT, ERR_TRUNCATE, ERR_TYPE, MPIError } from '../base/errors.js';
import { typedArrayName } from '../codec/typed-array.js';
import { isTypedArray, type TypedArray } from './check.js';
import { IN_PLACE, type InPlace } from './in-place.js';
import { Op } from './op.js';

/** The kind of a TypedArray as a name (`Float64Array`), subclasses such as Buffer included. */
export const kindOf = (a: TypedArray): string => typedArrayName(a)!;

const IN_PLACE_WHERE =
  'it is valid as `sendbuf` of Allreduce, Allgather(v), Alltoall, Reduce_scatter(_block), Scan and Exscan, of Reduce and Gather(v) at the root, and as `recvbuf` of Scatter(v) at the root';

/** A TypedArray argument; `IN_PLACE` only where `inPlace` allows it (a rule MPI has per call and rank). */
export function bufferArg(buf: unknown, call: string, name: string, inPlace = false): TypedArray | InPlace {
  if (buf === IN_PLACE) {
    if (inPlace) return IN_PLACE;
    throw new MPIError(ERR_ARG, `${call}: \`IN_PLACE\` is not valid as \`${name}\` here; ${IN_PLACE_WHERE}`);
  }
  if (isTypedArray(buf)) return buf;
  throw new MPIError(
    ERR_TYPE,
    `${call}: expected \`${name}\` to be a TypedArray (e.g. Float64Array)${inPlace ? ' or IN_PLACE' : ''}, got ${describeValue(buf)}; use the lowercase method to send other values`,
  );
}

/** A TypedArray argument where `IN_PLACE` is not allowed. */
export function typedArg(buf: unknown, call: string, name: string): TypedArray {
  return bufferArg(buf, call, name) as TypedArray;
}

/**
 * Per-rank element counts: an array (or integer TypedArray) of `size` integers >= 0. Wrong length or a
 * bad entry is `ERR_COUNT`, as MPI reports bad counts.
 */
export function countsArg(counts: unknown, size: number, call: string, name: string): number[] {
  if (!Array.isArray(counts) && !isTypedArray(counts)) {
    throw new MPIError(
      ERR_ARG,
      `${call}: expected \`${name}\` to be an array of ${size} element counts (one per rank), got ${describeValue(counts)}`,
    );
  }
  const out = Array.from(counts as ArrayLike<number | bigint>, Number);
  if (out.length !== size) {
    throw new MPIError(
      ERR_COUNT,
      `${call}: expected \`${name}\` to have exactly ${plural(size, 'entry', 'entries')} (one per rank), got ${out.length}`,
    );
  }
  out.forEach((c, i) => {
    if (!Number.isSafeInteger(c) || c < 0) {
      throw new MPIError(
        ERR_COUNT,
        `${call}: expected \`${name}[${i}]\` to be an integer >= 0 (elements, not bytes), got ${describeValue((counts as ArrayLike<unknown>)[i])}`,
      );
    }
  });
  return out;
}

/** Displacements in elements: given (as counts are checked), or by default the exclusive prefix sums of `counts`. */
export function displsArg(displs: unknown, counts: readonly number[], call: string, name: string): number[] {
  if (displs === null || displs === undefined) return prefixSums(counts);
  return countsArg(displs, counts.length, call, name);
}

/** Exclusive prefix sums: where each block starts when the blocks are packed in rank order. */
export function prefixSums(counts: readonly number[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const c of counts) {
    out.push(at);
    at += c;
  }
  return out;
}

/**
 * Every block `[displs[i], displs[i] + counts[i])` lies inside a buffer of `length` elements; the
 * first that does not fails with `errorClass` (ERR_COUNT for data to send, ERR_TRUNCATE for room
 * to receive into).
 */
export function checkBlocksFit(
  length: number,
  counts: readonly number[],
  displs: readonly number[],
  errorClass: number,
  call: string,
  what: { buf: string; counts: string; displs: string },
): void {
  counts.forEach((c, i) => {
    const end = displs[i]! + c;
    if (end > length) {
      throw new MPIError(
        errorClass,
        `${call}: block ${i} (\`${what.counts}[${i}]\` = ${c} at \`${what.displs}[${i}]\` = ${displs[i]}) ends at element ${end}, past the end of \`${what.buf}\` (${plural(length, 'element')}); give a larger buffer or smaller counts`,
      );
    }
  });
}

/** Blocks move from one buffer to the other: both must hold the same kind of element. */
export function checkSameKind(
  a: TypedArray,
  b: TypedArray,
  call: string,
  aName: string,
  bName: string,
): void {
  if (kindOf(a) !== kindOf(b)) {
    throw new MPIError(
      ERR_TYPE,
      `${call}: \`${aName}\` is a ${kindOf(a)} but \`${bName}\` a ${kindOf(b)}; use the same TypedArray type on both`,
    );
  }
}

/**
 * A reduction's `recvbuf` takes the whole result, so it must be of `sendbuf`'s kind and at least as
 * long: checked before anything is sent, as the other buffer collectives check theirs.
 */
export function checkReductionRecvbuf(sb: TypedArray, rb: TypedArray, call: string): void {
  checkSameKind(sb, rb, call, 'sendbuf', 'recvbuf');
  if (rb.length < sb.length) {
    throw new MPIError(
      ERR_TRUNCATE,
      `${call}: \`recvbuf\` holds ${plural(rb.length, 'element')} but \`sendbuf\` has ${sb.length}`,
    );
  }
}

/** `length / size` when it divides evenly: the equal block of a buffer shared by `size` ranks. */
export function equalBlock(length: number, size: number, call: string, name: string): number {
  if (length % size !== 0) {
    throw new MPIError(
      ERR_COUNT,
      `${call}: \`${name}\` has ${plural(length, 'element')}, not a multiple of the ${size} ranks (one equal block each)`,
    );
  }
  return length / size;
}

/** An Op argument. */
export function opArg(op: unknown, call: string): Op {
  if (op instanceof Op) return op;
  throw new MPIError(
    ERR_ARG,
    `${call}: expected \`op\` to be an Op (SUM, MAX, ..., or Op.create(fn)), got ${describeValue(op)}`,
  );
}
