import { describeValue } from '../base/describe-value.js';
import { ERR_ARG, ERR_OTHER, MPIError } from '../base/errors.js';
import type { Envelope } from '../channel/channel.js';
import { decode, encode, encodeParts, viewOf } from '../codec/codec.js';
import {
  type AlgorithmSpec,
  type CollectiveName,
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
import { NOMINAL_BYTES } from '../collectives/call-shape.js';
import type { CollectiveContext } from '../collectives/collective-context.js';
import type { CollectiveTuning, TuningUpdate } from '../collectives/collective-tuning.js';
import type { CallShape } from '../collectives/select-algorithm.js';
import { SENT } from '../transport/transport.js';
import { bufferArg, checkReductionRecvbuf, typedArg } from './buffer-args.js';
import { asBuffer, copyBytesInto, copyInto } from './buffer-copy.js';
import type { BufferPlan } from './buffer-plan.js';
import {
  checkArrayOfSize,
  checkBuffer,
  checkDest,
  checkInt,
  checkRecvTag,
  checkRoot,
  checkSendTag,
  checkSource,
  type TypedArray,
} from './check.js';
import { CollectiveRunner } from './collective-runner.js';
import { ANY_SOURCE, ANY_TAG, PROC_NULL, UNDEFINED } from './constants.js';
import type { Endpoint } from './endpoint.js';
import { IN_PLACE, type InPlace } from './in-place.js';
import type { Matcher } from './matching-engine.js';
import { COMM_TYPE_SHARED } from './node-layout.js';
import type { Op } from './op.js';
import { planAllgather, planAllgatherv } from './plan-allgatherv.js';
import { planAlltoall, planAlltoallv } from './plan-alltoallv.js';
import { planBufferScan } from './plan-buffer-scan.js';
import { planGather, planGatherv } from './plan-gatherv.js';
import { planReduceScatter, planReduceScatterBlock } from './plan-reduce-scatter.js';
import { planScatter, planScatterv } from './plan-scatterv.js';
import { SUM } from './predefined-ops.js';
import { reduceOperand } from './reduce-operand.js';
import { Request } from './request.js';
import { fillStatus, Status } from './status.js';

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
  /** Communicator rank → world rank. */
  readonly #group: readonly number[];
  /** World rank → communicator rank (-1 for non-members). */
  readonly #fromWorld: Int32Array;
  readonly #allowed: ((worldSrc: number) => boolean) | undefined;
  #childSeq = 0;
  readonly #colls: CollectiveRunner;
  readonly #progress = (): void => this.#ep.poll();

  /** @internal Communicators come from the runtime (`COMM_WORLD`), `split` and `dup`. */
  constructor(ep: Endpoint, ctx: string, group: readonly number[], tuning?: Partial<CollectiveTuning>) {
    this.#ep = ep;
    this.#ctx = ctx;
    this.#group = group;
    this.size = group.length;
    this.#fromWorld = new Int32Array(ep.size).fill(-1);
    group.forEach((w, r) => {
      this.#fromWorld[w] = r;
    });
    this.rank = this.#fromWorld[ep.rank]!;
    this.#allowed = group.length === ep.size ? undefined : (w: number) => this.#fromWorld[w]! >= 0;
    this.#colls = new CollectiveRunner(ep, ctx, group, this.rank, tuning, this.#progress);
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
    return this.#colls.tuning;
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
    this.#colls.setTuning(t);
  }

  // ---------------------------------------------------------------- point to point

  /** True while a blocking method starts its operation (see `#blocking`). */
  #blockingCall = false;

  /**
   * Starts a collective as a blocking call and waits for it. Its receives may busy-poll the
   * transport briefly (where ranks have a core each); those of the `I*` methods never do, so they
   * return at once. (Blocking point-to-point calls skip the Request: see `#sendNow`.)
   */
  #blocking<T>(start: () => Request<T>): Promise<T> {
    this.#blockingCall = true;
    let req: Request<T>;
    try {
      req = start();
    } catch (err) {
      // As an async method would: bad arguments reject, they do not throw.
      return Promise.reject(err);
    } finally {
      this.#blockingCall = false;
    }
    return req.wait();
  }

  /** What a receive waits for; `into`: the buffer of a `Recv`/`Irecv` (see `Matcher.into`). */
  #matcher(source: number, tag: number, call: string, into?: TypedArray): Matcher {
    return {
      ctx: this.#ctx,
      src: source === ANY_SOURCE ? ANY_SOURCE : this.#group[source]!,
      tag,
      allowed: this.#allowed,
      call,
      into,
    };
  }

  /** Receives a raw message; the request's completion carries source, tag and byte count. */
  #startRecv<T>(
    source: number,
    tag: number,
    call: string,
    convert: (payload: Uint8Array) => T,
    into?: TypedArray,
  ): Request<T> {
    const req = new Request<T>(this.#progress);
    if (source === PROC_NULL) {
      // An object receive gets null (mpi4py's None); a buffer receive is void.
      req._complete({
        value: (into === undefined ? null : undefined) as T,
        source: PROC_NULL,
        tag: ANY_TAG,
        count: 0,
      });
      return req;
    }
    // Only `irecv`/`Irecv` start receives here: non-blocking, so they never busy-poll. The request
    // completes as the message is matched, so `test()` sees it in a loop that never yields.
    const p = this.#ep.receive(this.#matcher(source, tag, call, into), false, {
      done: (msg) => {
        const source = this.#fromWorld[msg.src]!;
        const count = payloadLength(msg);
        let value: T;
        try {
          value = takeValue(this.#ep, msg, convert);
        } catch (err) {
          // `wait(status)` says what the message was, with the error class.
          req._error(err, { source, tag: msg.tag, count, error: errorClassOf(err) });
          return;
        }
        req._complete({ value, source, tag: msg.tag, count });
      },
      failed: (err) => req._error(err),
    });
    // Tracked for the timeout report; this also handles the promise's rejection (the request has it).
    this.#ep.track(call, p);
    return req;
  }

  /** Sends `obj` to `dest` (buffered: resolves once the message is handed off). */
  send(obj: unknown, dest: number, tag = 0): Promise<void> {
    try {
      checkDest(dest, this.size);
      checkSendTag(tag);
      return this.#sendNow(obj, dest, tag);
    } catch (err) {
      // As an async method would: bad arguments reject, they do not throw.
      return Promise.reject(err);
    }
  }

  /** Receives a value; fills `status` with its source, tag and size. */
  recv<T = any>(source: number = ANY_SOURCE, tag: number = ANY_TAG, status?: Status | null): Promise<T> {
    try {
      checkSource(source, this.size);
      checkRecvTag(tag);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#receiveNow<T>(source, tag, `recv(${recvArgs(source, tag)})`, status, decodeAs);
  }

  /**
   * A send after its checks: the endpoint's own promise. The blocking calls return it as is, no
   * Request (a blocking call's request is only ever waited on, so it would cost a Request, its
   * promises and closures per message for nothing).
   */
  #sendNow(obj: unknown, dest: number, tag: number): Promise<void> {
    if (dest === PROC_NULL) return SENT;
    return this.#ep.sendParts(this.#group[dest]!, this.#ctx, tag, encodeParts(obj));
  }

  /**
   * The blocking receive after its checks (see `#sendNow`): busy-polls briefly where that pays,
   * tracks the call for the timeout report, converts the payload, fills `status`.
   */
  #receiveNow<T>(
    source: number,
    tag: number,
    call: string,
    status: Status | null | undefined,
    convert: (payload: Uint8Array) => T,
    into?: TypedArray,
  ): Promise<T> {
    if (source === PROC_NULL) {
      fillStatus(status, PROC_NULL, ANY_TAG, 0);
      // An object receive gets null (mpi4py's None); a buffer receive is void.
      return Promise.resolve((into === undefined ? null : undefined) as T);
    }
    const ep = this.#ep;
    const entry = ep.trackStart(call);
    return ep.receive(this.#matcher(source, tag, call, into), true).then(
      (msg) => {
        ep.trackEnd(entry);
        // Read before `takeValue` releases the payload's memory to the transport.
        const count = status == null ? 0 : payloadLength(msg);
        let value: T;
        try {
          value = takeValue(ep, msg, convert);
        } catch (err) {
          // `status` says what the message was, with the error class, as MPI's MPI_ERROR does.
          fillStatus(status, this.#fromWorld[msg.src]!, msg.tag, count, errorClassOf(err));
          throw err;
        }
        if (status != null) fillStatus(status, this.#fromWorld[msg.src]!, msg.tag, count);
        return value;
      },
      (err: unknown) => {
        ep.trackEnd(entry);
        throw err;
      },
    );
  }

  isend(obj: unknown, dest: number, tag = 0): Request<void> {
    checkDest(dest, this.size);
    checkSendTag(tag);
    if (dest === PROC_NULL) return Request.completed<void>({ value: undefined });
    return Request.fromPromise(this.#sendNow(obj, dest, tag), this.#progress);
  }

  irecv<T = any>(source: number = ANY_SOURCE, tag: number = ANY_TAG): Request<T> {
    checkSource(source, this.size);
    checkRecvTag(tag);
    return this.#startRecv<T>(source, tag, `recv(${recvArgs(source, tag)})`, decodeAs);
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
    const call = `probe(${recvArgs(source, tag)})`;
    const msg = await this.#ep.track(call, this.#ep.probe(this.#matcher(source, tag, call)));
    fillStatus(st, this.#fromWorld[msg.src]!, msg.tag, payloadLength(msg));
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
    const msg = this.#ep.matcher.peek(this.#matcher(source, tag, 'iprobe'));
    if (msg === undefined) return false;
    fillStatus(status, this.#fromWorld[msg.src]!, msg.tag, payloadLength(msg));
    return true;
  }

  // ---------------------------------------------------------------- buffers, point to point

  Send(buf: TypedArray, dest: number, tag = 0): Promise<void> {
    try {
      checkBuffer(buf, 'Send', 'buf');
      checkDest(dest, this.size);
      checkSendTag(tag);
      return this.#sendNow(buf, dest, tag);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  Recv(
    buf: TypedArray,
    source: number = ANY_SOURCE,
    tag: number = ANY_TAG,
    status?: Status | null,
  ): Promise<void> {
    try {
      checkBuffer(buf, 'Recv', 'buf');
      checkSource(source, this.size);
      checkRecvTag(tag);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#receiveNow<void>(
      source,
      tag,
      `Recv(${recvArgs(source, tag)})`,
      status,
      (b) => receiveInto(buf, b),
      buf,
    );
  }

  Isend(buf: TypedArray, dest: number, tag = 0): Request<void> {
    checkBuffer(buf, 'Send', 'buf');
    return this.isend(buf, dest, tag);
  }

  Irecv(buf: TypedArray, source: number = ANY_SOURCE, tag: number = ANY_TAG): Request<void> {
    checkBuffer(buf, 'Recv', 'buf');
    checkSource(source, this.size);
    checkRecvTag(tag);
    return this.#startRecv<void>(
      source,
      tag,
      `Recv(${recvArgs(source, tag)})`,
      (b) => receiveInto(buf, b),
      buf,
    );
  }

  /**
   * Sends `sendbuf` to `dest` and receives into `recvbuf` at once, so two ranks that exchange
   * cannot deadlock. Fills `status` with the received message's source, tag and size.
   *
   * @example
   * const right = (comm.rank + 1) % comm.size;
   * const left = (comm.rank - 1 + comm.size) % comm.size;
   * const got = new Float64Array(4);
   * await comm.Sendrecv(new Float64Array(4).fill(comm.rank), right, 0, got, left, 0);
   */
  async Sendrecv(
    sendbuf: TypedArray,
    dest: number,
    sendtag = 0,
    recvbuf: TypedArray,
    source: number = ANY_SOURCE,
    recvtag: number = ANY_TAG,
    status?: Status | null,
  ): Promise<void> {
    typedArg(sendbuf, 'Sendrecv', 'sendbuf');
    checkDest(dest, this.size);
    checkSendTag(sendtag, 'sendtag');
    typedArg(recvbuf, 'Sendrecv', 'recvbuf');
    checkSource(source, this.size);
    checkRecvTag(recvtag, 'recvtag');
    const s = this.Isend(sendbuf, dest, sendtag);
    const r = this.Irecv(recvbuf, source, recvtag);
    await Promise.all([s.wait(), r.wait(status)]);
  }

  // ---------------------------------------------------------------- collectives

  /** Starts a collective call; receives busy-poll only when a blocking method started it. */
  #collective<T>(
    collective: CollectiveName,
    bytes: number,
    shape: CallShape,
    label: string,
    run: (ctx: CollectiveContext, spec: AlgorithmSpec) => Promise<T>,
  ): Request<T> {
    return this.#colls.start({ collective, bytes, shape, label, spin: this.#blockingCall, run });
  }

  ibarrier(): Request<void> {
    return this.#collective('barrier', 0, {}, 'barrier()', (ctx, spec) => runBarrier(ctx, spec));
  }

  ibcast<T = any>(obj: T, root = 0): Request<T> {
    checkRoot(root, this.size);
    const bytes = this.rank === root ? encode(obj) : null;
    // Only the root knows the payload's size: choose for a small one.
    return this.#collective(
      'bcast',
      NOMINAL_BYTES,
      { root },
      callLabel('bcast', undefined, root),
      async (ctx, spec) => {
        // The root too gets a copy (decoded from what it sent), as mpi4py's root unpickles.
        return decode(await runBcast(ctx, spec, bytes, root)) as T;
      },
    );
  }

  iscatter<T = any>(objs: readonly T[] | TypedArray | null | undefined, root = 0): Request<T> {
    checkRoot(root, this.size);
    const parts =
      this.rank === root ? checkArrayOfSize(objs, this.size, 'scatter', 'objs').map((o) => encode(o)) : null;
    return this.#collective(
      'scatter',
      NOMINAL_BYTES,
      { root },
      callLabel('scatter', undefined, root),
      async (ctx, spec) => decode(await runScatter(ctx, spec, parts, root)) as T,
    );
  }

  igather<T = any>(obj: T, root = 0): Request<T[] | null> {
    checkRoot(root, this.size);
    const mine = encode(obj);
    return this.#collective(
      'gather',
      NOMINAL_BYTES,
      { root },
      callLabel('gather', undefined, root),
      async (ctx, spec) => {
        const parts = await runGather(ctx, spec, mine, root);
        return parts === null ? null : parts.map((p) => decode(p) as T);
      },
    );
  }

  iallgather<T = any>(obj: T): Request<T[]> {
    const mine = encode(obj);
    return this.#collective('allgather', NOMINAL_BYTES, {}, 'allgather()', async (ctx, spec) =>
      (await runAllgather(ctx, spec, mine)).map((p) => decode(p) as T),
    );
  }

  ialltoall<T = any>(objs: readonly T[] | TypedArray): Request<T[]> {
    const parts = checkArrayOfSize(objs, this.size, 'alltoall', 'objs').map((o) => encode(o));
    return this.#collective('alltoall', NOMINAL_BYTES, {}, 'alltoall()', async (ctx, spec) =>
      (await runAlltoall(ctx, spec, parts)).map((p) => decode(p) as T),
    );
  }

  ireduce<T = any>(obj: T, op: Op = SUM, root = 0): Request<T | null> {
    return this.#ireduce(obj, op, root, 'reduce');
  }

  /** `ireduce`, its errors and timeout reports naming the call as `name` (`Reduce` for buffers). */
  #ireduce<T>(obj: T, op: Op, root: number, name: 'reduce' | 'Reduce'): Request<T | null> {
    checkRoot(root, this.size);
    const r = reduceOperand(op, obj, name);
    const shape = { reduceOp: r.reduceOp, value: obj, root };
    return this.#collective('reduce', r.bytes, shape, callLabel(name, r.op.name, root), async (ctx, spec) => {
      return (await runReduce(ctx, spec, r.own, r.reduceOp, root)) as T | null;
    });
  }

  iallreduce<T = any>(obj: T, op: Op = SUM): Request<T> {
    return this.#iallreduce(obj, op, 'allreduce');
  }

  /** `iallreduce`, its errors and timeout reports naming the call as `name` (`Allreduce` for buffers). */
  #iallreduce<T>(obj: T, op: Op, name: 'allreduce' | 'Allreduce'): Request<T> {
    const r = reduceOperand(op, obj, name);
    const shape = { reduceOp: r.reduceOp, value: obj };
    return this.#collective(
      'allreduce',
      r.bytes,
      shape,
      callLabel(name, r.op.name, undefined),
      async (ctx, spec) => {
        return (await runAllreduce(ctx, spec, r.own, r.reduceOp)) as T;
      },
    );
  }

  iscan<T = any>(obj: T, op: Op = SUM): Request<T> {
    const r = reduceOperand(op, obj, 'scan');
    const shape = { reduceOp: r.reduceOp, value: obj };
    return this.#collective('scan', r.bytes, shape, `scan(op=${r.op.name})`, async (ctx, spec) => {
      return (await runScan(ctx, spec, r.own, r.reduceOp)).inclusive as T;
    });
  }

  iexscan<T = any>(obj: T, op: Op = SUM): Request<T | null> {
    const r = reduceOperand(op, obj, 'exscan');
    const shape = { reduceOp: r.reduceOp, value: obj };
    return this.#collective('exscan', r.bytes, shape, `exscan(op=${r.op.name})`, async (ctx, spec) => {
      const scanned = await runScan(ctx, spec, r.own, r.reduceOp);
      return this.rank === 0 ? null : (scanned.exclusive as T);
    });
  }

  barrier(): Promise<void> {
    return this.#blocking(() => this.ibarrier());
  }
  bcast<T = any>(obj: T, root = 0): Promise<T> {
    return this.#blocking(() => this.ibcast(obj, root));
  }
  /**
   * Rank i gets `objs[i]` from the root (`objs` is ignored elsewhere). `objs` is an array or any
   * TypedArray of `size` values; a TypedArray's elements arrive as numbers (bigints from a
   * BigInt64Array/BigUint64Array), as a numpy array's do in mpi4py.
   *
   * @example
   * const mine = await comm.scatter(comm.rank === 0 ? new Float64Array(comm.size).fill(0.5) : null, 0); // 0.5
   */
  scatter<T = any>(objs: readonly T[] | TypedArray | null | undefined, root = 0): Promise<T> {
    return this.#blocking(() => this.iscatter(objs, root));
  }
  gather<T = any>(obj: T, root = 0): Promise<T[] | null> {
    return this.#blocking(() => this.igather(obj, root));
  }
  allgather<T = any>(obj: T): Promise<T[]> {
    return this.#blocking(() => this.iallgather(obj));
  }
  /**
   * Sends `objs[j]` to rank j and returns what each rank sent here, in rank order. `objs` is an
   * array or any TypedArray of `size` values, as for `scatter`.
   */
  alltoall<T = any>(objs: readonly T[] | TypedArray): Promise<T[]> {
    return this.#blocking(() => this.ialltoall(objs));
  }
  reduce<T = any>(obj: T, op: Op = SUM, root = 0): Promise<T | null> {
    return this.#blocking(() => this.ireduce(obj, op, root));
  }
  allreduce<T = any>(obj: T, op: Op = SUM): Promise<T> {
    return this.#blocking(() => this.iallreduce(obj, op));
  }
  scan<T = any>(obj: T, op: Op = SUM): Promise<T> {
    return this.#blocking(() => this.iscan(obj, op));
  }
  exscan<T = any>(obj: T, op: Op = SUM): Promise<T | null> {
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

  /** Runs a checked buffer plan (`plan-*.ts`) as one collective call. */
  #startPlan(plan: BufferPlan): Request<void> {
    const { collective, bytes, shape } = plan.select;
    return this.#collective(collective, bytes, shape, plan.call, (ctx, spec) => plan.run(ctx, spec));
  }

  get #who(): { rank: number; size: number } {
    return { rank: this.rank, size: this.size };
  }

  /**
   * Non-blocking `Bcast`.
   *
   * @example
   * const req = comm.Ibcast(buf, 0); // ... compute ...; await req;
   */
  Ibcast(buf: TypedArray, root = 0): Request<void> {
    checkRoot(root, this.size);
    checkBuffer(buf, 'Bcast', 'buf');
    const bytes = this.rank === root ? encode(buf) : null;
    // Every rank passes a buffer of the message's size, so all can choose by it.
    return this.#collective('bcast', buf.byteLength, { root }, `Bcast(root=${root})`, async (ctx, spec) => {
      const got = await runBcast(ctx, spec, bytes, root);
      if (this.rank !== root) copyInto(buf, asBuffer(decode(got), 'Bcast'), 'Bcast');
    });
  }

  /**
   * Non-blocking `Reduce`; `sendbuf` may be `IN_PLACE` at the root (its input is then `recvbuf`).
   *
   * @example
   * const req = comm.Ireduce(IN_PLACE, sums, SUM, 0); // at the root
   */
  Ireduce(sendbuf: TypedArray | InPlace, recvbuf: TypedArray | null, op: Op = SUM, root = 0): Request<void> {
    checkRoot(root, this.size);
    const sb = bufferArg(sendbuf, 'Reduce', 'sendbuf', this.rank === root);
    if (this.rank === root) {
      const rb = checkBuffer(recvbuf, 'Reduce', 'recvbuf');
      if (sb !== IN_PLACE) checkReductionRecvbuf(sb, rb, 'Reduce');
    }
    // ireduce takes a private copy at once, so an IN_PLACE recvbuf may be overwritten later.
    const inner = this.#ireduce(sb === IN_PLACE ? recvbuf : sb, op, root, 'Reduce');
    return Request.fromPromise(
      inner.wait().then((res) => {
        if (this.rank === root) copyInto(recvbuf!, res as TypedArray, 'Reduce');
      }),
      this.#progress,
    );
  }

  /**
   * Non-blocking `Allreduce`; `sendbuf` may be `IN_PLACE` (the input is then `recvbuf`).
   *
   * @example
   * await comm.Iallreduce(IN_PLACE, v, SUM);
   */
  Iallreduce(sendbuf: TypedArray | InPlace, recvbuf: TypedArray, op: Op = SUM): Request<void> {
    const sb = bufferArg(sendbuf, 'Allreduce', 'sendbuf', true);
    checkBuffer(recvbuf, 'Allreduce', 'recvbuf');
    if (sb !== IN_PLACE) checkReductionRecvbuf(sb, recvbuf, 'Allreduce');
    const inner = this.#iallreduce(sb === IN_PLACE ? recvbuf : sb, op, 'Allreduce');
    return Request.fromPromise(
      inner.wait().then((res) => copyInto(recvbuf, res as TypedArray, 'Allreduce')),
      this.#progress,
    );
  }

  /**
   * Broadcasts the root's `buf` into every rank's `buf`.
   *
   * @example
   * const buf = new Float64Array(4);
   * if (comm.rank === 0) buf.set([1, 2, 3, 4]);
   * await comm.Bcast(buf, 0);
   */
  Bcast(buf: TypedArray, root = 0): Promise<void> {
    return this.#blocking(() => this.Ibcast(buf, root));
  }

  /**
   * Element-wise reduction of every rank's `sendbuf` into the root's `recvbuf` (untouched elsewhere).
   *
   * @example
   * const sums = comm.rank === 0 ? new Float64Array(2) : null;
   * await comm.Reduce(new Float64Array([comm.rank, 1]), sums, SUM, 0);
   */
  Reduce(sendbuf: TypedArray | InPlace, recvbuf: TypedArray | null, op: Op = SUM, root = 0): Promise<void> {
    return this.#blocking(() => this.Ireduce(sendbuf, recvbuf, op, root));
  }

  /**
   * Element-wise reduction of every rank's `sendbuf` into every rank's `recvbuf`.
   *
   * @example
   * const v = new Float64Array([comm.rank, 1]);
   * await comm.Allreduce(IN_PLACE, v, SUM); // v = [0 + 1 + ... + (size-1), size]
   */
  Allreduce(sendbuf: TypedArray | InPlace, recvbuf: TypedArray, op: Op = SUM): Promise<void> {
    return this.#blocking(() => this.Iallreduce(sendbuf, recvbuf, op));
  }

  /**
   * Non-blocking `Gather`.
   *
   * @example
   * const req = comm.Igather(mine, comm.rank === 0 ? all : null, 0);
   */
  Igather(sendbuf: TypedArray | InPlace, recvbuf: TypedArray | null, root = 0): Request<void> {
    return this.#startPlan(planGather(this.#who, sendbuf, recvbuf, root));
  }

  /**
   * Gathers every rank's `sendbuf` (equal lengths) into the root's `recvbuf`, in rank order. At the
   * root `sendbuf` may be `IN_PLACE` (its block is already in `recvbuf`, blocks of
   * `recvbuf.length / size`).
   *
   * @example
   * const all = comm.rank === 0 ? new Int32Array(2 * comm.size) : null;
   * await comm.Gather(new Int32Array([comm.rank, comm.rank]), all, 0);
   */
  Gather(sendbuf: TypedArray | InPlace, recvbuf: TypedArray | null, root = 0): Promise<void> {
    return this.#blocking(() => this.Igather(sendbuf, recvbuf, root));
  }

  /**
   * Non-blocking `Gatherv`.
   *
   * @example
   * const req = comm.Igatherv(mine, all, counts, null, 0);
   */
  Igatherv(
    sendbuf: TypedArray | InPlace,
    recvbuf: TypedArray | null,
    counts: ArrayLike<number> | null,
    displs: ArrayLike<number> | null = null,
    root = 0,
  ): Request<void> {
    return this.#startPlan(planGatherv(this.#who, sendbuf, recvbuf, counts, displs, root));
  }

  /**
   * Gathers blocks of different lengths: rank i's `sendbuf` (`counts[i]` elements) lands at
   * `recvbuf[displs[i]..]` on the root. `recvbuf`, `counts` and `displs` are read at the root only
   * (pass `null` elsewhere); `displs` defaults to the exclusive prefix sums of `counts`. At the root
   * `sendbuf` may be `IN_PLACE` (its block is already in place).
   *
   * @example
   * // rank i sends i + 1 elements; the root gets [0, 1, 1, 2, 2, 2, ...]
   * const counts = Array.from({ length: comm.size }, (_, i) => i + 1);
   * const all = comm.rank === 0 ? new Int32Array(counts.reduce((a, b) => a + b)) : null;
   * await comm.Gatherv(new Int32Array(comm.rank + 1).fill(comm.rank), all, counts, null, 0);
   */
  Gatherv(
    sendbuf: TypedArray | InPlace,
    recvbuf: TypedArray | null,
    counts: ArrayLike<number> | null,
    displs: ArrayLike<number> | null = null,
    root = 0,
  ): Promise<void> {
    return this.#blocking(() => this.Igatherv(sendbuf, recvbuf, counts, displs, root));
  }

  /**
   * Non-blocking `Scatter`.
   *
   * @example
   * const req = comm.Iscatter(comm.rank === 0 ? all : null, mine, 0);
   */
  Iscatter(sendbuf: TypedArray | null, recvbuf: TypedArray | InPlace, root = 0): Request<void> {
    return this.#startPlan(planScatter(this.#who, sendbuf, recvbuf, root));
  }

  /**
   * Cuts the root's `sendbuf` into `size` equal blocks and sends block i to rank i's `recvbuf`. At
   * the root `recvbuf` may be `IN_PLACE` (its block stays in `sendbuf`).
   *
   * @example
   * const mine = new Float64Array(2);
   * await comm.Scatter(comm.rank === 0 ? new Float64Array(2 * comm.size).fill(7) : null, mine, 0);
   */
  Scatter(sendbuf: TypedArray | null, recvbuf: TypedArray | InPlace, root = 0): Promise<void> {
    return this.#blocking(() => this.Iscatter(sendbuf, recvbuf, root));
  }

  /**
   * Non-blocking `Scatterv`.
   *
   * @example
   * const req = comm.Iscatterv(all, counts, null, mine, 0);
   */
  Iscatterv(
    sendbuf: TypedArray | null,
    counts: ArrayLike<number> | null,
    displs: ArrayLike<number> | null,
    recvbuf: TypedArray | InPlace,
    root = 0,
  ): Request<void> {
    return this.#startPlan(planScatterv(this.#who, sendbuf, counts, displs, recvbuf, root));
  }

  /**
   * Sends blocks of different lengths: rank i gets `sendbuf[displs[i] .. displs[i] + counts[i])`
   * of the root into the front of its `recvbuf` (which must hold `counts[i]` elements).
   * `sendbuf`, `counts` and `displs` are read at the root only (pass `null` elsewhere); `displs`
   * `null` means the exclusive prefix sums of `counts`. At the root `recvbuf` may be `IN_PLACE`.
   *
   * @example
   * const counts = Array.from({ length: comm.size }, (_, i) => i); // rank 0 gets nothing
   * const all = comm.rank === 0 ? new Float64Array(counts.reduce((a, b) => a + b, 0)) : null;
   * const mine = new Float64Array(comm.rank);
   * await comm.Scatterv(all, comm.rank === 0 ? counts : null, null, mine, 0);
   */
  Scatterv(
    sendbuf: TypedArray | null,
    counts: ArrayLike<number> | null,
    displs: ArrayLike<number> | null,
    recvbuf: TypedArray | InPlace,
    root = 0,
  ): Promise<void> {
    return this.#blocking(() => this.Iscatterv(sendbuf, counts, displs, recvbuf, root));
  }

  /**
   * Non-blocking `Allgather`.
   *
   * @example
   * const req = comm.Iallgather(mine, all);
   */
  Iallgather(sendbuf: TypedArray | InPlace, recvbuf: TypedArray): Request<void> {
    return this.#startPlan(planAllgather(this.#who, sendbuf, recvbuf));
  }

  /**
   * Gathers every rank's `sendbuf` (equal lengths) into every rank's `recvbuf`, in rank order. With
   * `IN_PLACE` each rank's block is already at its place in `recvbuf` (blocks of
   * `recvbuf.length / size`).
   *
   * @example
   * const all = new Int32Array(comm.size);
   * all[comm.rank] = comm.rank * 10;
   * await comm.Allgather(IN_PLACE, all); // [0, 10, 20, ...] on every rank
   */
  Allgather(sendbuf: TypedArray | InPlace, recvbuf: TypedArray): Promise<void> {
    return this.#blocking(() => this.Iallgather(sendbuf, recvbuf));
  }

  /**
   * Non-blocking `Allgatherv`.
   *
   * @example
   * const req = comm.Iallgatherv(mine, all, counts);
   */
  Iallgatherv(
    sendbuf: TypedArray | InPlace,
    recvbuf: TypedArray,
    counts: ArrayLike<number>,
    displs: ArrayLike<number> | null = null,
  ): Request<void> {
    return this.#startPlan(planAllgatherv(this.#who, sendbuf, recvbuf, counts, displs));
  }

  /**
   * `Gatherv` on every rank: rank i's `sendbuf` (`counts[i]` elements) lands at
   * `recvbuf[displs[i]..]` everywhere; `displs` defaults to the exclusive prefix sums of `counts`.
   * With `IN_PLACE` each rank's block is already at its place in `recvbuf`.
   *
   * @example
   * const counts = Array.from({ length: comm.size }, (_, i) => i % 3);
   * const all = new Float64Array(counts.reduce((a, b) => a + b, 0));
   * await comm.Allgatherv(new Float64Array(comm.rank % 3).fill(comm.rank), all, counts);
   */
  Allgatherv(
    sendbuf: TypedArray | InPlace,
    recvbuf: TypedArray,
    counts: ArrayLike<number>,
    displs: ArrayLike<number> | null = null,
  ): Promise<void> {
    return this.#blocking(() => this.Iallgatherv(sendbuf, recvbuf, counts, displs));
  }

  /**
   * Non-blocking `Alltoall`.
   *
   * @example
   * const req = comm.Ialltoall(out, into);
   */
  Ialltoall(sendbuf: TypedArray | InPlace, recvbuf: TypedArray): Request<void> {
    return this.#startPlan(planAlltoall(this.#who, sendbuf, recvbuf));
  }

  /**
   * Equal-block exchange: `sendbuf.length === recvbuf.length`, a multiple of `size`; block j of rank
   * i lands as block i of rank j. With `IN_PLACE` the blocks to send are read from `recvbuf`.
   *
   * @example
   * const out = Int32Array.from({ length: comm.size }, (_, j) => 100 * comm.rank + j);
   * const into = new Int32Array(comm.size);
   * await comm.Alltoall(out, into); // into[i] = 100 * i + comm.rank
   */
  Alltoall(sendbuf: TypedArray | InPlace, recvbuf: TypedArray): Promise<void> {
    return this.#blocking(() => this.Ialltoall(sendbuf, recvbuf));
  }

  /**
   * Non-blocking `Alltoallv`.
   *
   * @example
   * const req = comm.Ialltoallv(out, sendcounts, null, into, recvcounts, null);
   */
  Ialltoallv(
    sendbuf: TypedArray,
    sendcounts: ArrayLike<number>,
    sdispls: ArrayLike<number> | null,
    recvbuf: TypedArray,
    recvcounts: ArrayLike<number>,
    rdispls: ArrayLike<number> | null = null,
  ): Request<void> {
    return this.#startPlan(
      planAlltoallv(this.#who, sendbuf, sendcounts, sdispls, recvbuf, recvcounts, rdispls),
    );
  }

  /**
   * Exchange of blocks of different lengths, as MPI_Alltoallv: `sendbuf[sdispls[j]..]`
   * (`sendcounts[j]` elements) goes to rank j, and what rank j sends lands at `recvbuf[rdispls[j]..]`
   * (exactly `recvcounts[j]` elements). Displacements `null` mean the exclusive prefix sums.
   *
   * @example
   * // rank i sends j + 1 elements to rank j, so receives i + 1 from everyone
   * const sendcounts = Array.from({ length: comm.size }, (_, j) => j + 1);
   * const recvcounts = Array(comm.size).fill(comm.rank + 1);
   * const out = new Int32Array(sendcounts.reduce((a, b) => a + b)).fill(comm.rank);
   * const into = new Int32Array(comm.size * (comm.rank + 1));
   * await comm.Alltoallv(out, sendcounts, null, into, recvcounts, null);
   */
  Alltoallv(
    sendbuf: TypedArray,
    sendcounts: ArrayLike<number>,
    sdispls: ArrayLike<number> | null,
    recvbuf: TypedArray,
    recvcounts: ArrayLike<number>,
    rdispls: ArrayLike<number> | null = null,
  ): Promise<void> {
    return this.#blocking(() => this.Ialltoallv(sendbuf, sendcounts, sdispls, recvbuf, recvcounts, rdispls));
  }

  /**
   * Non-blocking `Reduce_scatter_block`.
   *
   * @example
   * const req = comm.Ireduce_scatter_block(all, mine, SUM);
   */
  Ireduce_scatter_block(sendbuf: TypedArray | InPlace, recvbuf: TypedArray, op: Op = SUM): Request<void> {
    return this.#startPlan(planReduceScatterBlock(this.#who, sendbuf, recvbuf, op));
  }

  /**
   * Element-wise reduction (in rank order) of every rank's `sendbuf` (`size` equal blocks), rank i
   * getting block i of the result in its `recvbuf`: `sendbuf.length === size * recvbuf.length`.
   * With `IN_PLACE` the input is `recvbuf` and the result goes to its front.
   *
   * @example
   * const mine = new Float64Array(2);
   * await comm.Reduce_scatter_block(new Float64Array(2 * comm.size).fill(1), mine, SUM); // [size, size]
   */
  async Reduce_scatter_block(
    sendbuf: TypedArray | InPlace,
    recvbuf: TypedArray,
    op: Op = SUM,
  ): Promise<void> {
    return this.#blocking(() => this.Ireduce_scatter_block(sendbuf, recvbuf, op));
  }

  /**
   * Non-blocking `Reduce_scatter`.
   *
   * @example
   * const req = comm.Ireduce_scatter(all, mine, counts, SUM);
   */
  Ireduce_scatter(
    sendbuf: TypedArray | InPlace,
    recvbuf: TypedArray,
    recvcounts: ArrayLike<number>,
    op: Op = SUM,
  ): Request<void> {
    return this.#startPlan(planReduceScatter(this.#who, sendbuf, recvbuf, recvcounts, op));
  }

  /**
   * Element-wise reduction (in rank order) of every rank's first `sum(recvcounts)` elements of
   * `sendbuf`, cut in rank order: rank i gets `recvcounts[i]` elements at the front of `recvbuf`.
   * With `IN_PLACE` the input is `recvbuf` and the result goes to its front.
   *
   * @example
   * const counts = Array.from({ length: comm.size }, (_, i) => i); // rank 0 gets nothing
   * const total = counts.reduce((a, b) => a + b, 0);
   * const mine = new Int32Array(comm.rank);
   * await comm.Reduce_scatter(new Int32Array(total).fill(1), mine, counts, SUM); // all = size
   */
  async Reduce_scatter(
    sendbuf: TypedArray | InPlace,
    recvbuf: TypedArray,
    recvcounts: ArrayLike<number>,
    op: Op = SUM,
  ): Promise<void> {
    return this.#blocking(() => this.Ireduce_scatter(sendbuf, recvbuf, recvcounts, op));
  }

  /**
   * Non-blocking `Scan`.
   *
   * @example
   * const req = comm.Iscan(mine, prefix, SUM);
   */
  Iscan(sendbuf: TypedArray | InPlace, recvbuf: TypedArray, op: Op = SUM): Request<void> {
    return this.#startPlan(planBufferScan(this.#who, sendbuf, recvbuf, op, false));
  }

  /**
   * Inclusive prefix reduction, element-wise: rank i's `recvbuf` gets `sendbuf(0) op ... op
   * sendbuf(i)`. With `IN_PLACE` the input is `recvbuf`.
   *
   * @example
   * const v = new Int32Array([1, comm.rank]);
   * await comm.Scan(IN_PLACE, v, SUM); // [rank + 1, rank * (rank + 1) / 2]
   */
  Scan(sendbuf: TypedArray | InPlace, recvbuf: TypedArray, op: Op = SUM): Promise<void> {
    return this.#blocking(() => this.Iscan(sendbuf, recvbuf, op));
  }

  /**
   * Non-blocking `Exscan`.
   *
   * @example
   * const req = comm.Iexscan(mine, before, SUM);
   */
  Iexscan(sendbuf: TypedArray | InPlace, recvbuf: TypedArray, op: Op = SUM): Request<void> {
    return this.#startPlan(planBufferScan(this.#who, sendbuf, recvbuf, op, true));
  }

  /**
   * Exclusive prefix reduction, element-wise: rank i > 0 gets `sendbuf(0) op ... op sendbuf(i-1)`;
   * rank 0's `recvbuf` is left untouched. With `IN_PLACE` the input is `recvbuf`.
   *
   * @example
   * const offset = new Int32Array(1);
   * await comm.Exscan(new Int32Array([myCount]), offset, SUM); // where this rank's items start
   */
  Exscan(sendbuf: TypedArray | InPlace, recvbuf: TypedArray, op: Op = SUM): Promise<void> {
    return this.#blocking(() => this.Iexscan(sendbuf, recvbuf, op));
  }

  // ---------------------------------------------------------------- communicators

  /** A copy of this communicator with its own message spaces. Collective. */
  async dup(): Promise<Comm> {
    const ctx = `${this.#ctx}/d${this.#childSeq++}`;
    return new Comm(this.#ep, ctx, this.#group, this.#colls.tuning);
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
    return new Comm(this.#ep, `${this.#ctx}/s${id}:${color}`, members, this.#colls.tuning);
  }

  /**
   * Splits by node (MPI-3 `MPI_Comm_split_type`): with `COMM_TYPE_SHARED`, one communicator per
   * set of ranks that share memory (one process on the local backend, one Lambda invocation on
   * `aws`), ranks ordered by `key` then by old rank; `UNDEFINED` gives `null`. Collective.
   *
   * @example
   * const node = await comm.splitType(COMM_TYPE_SHARED);
   * if (node!.rank === 0) console.log(`${node!.size} ranks share this node`);
   */
  async splitType(splitType: number, key: number = this.rank): Promise<Comm | null> {
    if (splitType !== COMM_TYPE_SHARED && splitType !== UNDEFINED) {
      throw new MPIError(
        ERR_ARG,
        `splitType: expected \`splitType\` to be COMM_TYPE_SHARED or UNDEFINED, got ${describeValue(splitType)}`,
      );
    }
    checkInt(key, 'key', 'splitType');
    const color = splitType === UNDEFINED ? UNDEFINED : this.#ep.layout.nodeOf(this.#group[this.rank]!);
    return this.split(color, key);
  }

  /** mpi4py spelling of `dup`. */
  async Dup(): Promise<Comm> {
    return this.dup();
  }

  /**
   * mpi4py spelling of `split`, with mpi4py's defaults (color 0, key 0: ties keep the old order);
   * `null`, not COMM_NULL, where color is UNDEFINED.
   */
  async Split(color = 0, key = 0): Promise<Comm | null> {
    return this.split(color, key);
  }

  /** mpi4py spelling of `splitType`. */
  async Split_type(splitType: number, key: number = this.rank): Promise<Comm | null> {
    return this.splitType(splitType, key);
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

const decodeAs = <T>(payload: Uint8Array): T => decode(payload) as T;

/**
 * A received message's value (a placed one is in the receive's buffer already: see
 * `Matcher.into`), its frame freed whether or not `convert` throws: the message is consumed either
 * way (ERR_TRUNCATE, ERR_TYPE). `convert` copies what it keeps (decode and the buffer copies do).
 */
function takeValue<T>(ep: Endpoint, msg: Envelope, convert: (payload: Uint8Array) => T): T {
  try {
    return msg.placed === undefined ? convert(msg.payload) : (undefined as T);
  } finally {
    ep.release(msg.payload);
  }
}

/** The MPI error class of a failure (ERR_OTHER for anything that is not an MPIError). */
const errorClassOf = (err: unknown): number => (err instanceof MPIError ? err.errorClass : ERR_OTHER);

/**
 * A received message's size in bytes, placed or not (see `Envelope.placed`), as `Status.count`
 * reports it: a TypedArray's own bytes (its `byteLength`, so `Get_elements` counts its elements),
 * any other value's encoded size.
 */
function payloadLength(msg: Envelope): number {
  const total = msg.payload.length + (msg.placed === undefined ? 0 : msg.placed.bytes.length);
  return viewOf(msg.payload, total)?.byteLength ?? total;
}

/** Copies a received message into `buf`: one TypedArray straight from the frame, else decoded first. */
function receiveInto(buf: TypedArray, b: Uint8Array): void {
  const v = viewOf(b);
  if (v === undefined) copyInto(buf, asBuffer(decode(b), 'Recv'), 'Recv');
  else copyBytesInto(buf, b.subarray(v.offset, v.offset + v.byteLength), v.name, 'Recv');
}

/** A receive's arguments as reports show them: `source=ANY_SOURCE, tag=5`. */
function recvArgs(source: number, tag: number): string {
  return `source=${source === ANY_SOURCE ? 'ANY_SOURCE' : source}, tag=${tag === ANY_TAG ? 'ANY_TAG' : tag}`;
}

/** Labels of calls by name, then op, then root, made once each: built per call, a label is hashed again to find its code. */
const callLabels = new Map<string, Map<string | undefined, Map<number | undefined, string>>>();

/**
 * `name(op=…, root=…)` (either part absent), the same string object each time, up to 4,096
 * distinct roots per name and op.
 */
function callLabel(name: string, op: string | undefined, root: number | undefined): string {
  let byOp = callLabels.get(name);
  if (byOp === undefined) callLabels.set(name, (byOp = new Map()));
  let byRoot = byOp.get(op);
  if (byRoot === undefined) byOp.set(op, (byRoot = new Map()));
  let label = byRoot.get(root);
  if (label === undefined) {
    const args = [op === undefined ? [] : [`op=${op}`], root === undefined ? [] : [`root=${root}`]].flat();
    label = `${name}(${args.join(', ')})`;
    if (byRoot.size < 4096) byRoot.set(root, label);
  }
  return label;
}
