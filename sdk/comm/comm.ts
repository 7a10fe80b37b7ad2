import { checkOptions } from '../base/check-options.js';
import { describeValue } from '../base/describe-value.js';
import { ERR_ARG, ERR_COUNT, ERR_TRUNCATE, ERR_TYPE, MPIError } from '../base/errors.js';
import { decode, encode } from '../codec/codec.js';
import {
  ALGORITHMS,
  type AlgorithmSpec,
  applicable,
  COLLECTIVES,
  type CollectiveName,
  describeAlgorithm,
  normalizeAlgorithm,
  runAllgather,
  runAllreduce,
  runAlltoall,
  runBarrier,
  runBcast,
  runGather,
  runReduce,
  runScan,
  runScatter,
} from '../collectives/algorithms.js';
import { choiceLog, type SelectedBy } from '../collectives/choice-log.js';
import type { CollectiveContext, ReduceOp } from '../collectives/collective-context.js';
import {
  choose,
  NOMINAL_BYTES,
  type Optimize,
  type Prediction,
  predict,
  sizeClass,
} from '../collectives/cost-model.js';
import { isSegmentable } from '../collectives/reduce-scatter-allgather.js';
import { MEMORY_PROFILE, type TransportProfile } from '../collectives/transport-profile.js';
import {
  checkArrayOfSize,
  checkBuffer,
  checkDest,
  checkInt,
  checkRecvTag,
  checkRoot,
  checkSendTag,
  checkSource,
  isTypedArray,
  type TypedArray,
} from './check.js';
import { ANY_SOURCE, ANY_TAG, PROC_NULL, TAG_UB, UNDEFINED } from './constants.js';
import type { Endpoint } from './endpoint.js';
import type { Matcher } from './matching-engine.js';
import { BAND, BOR, BXOR, LAND, LOR, LXOR, MAX, MIN, Op, PROD, SUM } from './op.js';
import { Request } from './request.js';
import { fillStatus, Status } from './status.js';

/** How collectives are run on a communicator. */
export interface CollectiveTuning {
  /** Tree radix when `optimize` is null: 2 = binomial, larger = k-nomial, >= size = flat. */
  radix: number;
  /** Allreduce when `optimize` is null. */
  allreduce: 'recursive-doubling' | 'reduce-bcast';
  /** Use the naive linear algorithms (test oracles). */
  naive: boolean;
  /**
   * Let the cost model pick each call's algorithm: the fastest (`latency`) or the cheapest
   * (`cost`) for this transport, communicator size and payload. `null`: fixed trees of `radix`.
   */
  optimize: Optimize | null;
  /**
   * Per-collective algorithm, overriding both the model and `radix`, e.g.
   * `{ allreduce: { name: 'recursive', radix: 8 } }`. Set it before a call to choose that call's
   * algorithm; `null` removes an override.
   */
  algorithm: Readonly<Partial<Record<CollectiveName, AlgorithmSpec>>>;
  /** The transport's parameters for the cost model (per-call latency, prices, batching). */
  profile: TransportProfile;
}

/** What `setTuning` takes: any tuning field; `algorithm` entries merge into the current ones. */
export type TuningUpdate = Partial<Omit<CollectiveTuning, 'algorithm'>> & {
  algorithm?: Partial<Record<CollectiveName, AlgorithmSpec | null>>;
};

const DEFAULT_TUNING: CollectiveTuning = {
  radix: 2,
  allreduce: 'recursive-doubling',
  naive: false,
  optimize: null,
  algorithm: {},
  profile: MEMORY_PROFILE,
};

/** Predefined ops that work element by element, so an array operand may be cut into segments. */
const ELEMENTWISE_OPS: ReadonlySet<Op> = new Set([SUM, PROD, MAX, MIN, LAND, LOR, LXOR, BAND, BOR, BXOR]);

/** Payload bytes every rank can compute alike: only arrays under an element-wise op (equal lengths). */
function operandBytes(value: unknown, op: Op): number {
  if (!ELEMENTWISE_OPS.has(op)) return NOMINAL_BYTES;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (Array.isArray(value)) return value.length * 9;
  return NOMINAL_BYTES;
}

const SPEC_KEYS = new Set(['name', 'radix', 'radix2']);

/** An algorithm override: a known algorithm of that collective, radices integers >= 2. */
function checkAlgorithm(collective: CollectiveName, spec: unknown): asserts spec is AlgorithmSpec {
  const where = `setTuning: \`algorithm.${collective}\``;
  if (spec === null || typeof spec !== 'object') {
    throw new MPIError(ERR_ARG, `${where}: expected { name, radix?, radix2? }, got ${describeValue(spec)}`);
  }
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.has(key))
      throw new MPIError(ERR_ARG, `${where}: unknown key \`${key}\`; expected name, radix, radix2`);
  }
  const { name, radix, radix2 } = spec as AlgorithmSpec;
  const names = ALGORITHMS[collective];
  if (!names.includes(name)) {
    throw new MPIError(
      ERR_ARG,
      `${where}: expected \`name\` to be one of ${names.join(', ')}, got ${describeValue(name)}`,
    );
  }
  for (const [key, v] of [
    ['radix', radix],
    ['radix2', radix2],
  ] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 2)) {
      throw new MPIError(
        ERR_ARG,
        `${where}: expected \`${key}\` to be an integer >= 2, got ${describeValue(v)}`,
      );
    }
  }
}

function asOp(op: unknown, call: string): Op {
  if (op instanceof Op) return op;
  throw new MPIError(
    ERR_ARG,
    `${call}: expected \`op\` to be an Op (SUM, MAX, ..., or Op.create(fn)), got ${describeValue(op)}`,
  );
}

/** Reductions may reuse operand storage, so the caller's own object operand is copied first. */
function privateCopy<T>(v: T): T {
  return typeof v === 'object' && v !== null ? (decode(encode(v)) as T) : v;
}

function typedArrayName(a: TypedArray): string {
  return a.constructor.name;
}

/** Copies `src` into the front of `dst`, byte for byte; the rest of `dst` is left as it was. */
function copyInto(dst: TypedArray, src: TypedArray, call: string): void {
  if (src.byteLength > dst.byteLength) {
    throw new MPIError(
      ERR_TRUNCATE,
      `${call}: message of ${src.length} elements (${src.byteLength} bytes) does not fit the receive buffer of ${dst.length} elements (${dst.byteLength} bytes)`,
    );
  }
  if (src.constructor !== dst.constructor) {
    throw new MPIError(
      ERR_TYPE,
      `${call}: received a ${typedArrayName(src)} into a ${typedArrayName(dst)}: use the same TypedArray type on both sides`,
    );
  }
  new Uint8Array(dst.buffer, dst.byteOffset, src.byteLength).set(
    new Uint8Array(src.buffer, src.byteOffset, src.byteLength),
  );
}

/**
 * A communicator: a group of ranks with its own message spaces (one for point-to-point, one for
 * collectives). Methods mirror mpi4py's, returning promises; `I*` methods return Requests.
 *
 * @example
 * const total = await comm.allreduce(comm.rank + 1, SUM);
 */
export class Comm {
  /** This rank's number in the communicator. */
  readonly rank: number;
  /** Number of ranks in the communicator. */
  readonly size: number;
  readonly #ep: Endpoint;
  readonly #ctx: string;
  readonly #collCtx: string;
  /** Communicator rank → world rank. */
  readonly #group: readonly number[];
  /** World rank → communicator rank (-1 for non-members). */
  readonly #fromWorld: Int32Array;
  readonly #allowed: ((worldSrc: number) => boolean) | undefined;
  #collSeq = 0;
  #childSeq = 0;
  /** Collective algorithm choices; change with `setTuning`. */
  #tuning: CollectiveTuning;
  /** This rank's record of collective choices (shared by its communicators), for the run's stats. */
  readonly #log: ReturnType<typeof choiceLog>;
  /** Choices by call shape until the tuning changes: the model is consulted once per shape. */
  readonly #chosen = new Map<
    string,
    { spec: AlgorithmSpec; label: string; by: SelectedBy; prediction: Prediction | undefined }
  >();

  /** @internal Communicators come from the runtime (`COMM_WORLD`), `split` and `dup`. */
  constructor(ep: Endpoint, ctx: string, group: readonly number[], tuning?: Partial<CollectiveTuning>) {
    this.#ep = ep;
    this.#ctx = ctx;
    this.#collCtx = `${ctx}*`;
    this.#group = group;
    this.size = group.length;
    this.#fromWorld = new Int32Array(ep.size).fill(-1);
    group.forEach((w, r) => {
      this.#fromWorld[w] = r;
    });
    this.rank = this.#fromWorld[ep.rank]!;
    this.#allowed = group.length === ep.size ? undefined : (w: number) => this.#fromWorld[w]! >= 0;
    this.#tuning = { ...DEFAULT_TUNING, ...tuning };
    this.#log = choiceLog(ep);
  }

  /** mpi4py spelling of `rank`. */
  Get_rank(): number {
    return this.rank;
  }
  /** mpi4py spelling of `size`. */
  Get_size(): number {
    return this.size;
  }

  get tuning(): Readonly<CollectiveTuning> {
    return this.#tuning;
  }

  /**
   * Changes how collectives run on this communicator. Every rank must set the same values.
   * Setting `radix` or `allreduce` (without `optimize`) fixes the trees, turning the model off.
   *
   * @example
   * comm.setTuning({ optimize: 'cost' });                                 // cheapest algorithms
   * comm.setTuning({ algorithm: { bcast: { name: 'knomial', radix: 4 } } }); // this one for bcast
   */
  setTuning(t: TuningUpdate): void {
    try {
      checkOptions('setTuning', t, Object.keys(DEFAULT_TUNING));
    } catch (err) {
      // Comm methods reject bad arguments with MPIError(ERR_ARG), as every other argument check.
      throw new MPIError(ERR_ARG, (err as Error).message, { cause: err });
    }
    if (t.radix !== undefined && !(Number.isInteger(t.radix) && t.radix >= 2)) {
      throw new MPIError(
        ERR_ARG,
        `setTuning: expected \`radix\` to be an integer >= 2, got ${describeValue(t.radix)}`,
      );
    }
    if (t.allreduce !== undefined && t.allreduce !== 'recursive-doubling' && t.allreduce !== 'reduce-bcast') {
      throw new MPIError(
        ERR_ARG,
        `setTuning: expected \`allreduce\` to be 'recursive-doubling' or 'reduce-bcast', got ${describeValue(t.allreduce)}`,
      );
    }
    if (
      t.optimize !== undefined &&
      t.optimize !== null &&
      t.optimize !== 'latency' &&
      t.optimize !== 'cost'
    ) {
      throw new MPIError(
        ERR_ARG,
        `setTuning: expected \`optimize\` to be 'latency', 'cost' or null, got ${describeValue(t.optimize)}`,
      );
    }
    if (
      t.profile !== undefined &&
      (t.profile === null || typeof t.profile !== 'object' || !t.profile.callLatency)
    ) {
      throw new MPIError(
        ERR_ARG,
        `setTuning: expected \`profile\` to be a TransportProfile, got ${describeValue(t.profile)}`,
      );
    }
    const algorithm = { ...this.#tuning.algorithm };
    if (t.algorithm !== undefined) {
      if (t.algorithm === null || typeof t.algorithm !== 'object') {
        throw new MPIError(
          ERR_ARG,
          `setTuning: expected \`algorithm\` to be an object, got ${describeValue(t.algorithm)}`,
        );
      }
      for (const [coll, spec] of Object.entries(t.algorithm)) {
        if (!COLLECTIVES.includes(coll as CollectiveName)) {
          throw new MPIError(
            ERR_ARG,
            `setTuning: unknown collective \`${coll}\` in \`algorithm\`; expected one of ${COLLECTIVES.join(', ')}`,
          );
        }
        const c = coll as CollectiveName;
        if (spec === null || spec === undefined) {
          delete algorithm[c];
          continue;
        }
        checkAlgorithm(c, spec);
        algorithm[c] = { ...spec };
      }
    }
    const { algorithm: _, ...rest } = t;
    const fixes = (t.radix !== undefined || t.allreduce !== undefined) && t.optimize === undefined;
    this.#tuning = { ...this.#tuning, ...rest, algorithm, ...(fixes ? { optimize: null } : {}) };
    this.#chosen.clear();
  }

  // ---------------------------------------------------------------- point to point

  #progress = (): void => this.#ep.poll();

  /** True while a blocking method starts its operation (see `#blocking`). */
  #blockingCall = false;

  /**
   * Starts an operation as a blocking call and waits for it. Receives started by a blocking call
   * may busy-poll the transport briefly (where ranks have a core each); those of the `I*` methods
   * never do, so they return at once.
   */
  #blocking<T>(start: () => Request<T>, status?: Status | null): Promise<T> {
    this.#blockingCall = true;
    let req: Request<T>;
    try {
      req = start();
    } finally {
      this.#blockingCall = false;
    }
    return req.wait(status);
  }

  #matcher(source: number, tag: number): Matcher {
    return {
      ctx: this.#ctx,
      src: source === ANY_SOURCE ? ANY_SOURCE : this.#group[source]!,
      tag,
      allowed: this.#allowed,
    };
  }

  #startSend(payload: Uint8Array, dest: number, tag: number): Promise<void> {
    return this.#ep.send(this.#group[dest]!, this.#ctx, tag, payload);
  }

  /** Receives a raw message; the request's completion carries source, tag and byte count. */
  #startRecv<T>(source: number, tag: number, call: string, convert: (payload: Uint8Array) => T): Request<T> {
    const req = new Request<T>(this.#progress);
    if (source === PROC_NULL) {
      req._complete({ value: null as T, source: PROC_NULL, tag: ANY_TAG, count: 0 });
      return req;
    }
    const p = this.#ep.receive(this.#matcher(source, tag), this.#blockingCall);
    this.#ep.track(call, p);
    p.then(
      (msg) => {
        try {
          const value = convert(msg.payload);
          req._complete({
            value,
            source: this.#fromWorld[msg.src]!,
            tag: msg.tag,
            count: msg.payload.length,
          });
        } catch (err) {
          req._error(err);
        }
      },
      (err) => req._error(err),
    );
    return req;
  }

  /** Sends `obj` to `dest` (buffered: resolves once the message is handed off). */
  async send(obj: unknown, dest: number, tag = 0): Promise<void> {
    return this.#blocking(() => this.isend(obj, dest, tag));
  }

  /** Receives a value; fills `status` with its source, tag and size. */
  async recv<T = any>(
    source: number = ANY_SOURCE,
    tag: number = ANY_TAG,
    status?: Status | null,
  ): Promise<T> {
    return this.#blocking(() => this.irecv<T>(source, tag), status);
  }

  isend(obj: unknown, dest: number, tag = 0): Request<void> {
    checkDest(dest, this.size);
    checkSendTag(tag);
    if (dest === PROC_NULL) return Request.completed<void>({ value: undefined });
    const payload = encode(obj);
    return Request.fromPromise(this.#startSend(payload, dest, tag), this.#progress);
  }

  irecv<T = any>(source: number = ANY_SOURCE, tag: number = ANY_TAG): Request<T> {
    checkSource(source, this.size);
    checkRecvTag(tag);
    return this.#startRecv<T>(source, tag, `recv(source=${source}, tag=${tag})`, (b) => decode(b) as T);
  }

  /** Sends and receives at once (no deadlock when two ranks exchange). */
  async sendrecv<T = any>(
    sendobj: unknown,
    dest: number,
    sendtag = 0,
    source: number = ANY_SOURCE,
    recvtag: number = ANY_TAG,
    status?: Status | null,
  ): Promise<T> {
    checkDest(dest, this.size);
    checkSendTag(sendtag, 'sendtag');
    checkSource(source, this.size);
    checkRecvTag(recvtag, 'recvtag');
    const s = this.isend(sendobj, dest, sendtag);
    const r = this.irecv<T>(source, recvtag);
    const [, value] = await Promise.all([s.wait(), r.wait(status)]);
    return value;
  }

  /** Waits for a matching message without receiving it. */
  async probe(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status | null): Promise<Status> {
    checkSource(source, this.size);
    checkRecvTag(tag);
    const st = status ?? new Status();
    if (source === PROC_NULL) {
      fillStatus(st, PROC_NULL, ANY_TAG, 0);
      return st;
    }
    const msg = await this.#ep.track(
      `probe(source=${source}, tag=${tag})`,
      this.#ep.probe(this.#matcher(source, tag)),
    );
    fillStatus(st, this.#fromWorld[msg.src]!, msg.tag, msg.payload.length);
    return st;
  }

  /** Synchronous: whether a matching message has arrived (fills `status` if so). */
  iprobe(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status | null): boolean {
    checkSource(source, this.size);
    checkRecvTag(tag);
    if (source === PROC_NULL) {
      fillStatus(status, PROC_NULL, ANY_TAG, 0);
      return true;
    }
    this.#ep.poll();
    const msg = this.#ep.matcher.peek(this.#matcher(source, tag));
    if (msg === undefined) return false;
    fillStatus(status, this.#fromWorld[msg.src]!, msg.tag, msg.payload.length);
    return true;
  }

  // ---------------------------------------------------------------- buffers, point to point

  async Send(buf: TypedArray, dest: number, tag = 0): Promise<void> {
    return this.#blocking(() => this.Isend(buf, dest, tag));
  }

  async Recv(
    buf: TypedArray,
    source: number = ANY_SOURCE,
    tag: number = ANY_TAG,
    status?: Status | null,
  ): Promise<void> {
    return this.#blocking(() => this.Irecv(buf, source, tag), status);
  }

  Isend(buf: TypedArray, dest: number, tag = 0): Request<void> {
    checkBuffer(buf, 'Send', 'buf');
    return this.isend(buf, dest, tag);
  }

  Irecv(buf: TypedArray, source: number = ANY_SOURCE, tag: number = ANY_TAG): Request<void> {
    checkBuffer(buf, 'Recv', 'buf');
    checkSource(source, this.size);
    checkRecvTag(tag);
    return this.#startRecv<void>(source, tag, `Recv(source=${source}, tag=${tag})`, (b) => {
      copyInto(buf, this.#asBuffer(decode(b), 'Recv'), 'Recv');
    });
  }

  #asBuffer(v: unknown, call: string): TypedArray {
    if (isTypedArray(v)) return v;
    throw new MPIError(
      ERR_TYPE,
      `${call}: the message holds ${describeValue(v)}, not a TypedArray: the sender used a lowercase method`,
    );
  }

  // ---------------------------------------------------------------- collectives

  /** A fresh collective call: its own tag, so concurrent non-blocking collectives never mix. */
  #coll(): CollectiveContext {
    const tag = this.#collSeq;
    this.#collSeq = (this.#collSeq + 1) & TAG_UB;
    const ep = this.#ep;
    const ctx = this.#collCtx;
    const group = this.#group;
    // Busy-poll receives only for a blocking call: a non-blocking one must return at once and leave
    // the thread to the caller's computation.
    const spin = this.#blockingCall;
    return {
      rank: this.rank,
      size: this.size,
      radix: this.#tuning.radix,
      send: (dst, payload) => ep.send(group[dst]!, ctx, tag, payload),
      recv: (src) =>
        ep.receive({ ctx, src: group[src]!, tag, allowed: undefined }, spin).then((m) => m.payload),
      encode,
      decode,
    };
  }

  /**
   * Picks the algorithm of one call: the naive oracle, the user's override, the model's choice, or
   * the fixed trees. Depends only on what every rank knows alike (the tuning, the size, the
   * collective, the size class of a payload all ranks share), so every rank picks the same one.
   */
  #select(
    collective: CollectiveName,
    bytes: number,
    call: { op?: Op; value?: unknown; root?: number } = {},
  ): { spec: AlgorithmSpec; done: (ms: number) => void } {
    const t = this.#tuning;
    const n = this.size;
    const reduceOp = call.op === undefined ? undefined : this.#reduceOp(call.op);
    const segmentable =
      reduceOp?.elementwise === true && call.value !== undefined && isSegmentable(call.value);
    const shape = {
      collective,
      size: n,
      bytes: sizeClass(bytes),
      commute: reduceOp?.commute ?? true,
      root: call.root ?? 0,
      segmentable,
    };
    const key = `${collective}|${shape.bytes}|${shape.commute}|${shape.root === 0}|${segmentable}|${reduceOp?.elementwise}`;
    const hit = this.#chosen.get(key);
    if (hit !== undefined) {
      const done = this.#log.record(collective, n, shape.bytes, hit.label, hit.spec, hit.by, hit.prediction);
      return { spec: hit.spec, done };
    }
    let spec: AlgorithmSpec;
    let by: SelectedBy;
    let prediction: Prediction | undefined;
    const override = t.algorithm[collective];
    const applies = (s: AlgorithmSpec) =>
      applicable(collective, s, reduceOp === undefined ? {} : { op: reduceOp, value: call.value });
    if (t.naive) {
      spec = { name: 'linear' };
      by = 'naive';
    } else if (override !== undefined && applies(override)) {
      spec = normalizeAlgorithm(override, n);
      by = 'override';
      prediction = predict(t.profile, shape, spec);
    } else if (t.optimize !== null) {
      prediction = choose(t.profile, shape, t.optimize).chosen;
      spec = prediction.algorithm;
      by = t.optimize;
    } else {
      spec = normalizeAlgorithm(this.#fixed(collective), n);
      by = 'fixed';
    }
    const label = describeAlgorithm(spec, n);
    this.#chosen.set(key, { spec, label, by, prediction });
    const done = this.#log.record(collective, n, shape.bytes, label, spec, by, prediction);
    return { spec, done };
  }

  /** The algorithms of fixed tuning (`optimize: null`), as before the cost model. */
  #fixed(collective: CollectiveName): AlgorithmSpec {
    const k = this.#tuning.radix;
    switch (collective) {
      case 'allreduce':
        return this.#tuning.allreduce === 'reduce-bcast'
          ? { name: 'reduce-bcast', radix: k, radix2: k }
          : { name: 'recursive', radix: 2 };
      case 'allgather':
        return { name: 'gather-bcast', radix: k, radix2: k };
      case 'alltoall':
        return { name: 'direct' };
      case 'barrier':
        return { name: 'dissemination', radix: k };
      case 'scan':
      case 'exscan':
        return { name: 'prefix', radix: 2 };
      default:
        return { name: 'knomial', radix: k };
    }
  }

  #request<T>(
    call: string,
    chosen: { done: (ms: number) => void },
    body: (ctx: CollectiveContext) => Promise<T>,
  ): Request<T> {
    const ctx = this.#coll();
    const t0 = performance.now();
    const run = body(ctx).then((v) => {
      chosen.done(performance.now() - t0);
      return v;
    });
    return Request.fromPromise(this.#ep.track(call, run), this.#progress);
  }

  #reduceOp(op: Op): ReduceOp {
    return { combine: (a, b) => op.apply(a, b), commute: op.commute, elementwise: ELEMENTWISE_OPS.has(op) };
  }

  ibarrier(): Request<void> {
    const c = this.#select('barrier', 0);
    return this.#request('barrier()', c, (ctx) => runBarrier(ctx, c.spec));
  }

  ibcast<T = any>(obj: T, root = 0): Request<T> {
    checkRoot(root, this.size);
    const bytes = this.rank === root ? encode(obj) : null;
    // Only the root knows the payload's size: choose for a small one.
    const c = this.#select('bcast', NOMINAL_BYTES, { root });
    return this.#request(`bcast(root=${root})`, c, async (ctx) => {
      const got = await runBcast(ctx, c.spec, bytes, root);
      return this.rank === root ? obj : (decode(got) as T);
    });
  }

  iscatter<T = any>(objs: readonly T[] | null | undefined, root = 0): Request<T> {
    checkRoot(root, this.size);
    let parts: Uint8Array[] | null = null;
    if (this.rank === root)
      parts = checkArrayOfSize(objs, this.size, 'scatter', 'objs').map((o) => encode(o));
    const c = this.#select('scatter', NOMINAL_BYTES, { root });
    return this.#request(`scatter(root=${root})`, c, async (ctx) => {
      const mine = await runScatter(ctx, c.spec, parts, root);
      return decode(mine) as T;
    });
  }

  igather<T = any>(obj: T, root = 0): Request<T[] | null> {
    checkRoot(root, this.size);
    const mine = encode(obj);
    const c = this.#select('gather', NOMINAL_BYTES, { root });
    return this.#request(`gather(root=${root})`, c, async (ctx) => {
      const parts = await runGather(ctx, c.spec, mine, root);
      return parts === null ? null : parts.map((p) => decode(p) as T);
    });
  }

  iallgather<T = any>(obj: T): Request<T[]> {
    const mine = encode(obj);
    const c = this.#select('allgather', NOMINAL_BYTES);
    return this.#request('allgather()', c, async (ctx) => {
      const parts = await runAllgather(ctx, c.spec, mine);
      return parts.map((p) => decode(p) as T);
    });
  }

  ialltoall<T = any>(objs: readonly T[]): Request<T[]> {
    const parts = checkArrayOfSize(objs, this.size, 'alltoall', 'objs').map((o) => encode(o));
    const c = this.#select('alltoall', NOMINAL_BYTES);
    return this.#request('alltoall()', c, async (ctx) => {
      const got = await runAlltoall(ctx, c.spec, parts);
      return got.map((p) => decode(p) as T);
    });
  }

  ireduce<T = any>(obj: T, op: Op = SUM, root = 0): Request<T | null> {
    checkRoot(root, this.size);
    const o = asOp(op, 'reduce');
    o.check(obj);
    const own = privateCopy(obj);
    const c = this.#select('reduce', operandBytes(obj, o), { op: o, value: obj, root });
    return this.#request(`reduce(op=${o.name}, root=${root})`, c, async (ctx) => {
      return (await runReduce(ctx, c.spec, own, this.#reduceOp(o), root)) as T | null;
    });
  }

  iallreduce<T = any>(obj: T, op: Op = SUM): Request<T> {
    const o = asOp(op, 'allreduce');
    o.check(obj);
    const own = privateCopy(obj);
    const c = this.#select('allreduce', operandBytes(obj, o), { op: o, value: obj });
    return this.#request(`allreduce(op=${o.name})`, c, async (ctx) => {
      return (await runAllreduce(ctx, c.spec, own, this.#reduceOp(o))) as T;
    });
  }

  iscan<T = any>(obj: T, op: Op = SUM): Request<T> {
    const o = asOp(op, 'scan');
    o.check(obj);
    const own = privateCopy(obj);
    const c = this.#select('scan', operandBytes(obj, o), { op: o, value: obj });
    return this.#request(`scan(op=${o.name})`, c, async (ctx) => {
      const r = await runScan(ctx, c.spec, own, this.#reduceOp(o));
      return r.inclusive as T;
    });
  }

  iexscan<T = any>(obj: T, op: Op = SUM): Request<T | null> {
    const o = asOp(op, 'exscan');
    o.check(obj);
    const own = privateCopy(obj);
    const c = this.#select('exscan', operandBytes(obj, o), { op: o, value: obj });
    return this.#request(`exscan(op=${o.name})`, c, async (ctx) => {
      const r = await runScan(ctx, c.spec, own, this.#reduceOp(o));
      return this.rank === 0 ? null : (r.exclusive as T);
    });
  }

  async barrier(): Promise<void> {
    return this.#blocking(() => this.ibarrier());
  }
  async bcast<T = any>(obj: T, root = 0): Promise<T> {
    return this.#blocking(() => this.ibcast(obj, root));
  }
  async scatter<T = any>(objs: readonly T[] | null | undefined, root = 0): Promise<T> {
    return this.#blocking(() => this.iscatter(objs, root));
  }
  async gather<T = any>(obj: T, root = 0): Promise<T[] | null> {
    return this.#blocking(() => this.igather(obj, root));
  }
  async allgather<T = any>(obj: T): Promise<T[]> {
    return this.#blocking(() => this.iallgather(obj));
  }
  async alltoall<T = any>(objs: readonly T[]): Promise<T[]> {
    return this.#blocking(() => this.ialltoall(objs));
  }
  async reduce<T = any>(obj: T, op: Op = SUM, root = 0): Promise<T | null> {
    return this.#blocking(() => this.ireduce(obj, op, root));
  }
  async allreduce<T = any>(obj: T, op: Op = SUM): Promise<T> {
    return this.#blocking(() => this.iallreduce(obj, op));
  }
  async scan<T = any>(obj: T, op: Op = SUM): Promise<T> {
    return this.#blocking(() => this.iscan(obj, op));
  }
  async exscan<T = any>(obj: T, op: Op = SUM): Promise<T | null> {
    return this.#blocking(() => this.iexscan(obj, op));
  }

  /** mpi4py spellings. */
  async Barrier(): Promise<void> {
    return this.barrier();
  }
  Ibarrier(): Request<void> {
    return this.ibarrier();
  }

  // ---------------------------------------------------------------- collectives on buffers

  Ibcast(buf: TypedArray, root = 0): Request<void> {
    checkBuffer(buf, 'Bcast', 'buf');
    checkRoot(root, this.size);
    const bytes = this.rank === root ? encode(buf) : null;
    // Every rank passes a buffer of the message's size, so all can choose by it.
    const c = this.#select('bcast', buf.byteLength, { root });
    return this.#request(`Bcast(root=${root})`, c, async (ctx) => {
      const got = await runBcast(ctx, c.spec, bytes, root);
      if (this.rank !== root) copyInto(buf, this.#asBuffer(decode(got), 'Bcast'), 'Bcast');
    });
  }

  Ireduce(sendbuf: TypedArray, recvbuf: TypedArray | null, op: Op = SUM, root = 0): Request<void> {
    checkRoot(root, this.size);
    checkBuffer(sendbuf, 'Reduce', 'sendbuf');
    if (this.rank === root) checkBuffer(recvbuf, 'Reduce', 'recvbuf');
    const inner = this.ireduce(sendbuf, op, root);
    return Request.fromPromise(
      inner.wait().then((res) => {
        if (this.rank === root) copyInto(recvbuf!, res as TypedArray, 'Reduce');
      }),
      this.#progress,
    );
  }

  Iallreduce(sendbuf: TypedArray, recvbuf: TypedArray, op: Op = SUM): Request<void> {
    checkBuffer(sendbuf, 'Allreduce', 'sendbuf');
    checkBuffer(recvbuf, 'Allreduce', 'recvbuf');
    const inner = this.iallreduce(sendbuf, op);
    return Request.fromPromise(
      inner.wait().then((res) => copyInto(recvbuf, res as TypedArray, 'Allreduce')),
      this.#progress,
    );
  }

  async Bcast(buf: TypedArray, root = 0): Promise<void> {
    return this.#blocking(() => this.Ibcast(buf, root));
  }
  async Reduce(sendbuf: TypedArray, recvbuf: TypedArray | null, op: Op = SUM, root = 0): Promise<void> {
    return this.#blocking(() => this.Ireduce(sendbuf, recvbuf, op, root));
  }
  async Allreduce(sendbuf: TypedArray, recvbuf: TypedArray, op: Op = SUM): Promise<void> {
    return this.#blocking(() => this.Iallreduce(sendbuf, recvbuf, op));
  }

  async Gather(sendbuf: TypedArray, recvbuf: TypedArray | null, root = 0): Promise<void> {
    checkRoot(root, this.size);
    checkBuffer(sendbuf, 'Gather', 'sendbuf');
    if (this.rank === root) {
      const rb = checkBuffer(recvbuf, 'Gather', 'recvbuf');
      if (rb.length < sendbuf.length * this.size) {
        throw new MPIError(
          ERR_TRUNCATE,
          `Gather: recvbuf holds ${rb.length} elements but ${this.size} ranks × ${sendbuf.length} = ${sendbuf.length * this.size} are needed`,
        );
      }
    }
    const parts = await this.gather(sendbuf, root);
    if (parts === null) return;
    const rb = recvbuf!;
    const n = sendbuf.length;
    parts.forEach((p, i) => {
      const part = this.#asBuffer(p, 'Gather');
      if (part.length !== n) {
        throw new MPIError(
          ERR_COUNT,
          `Gather: rank ${i} sent ${part.length} elements, the root expects ${n}`,
        );
      }
      copyInto(rb.subarray(i * n, (i + 1) * n) as TypedArray, part, 'Gather');
    });
  }

  async Scatter(sendbuf: TypedArray | null, recvbuf: TypedArray, root = 0): Promise<void> {
    checkRoot(root, this.size);
    checkBuffer(recvbuf, 'Scatter', 'recvbuf');
    let chunks: TypedArray[] | null = null;
    if (this.rank === root) {
      const sb = checkBuffer(sendbuf, 'Scatter', 'sendbuf');
      if (sb.length % this.size !== 0) {
        throw new MPIError(
          ERR_COUNT,
          `Scatter: sendbuf has ${sb.length} elements, not a multiple of the ${this.size} ranks`,
        );
      }
      const n = sb.length / this.size;
      chunks = Array.from({ length: this.size }, (_, i) => sb.subarray(i * n, (i + 1) * n) as TypedArray);
    }
    const mine = await this.scatter(chunks, root);
    copyInto(recvbuf, this.#asBuffer(mine, 'Scatter'), 'Scatter');
  }

  async Allgather(sendbuf: TypedArray, recvbuf: TypedArray): Promise<void> {
    checkBuffer(sendbuf, 'Allgather', 'sendbuf');
    checkBuffer(recvbuf, 'Allgather', 'recvbuf');
    const n = sendbuf.length;
    if (recvbuf.length < n * this.size) {
      throw new MPIError(
        ERR_TRUNCATE,
        `Allgather: recvbuf holds ${recvbuf.length} elements but ${this.size} ranks × ${n} = ${n * this.size} are needed`,
      );
    }
    const parts = await this.allgather(sendbuf);
    parts.forEach((p, i) => {
      const part = this.#asBuffer(p, 'Allgather');
      if (part.length !== n) {
        throw new MPIError(
          ERR_COUNT,
          `Allgather: rank ${i} sent ${part.length} elements, this rank expects ${n}`,
        );
      }
      copyInto(recvbuf.subarray(i * n, (i + 1) * n) as TypedArray, part, 'Allgather');
    });
  }

  // ---------------------------------------------------------------- communicators

  /** A copy of this communicator with its own message spaces. Collective. */
  async dup(): Promise<Comm> {
    const ctx = `${this.#ctx}/d${this.#childSeq++}`;
    return new Comm(this.#ep, ctx, this.#group, this.#tuning);
  }

  /**
   * Splits into one communicator per `color`, ranks ordered by `key` then by old rank. Collective.
   * Returns null where color is UNDEFINED.
   */
  async split(color: number, key: number = this.rank): Promise<Comm | null> {
    checkInt(color, 'color', 'split');
    checkInt(key, 'key', 'split');
    if (color < 0 && color !== UNDEFINED) {
      throw new MPIError(
        ERR_ARG,
        `split: expected \`color\` to be >= 0 or UNDEFINED, got ${describeValue(color)}`,
      );
    }
    const id = this.#childSeq++;
    const all = await this.allgather<[number, number]>([color, key]);
    if (color === UNDEFINED) return null;
    const members = all
      .map(([c, k], r) => ({ c, k, r }))
      .filter((m) => m.c === color)
      .sort((a, b) => a.k - b.k || a.r - b.r)
      .map((m) => this.#group[m.r]!);
    return new Comm(this.#ep, `${this.#ctx}/s${id}:${color}`, members, this.#tuning);
  }

  /** Stops the whole job; `run` fails with this errorcode. Never resolves normally. */
  async abort(errorcode = 1): Promise<never> {
    throw this.#ep.abort(Number.isInteger(errorcode) ? errorcode : 1);
  }

  /** mpi4py spelling. */
  async Abort(errorcode = 1): Promise<never> {
    return this.abort(errorcode);
  }
}
