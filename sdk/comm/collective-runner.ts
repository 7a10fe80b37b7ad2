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
import { TAG_UB } from './constants.js';
import type { Endpoint } from './endpoint.js';
import { Request } from './request.js';
import { updateTuning } from './update-tuning.js';

/** One collective call as `CollectiveRunner.start` takes it. */
export interface CollectiveCall<T> {
  collective: CollectiveName;
  /** Payload size every rank knows alike, for choosing the algorithm. */
  bytes: number;
  shape?: CallShape;
  /** How the call appears in timeout reports, e.g. `bcast(root=0)`. */
  label: string;
  /** Busy-poll receives: only a blocking call may keep the thread from the caller's computation. */
  spin: boolean;
  run: (ctx: CollectiveContext, spec: AlgorithmSpec) => Promise<T>;
}

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
  #seq = 0;
  /** Collective algorithm choices; change with `setTuning`. */
  #tuning: CollectiveTuning;
  /** This rank's record of collective choices (shared by its communicators), for the run's stats. */
  readonly #log: ReturnType<typeof choiceLog>;
  /** Choices by call shape until the tuning changes: the model is consulted once per shape. */
  readonly #chosen: ChoiceCache = new Map();
  /** The communicator's ranks by node, where some share one (else undefined: all run flat). */
  readonly #nodes: NodeGroups | undefined;

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
    const nodes = nodeGroupsOf(group.length, (r) => ep.layout.nodeOf(group[r]!));
    this.#nodes = hasSharedNodes(nodes) ? nodes : undefined;
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
    );
    const ctx = this.#context(call.spin);
    const t0 = performance.now();
    const run = call.run(ctx, chosen.spec).then((v) => {
      chosen.done(performance.now() - t0);
      return v;
    });
    return Request.fromPromise(this.#ep.track(call.label, run), this.#progress);
  }

  /** A fresh collective call: its own tag, so concurrent non-blocking collectives never mix. */
  #context(spin: boolean): CollectiveContext {
    const tag = this.#seq;
    this.#seq = (this.#seq + 1) & TAG_UB;
    const ep = this.#ep;
    const ctx = this.#ctx;
    const group = this.#group;
    return {
      rank: this.#rank,
      size: group.length,
      radix: this.#tuning.radix,
      ...(this.#nodes === undefined ? {} : { nodes: this.#nodes }),
      send: (dst, payload) => ep.send(group[dst]!, ctx, tag, payload),
      recv: (src) =>
        ep.receive({ ctx, src: group[src]!, tag, allowed: undefined }, spin).then((m) => m.payload),
      encode,
      decode,
    };
  }
}
