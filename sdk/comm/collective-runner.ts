import { ERR_OTHER, MPIError } from '../base/errors.js';
import type { Envelope } from '../channel/channel.js';
import { decode, encode } from '../codec/codec.js';
import type { AlgorithmSpec, CollectiveName } from '../collectives/algorithms.js';
import { choiceLog } from '../collectives/choice-log.js';
import type { CollectiveContext } from '../collectives/collective-context.js';
import {
  type CollectiveTuning,
  DEFAULT_TUNING,
  type TuningUpdate,
} from '../collectives/collective-tuning.js';
import { hasSharedNodes, type NodeGroups, nodeGroupsOf } from '../collectives/node-groups.js';
import { type CallShape, type ChoiceCache, selectAlgorithm } from '../collectives/select-algorithm.js';
import { SENT } from '../transport/transport.js';
import {
  ARGUMENTS_DIFFER,
  COLLECTIVE_SEQ_WRAP,
  codeOfTag,
  collectiveCode,
  collectiveName,
  collectiveTag,
  describeCommContext,
  seqOfTag,
} from './collective-tag.js';
import { type Endpoint, handled, type PendingCall } from './endpoint.js';
import { Request } from './request.js';
import { SeqMap } from './seq-map.js';
import { updateTuning } from './update-tuning.js';

/** One collective call as `CollectiveRunner.start` takes it. */
export interface CollectiveCall<T> {
  collective: CollectiveName;
  /** Payload size every rank knows alike, for choosing the algorithm. */
  bytes: number;
  shape?: CallShape;
  /** How the call appears in timeout reports, e.g. `bcast(root=0)`. */
  label: string;
  /**
   * A blocking call, awaited at once: its receives may busy-poll (only a blocking call may keep the
   * thread from the caller's computation), and its request is only ever waited on.
   */
  spin: boolean;
  run: (ctx: CollectiveContext, spec: AlgorithmSpec) => Promise<T>;
}

/** How many past calls a communicator remembers to name the other side of a mismatch. */
const HISTORY = 256;

/**
 * The collective side of one communicator: its message context, its tuning, the choice of each
 * call's algorithm and the tag of each call.
 */
export class CollectiveRunner {
  readonly #ep: Endpoint;
  /** The collectives' own message context, so a user's receive can never take their messages. */
  readonly #ctx: string;
  readonly #group: readonly number[];
  readonly #rank: number;
  readonly #progress: () => void;
  /** The next call's number (wraps at COLLECTIVE_SEQ_WRAP, alike on every rank). */
  #seq = 0;
  /** How many calls were made in all. */
  #calls = 0;
  /** The code of each of the last HISTORY calls, at `seq % HISTORY`. */
  readonly #history = new Uint8Array(HISTORY);
  /**
   * At `seq % HISTORY`: `seq` once that call completed here (else another number). A frame of a
   * completed call can never be received: the ranks disagreed on the call's arguments.
   */
  readonly #completed = new Int32Array(HISTORY).fill(-1);
  /** Collective algorithm choices; change with `setTuning`. */
  #tuning: CollectiveTuning;
  /** This rank's record of collective choices (shared by its communicators), for the run's stats. */
  readonly #log: ReturnType<typeof choiceLog>;
  /** Choices by call shape until the tuning changes: the model is consulted once per shape. */
  readonly #chosen: ChoiceCache = new Map();
  /** The communicator's ranks by node, where some share one (else undefined: all run flat). */
  readonly #nodes: NodeGroups | undefined;
  /**
   * The communicator's ranks by thread, where ranks share threads (else undefined): fixed
   * collectives then run in two levels, so few hops cross threads (see `selectAlgorithm`).
   */
  readonly #threads: NodeGroups | undefined;
  /** How timeout reports name the communicator. */
  readonly #commName: string;
  /**
   * Frames that arrived, unexpected, for calls this rank has not made yet: by call number, the
   * first one's `src * 64 + code` (a number, so the common case of ranks running ahead allocates
   * nothing per frame). Checked and dropped when the call is made.
   */
  readonly #ahead = new SeqMap();
  /** For call numbers in `#ahead`: the first frame of each further code (only when peers disagree). */
  readonly #aheadOthers = new Map<number, { src: number; code: number }[]>();

  constructor(
    ep: Endpoint,
    commCtx: string,
    group: readonly number[],
    rank: number,
    tuning: Partial<CollectiveTuning> | undefined,
    progress: () => void,
  ) {
    this.#ep = ep;
    this.#ctx = `${commCtx}*`;
    this.#group = group;
    this.#rank = rank;
    this.#progress = progress;
    this.#tuning = { ...DEFAULT_TUNING, ...tuning };
    this.#log = choiceLog(ep);
    this.#commName = describeCommContext(this.#ctx);
    // Frames that came before this communicator existed here, then every later unexpected one.
    for (const msg of ep.matcher.unexpectedIn(this.#ctx)) this.#noteAhead(msg);
    ep.checkCollectives(this.#ctx, (msg) => this.#mismatchOf(msg));
    const nodes = nodeGroupsOf(group.length, (r) => ep.layout.nodeOf(group[r]!));
    this.#nodes = hasSharedNodes(nodes) ? nodes : undefined;
    const t = ep.transport;
    const threads =
      t.threadOf === undefined ? undefined : nodeGroupsOf(group.length, (r) => t.threadOf!(group[r]!));
    this.#threads = hasSharedNodes(threads) ? threads : undefined;
  }

  get tuning(): Readonly<CollectiveTuning> {
    return this.#tuning;
  }

  setTuning(t: TuningUpdate): void {
    this.#tuning = updateTuning(this.#tuning, t);
    this.#chosen.clear();
  }

  /** Chooses the call's algorithm, runs it in a fresh collective context, and times it. */
  start<T>(call: CollectiveCall<T>): Request<T> {
    const n = this.#group.length;
    const chosen = selectAlgorithm(
      this.#tuning,
      n,
      call.collective,
      call.bytes,
      call.shape ?? {},
      this.#chosen,
      this.#log,
      this.#nodes,
      this.#threads,
    );
    const code = collectiveCode(call.label);
    const seq = this.#seq;
    this.#history[seq % HISTORY] = code;
    this.#completed[seq % HISTORY] = -1;
    this.#seq = (seq + 1) % COLLECTIVE_SEQ_WRAP;
    this.#calls++;
    const tag = collectiveTag(seq, code);
    if (this.#ahead.size > 0) {
      const early = this.#earlyMismatch(seq, code);
      if (early !== undefined) this.#ep.failMismatch(early);
    }
    // A two-level call groups by node where ranks share nodes, else by thread.
    const groups = chosen.spec.name === 'two-level' ? (this.#nodes ?? this.#threads) : this.#nodes;
    const ctx = new CallContext(this, tag, call.label, call.spin, groups);
    const ep = this.#ep;
    // Pending for the timeout report until it settles (numbered from 1 in what users read).
    const pending = ep.trackEntry(new PendingCollective(call.label, this.#commName, seq + 1, code));
    const record = chosen.record;
    const t0 = performance.now();
    const run = call.run(ctx, chosen.spec).then(
      (v) => {
        record.elapsedMs += performance.now() - t0;
        ep.trackEnd(pending);
        this.#completed[seq % HISTORY] = seq;
        // A frame of this call that its receives did not take (it came from a rank that called it
        // with another root): it never will be.
        const left = code === 0 ? undefined : ep.matcher.frontWithTag(this.#ctx, tag);
        if (left !== undefined) {
          const err = this.#argumentMismatch(left.src, seq, code);
          ep.failMismatch(err);
          throw err;
        }
        return v;
      },
      (err: unknown) => {
        ep.trackEnd(pending);
        // A peer that called another collective may have returned already: say that, not what
        // the transport said when this call's frames could not reach it.
        throw ep.mismatchSoFar() ?? err;
      },
    );
    // A blocking call's request is only ever waited on at once (see `Request.forBlockingCall`).
    return call.spin ? Request.forBlockingCall(run) : Request.fromPromise(run, this.#progress);
  }

  /** A frame of another collective that arrived before this rank's call `seq` (code `code`). */
  #earlyMismatch(seq: number, code: number): MPIError | undefined {
    const first = this.#ahead.take(seq);
    if (first === undefined) return undefined;
    const others = this.#aheadOthers.size > 0 ? this.#aheadOthers.get(seq) : undefined;
    if (others !== undefined) this.#aheadOthers.delete(seq);
    if (code === 0) return undefined;
    const firstCode = codeOfTag(first);
    if (firstCode !== code) return this.#mismatch(seqOfTag(first), firstCode, seq, code);
    const other = others?.find((a) => a.code !== code);
    return other === undefined ? undefined : this.#mismatch(other.src, other.code, seq, code);
  }

  /** A frame no receive took: a mismatch if this rank made call `seq` as another collective. */
  #mismatchOf(msg: Envelope): MPIError | undefined {
    const seq = seqOfTag(msg.tag);
    const theirs = codeOfTag(msg.tag);
    if (theirs === 0) return undefined;
    const back = (this.#seq - 1 - seq + COLLECTIVE_SEQ_WRAP) % COLLECTIVE_SEQ_WRAP;
    if (back >= Math.min(this.#calls, HISTORY)) {
      this.#noteAhead(msg);
      return undefined;
    }
    const mine = this.#history[seq % HISTORY]!;
    if (mine !== 0 && mine !== theirs) return this.#mismatch(msg.src, theirs, seq, mine);
    return this.#completed[seq % HISTORY] === seq ? this.#argumentMismatch(msg.src, seq, theirs) : undefined;
  }

  /** Remembers a frame of a call not made here yet (one entry per code), for `#earlyMismatch`. */
  #noteAhead(msg: Envelope): void {
    const code = codeOfTag(msg.tag);
    if (code === 0) return;
    const seq = seqOfTag(msg.tag);
    const first = this.#ahead.get(seq);
    if (first === undefined) {
      // The same packing as a tag's (`seq * 64 + code`), with the sender in place of the call number.
      this.#ahead.set(seq, collectiveTag(msg.src, code));
      return;
    }
    if (codeOfTag(first) === code) return;
    let others = this.#aheadOthers.get(seq);
    if (others === undefined) this.#aheadOthers.set(seq, (others = []));
    if (!others.some((a) => a.code === code)) others.push({ src: msg.src, code });
  }

  #mismatch(src: number, theirs: number, seq: number, mine: number): MPIError {
    const me = this.#group[this.#rank]!;
    return new MPIError(
      ERR_OTHER,
      `collective mismatch on ${describeCommContext(this.#ctx)}: rank ${src} called ${collectiveName(theirs)} ` +
        `(collective #${seq + 1}) while rank ${me} called ${collectiveName(mine)} (#${seq + 1}). Every rank of a ` +
        'communicator must call the same collectives in the same order.',
    );
  }

  /**
   * A frame from `src` of call `seq` (code `code`) that this rank completed without it: the two
   * ranks made the same collective with arguments that route its messages differently.
   */
  #argumentMismatch(src: number, seq: number, code: number): MPIError {
    const me = this.#group[this.#rank]!;
    const call = `${collectiveName(code)} (collective #${seq + 1})`;
    return new MPIError(
      ERR_OTHER,
      `collective mismatch on ${describeCommContext(this.#ctx)}: rank ${src} sent rank ${me} data of ${call}, ` +
        `which rank ${me} completed without it: ${ARGUMENTS_DIFFER}`,
    );
  }

  /** What a call's context needs (see `CallContext`). */
  get endpoint(): Endpoint {
    return this.#ep;
  }
  get collectiveCtx(): string {
    return this.#ctx;
  }
  get group(): readonly number[] {
    return this.#group;
  }
  get rank(): number {
    return this.#rank;
  }
}

/**
 * A fresh collective call: its own tag, so concurrent non-blocking collectives never mix. A class,
 * not an object of closures: one allocation per call.
 */
class CallContext implements CollectiveContext {
  readonly rank: number;
  readonly size: number;
  readonly radix: number;
  readonly nodes?: NodeGroups;
  readonly #ep: Endpoint;
  readonly #ctx: string;
  readonly #group: readonly number[];
  readonly #tag: number;
  readonly #label: string;
  readonly #spin: boolean;

  constructor(
    runner: CollectiveRunner,
    tag: number,
    label: string,
    spin: boolean,
    nodes: NodeGroups | undefined,
  ) {
    this.#ep = runner.endpoint;
    this.#ctx = runner.collectiveCtx;
    this.#group = runner.group;
    this.rank = runner.rank;
    this.size = this.#group.length;
    this.radix = runner.tuning.radix;
    if (nodes !== undefined) this.nodes = nodes;
    this.#tag = tag;
    this.#label = label;
    this.#spin = spin;
  }

  send(dst: number, payload: Uint8Array): Promise<void> {
    const p = this.#ep.send(this.#group[dst]!, this.#ctx, this.#tag, payload);
    // A frame handed off at once (SENT) cannot fail: nothing to mark.
    return p === SENT ? p : handled(p);
  }

  recv(src: number): Promise<Uint8Array> {
    // Marks its own rejection as handled (see `handled`).
    return this.#ep.receivePayload(
      { ctx: this.#ctx, src: this.#group[src]!, tag: this.#tag, allowed: undefined, call: this.#label },
      this.#spin,
    );
  }

  encode(value: unknown): Uint8Array {
    return encode(value);
  }

  decode(bytes: Uint8Array): unknown {
    return decode(bytes);
  }
}

/** A collective call in the timeout report; what it says is built only if a report reads it. */
class PendingCollective implements PendingCall {
  readonly since = Date.now();
  readonly call: string;
  readonly #comm: string;
  readonly #seq: number;
  readonly #code: number;

  constructor(call: string, comm: string, seq: number, code: number) {
    this.call = call;
    this.#comm = comm;
    this.#seq = seq;
    this.#code = code;
  }

  get collective(): NonNullable<PendingCall['collective']> {
    return { comm: this.#comm, seq: this.#seq, name: collectiveName(this.#code) };
  }
}
