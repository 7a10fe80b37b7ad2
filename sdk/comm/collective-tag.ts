/**
 * The tag of a collective call's frames: its call number on the communicator and which call it is,
 * so a rank that gets a frame of another collective (bcast here, reduce there) can say so instead
 * of mixing their data. Layout (int32, non-negative): `seq * 64 + code`. The sequence number wraps
 * at 2^25 calls, alike on every rank; code 0 is "unknown" and never reported as a mismatch.
 */
const CODE_BITS = 64;
/** Call numbers wrap here (2^25): `seq * 64 + 63` stays within TAG_UB. */
export const COLLECTIVE_SEQ_WRAP = 2 ** 25;

/** The collective calls by their lower-case name (mpi4py's object and buffer spellings share one). */
const NAMES = [
  'barrier',
  'bcast',
  'scatter',
  'scatterv',
  'gather',
  'gatherv',
  'allgather',
  'allgatherv',
  'alltoall',
  'alltoallv',
  'reduce',
  'allreduce',
  'scan',
  'exscan',
  'reduce_scatter',
  'reduce_scatter_block',
] as const;
const CODE_OF = new Map<string, number>(NAMES.map((n, i) => [n, i + 1]));
/** Label → code, memoized: a label (`bcast(root=0)`) repeats, so this is one lookup per call. */
const labelCodes = new Map<string, number>();

/** The code of a call from its label, e.g. `Bcast(root=0)` → the code of `bcast`; 0 when unknown. */
export function collectiveCode(label: string): number {
  let code = labelCodes.get(label);
  if (code === undefined) {
    const paren = label.indexOf('(');
    const name = (paren < 0 ? label : label.slice(0, paren)).toLowerCase();
    code = CODE_OF.get(name) ?? 0;
    if (labelCodes.size < 4096) labelCodes.set(label, code);
  }
  return code;
}

/** The name a code stands for (`bcast`), or `a collective` when unknown. */
export function collectiveName(code: number): string {
  return NAMES[code - 1] ?? 'a collective';
}

export function collectiveTag(seq: number, code: number): number {
  return seq * CODE_BITS + code;
}

export function seqOfTag(tag: number): number {
  return Math.floor(tag / CODE_BITS);
}

export function codeOfTag(tag: number): number {
  return tag % CODE_BITS;
}

/**
 * How a mismatch of a call's arguments ends (a frame its rank completed the call without, or a
 * rank left waiting in a call the others completed): one wording for the rank and the launcher.
 */
export const ARGUMENTS_DIFFER =
  'the ranks called it with different arguments (a different root, or counts that do not match). ' +
  'Every rank of a communicator must pass the same root, and counts that match, to each collective.';

/** How a communicator appears in messages: `COMM_WORLD` or its context id. */
export function describeCommContext(ctx: string): string {
  const base = ctx.endsWith('*') ? ctx.slice(0, -1) : ctx;
  return base === 'w' ? 'COMM_WORLD' : `communicator ${base}`;
}
