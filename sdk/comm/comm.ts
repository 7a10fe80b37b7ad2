import { describeValue } from '../base/describe-value.js';
import { ERR_ARG, MPIError } from '../base/errors.js';
import { decode, encode } from '../codec/codec.js';
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
import { asBuffer, checkPartsFit, copyInto, copyParts, splitBuffer } from './buffer-copy.js';
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
import type { Matcher } from './matching-engine.js';
import type { Op } from './op.js';
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
      copyInto(buf, asBuffer(decode(b), 'Recv'), 'Recv');
    });
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
    return this.#collective('bcast', NOMINAL_BYTES, { root }, `bcast(root=${root})`, async (ctx, spec) => {
      const got = await runBcast(ctx, spec, bytes, root);
      return this.rank === root ? obj : (decode(got) as T);
    });
  }

  iscatter<T = any>(objs: readonly T[] | null | undefined, root = 0): Request<T> {
    checkRoot(root, this.size);
    const parts =
      this.rank === root ? checkArrayOfSize(objs, this.size, 'scatter', 'objs').map((o) => encode(o)) : null;
    return this.#collective(
      'scatter',
      NOMINAL_BYTES,
      { root },
      `scatter(root=${root})`,
      async (ctx, spec) => decode(await runScatter(ctx, spec, parts, root)) as T,
    );
  }

  igather<T = any>(obj: T, root = 0): Request<T[] | null> {
    checkRoot(root, this.size);
    const mine = encode(obj);
    return this.#collective('gather', NOMINAL_BYTES, { root }, `gather(root=${root})`, async (ctx, spec) => {
      const parts = await runGather(ctx, spec, mine, root);
      return parts === null ? null : parts.map((p) => decode(p) as T);
    });
  }

  iallgather<T = any>(obj: T): Request<T[]> {
    const mine = encode(obj);
    return this.#collective('allgather', NOMINAL_BYTES, {}, 'allgather()', async (ctx, spec) =>
      (await runAllgather(ctx, spec, mine)).map((p) => decode(p) as T),
    );
  }

  ialltoall<T = any>(objs: readonly T[]): Request<T[]> {
    const parts = checkArrayOfSize(objs, this.size, 'alltoall', 'objs').map((o) => encode(o));
    return this.#collective('alltoall', NOMINAL_BYTES, {}, 'alltoall()', async (ctx, spec) =>
      (await runAlltoall(ctx, spec, parts)).map((p) => decode(p) as T),
    );
  }

  ireduce<T = any>(obj: T, op: Op = SUM, root = 0): Request<T | null> {
    checkRoot(root, this.size);
    const r = reduceOperand(op, obj, 'reduce');
    const shape = { reduceOp: r.reduceOp, value: obj, root };
    return this.#collective(
      'reduce',
      r.bytes,
      shape,
      `reduce(op=${r.op.name}, root=${root})`,
      async (ctx, spec) => {
        return (await runReduce(ctx, spec, r.own, r.reduceOp, root)) as T | null;
      },
    );
  }

  iallreduce<T = any>(obj: T, op: Op = SUM): Request<T> {
    const r = reduceOperand(op, obj, 'allreduce');
    const shape = { reduceOp: r.reduceOp, value: obj };
    return this.#collective('allreduce', r.bytes, shape, `allreduce(op=${r.op.name})`, async (ctx, spec) => {
      return (await runAllreduce(ctx, spec, r.own, r.reduceOp)) as T;
    });
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
    return this.#collective('bcast', buf.byteLength, { root }, `Bcast(root=${root})`, async (ctx, spec) => {
      const got = await runBcast(ctx, spec, bytes, root);
      if (this.rank !== root) copyInto(buf, asBuffer(decode(got), 'Bcast'), 'Bcast');
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
    if (this.rank === root)
      checkPartsFit(checkBuffer(recvbuf, 'Gather', 'recvbuf'), sendbuf.length, this.size, 'Gather');
    const parts = await this.gather(sendbuf, root);
    if (parts !== null) copyParts(parts, recvbuf!, sendbuf.length, 'Gather', 'the root');
  }

  async Scatter(sendbuf: TypedArray | null, recvbuf: TypedArray, root = 0): Promise<void> {
    checkRoot(root, this.size);
    checkBuffer(recvbuf, 'Scatter', 'recvbuf');
    const chunks =
      this.rank === root
        ? splitBuffer(checkBuffer(sendbuf, 'Scatter', 'sendbuf'), this.size, 'Scatter')
        : null;
    const mine = await this.scatter(chunks, root);
    copyInto(recvbuf, asBuffer(mine, 'Scatter'), 'Scatter');
  }

  async Allgather(sendbuf: TypedArray, recvbuf: TypedArray): Promise<void> {
    checkBuffer(sendbuf, 'Allgather', 'sendbuf');
    checkBuffer(recvbuf, 'Allgather', 'recvbuf');
    checkPartsFit(recvbuf, sendbuf.length, this.size, 'Allgather');
    const parts = await this.allgather(sendbuf);
    copyParts(parts, recvbuf, sendbuf.length, 'Allgather', 'this rank');
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

  /** Stops the whole job; `run` fails with this errorcode. Never resolves normally. */
  async abort(errorcode = 1): Promise<never> {
    throw this.#ep.abort(Number.isInteger(errorcode) ? errorcode : 1);
  }

  /** mpi4py spelling. */
  async Abort(errorcode = 1): Promise<never> {
    return this.abort(errorcode);
  }
}
