import { decode, encode } from '../codec/codec.js';
import { allgather } from '../collectives/allgather.js';
import { allreduceRecursiveDoubling, allreduceReduceBcast } from '../collectives/allreduce.js';
import { alltoall } from '../collectives/alltoall.js';
import { barrier } from '../collectives/barrier.js';
import { bcast } from '../collectives/bcast.js';
import type { CollectiveContext, ReduceOp } from '../collectives/collective-context.js';
import { gather } from '../collectives/gather.js';
import { naive } from '../collectives/naive.js';
import { reduce } from '../collectives/reduce.js';
import { scanBoth } from '../collectives/scan.js';
import { scatter } from '../collectives/scatter.js';
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
  show,
  type TypedArray,
} from './check.js';
import { ANY_SOURCE, ANY_TAG, PROC_NULL, TAG_UB, UNDEFINED } from './constants.js';
import type { Endpoint } from './endpoint.js';
import { ERR_ARG, ERR_COUNT, ERR_TRUNCATE, ERR_TYPE, MPIError } from './errors.js';
import type { Matcher } from './matching-engine.js';
import { Op, SUM } from './op.js';
import { Request } from './request.js';
import { fillStatus, Status } from './status.js';

/** How collectives are run on a communicator. */
export interface CollectiveTuning {
  /** Tree radix: 2 = binomial, larger = k-nomial, >= size = flat. */
  radix: number;
  allreduce: 'recursive-doubling' | 'reduce-bcast';
  /** Use the naive linear algorithms (test oracles). */
  naive: boolean;
}

const DEFAULT_TUNING: CollectiveTuning = { radix: 2, allreduce: 'recursive-doubling', naive: false };

function asOp(op: unknown, call: string): Op {
  if (op instanceof Op) return op;
  throw new MPIError(
    ERR_ARG,
    `${call}: expected \`op\` to be an Op (SUM, MAX, ..., or Op.create(fn)), got ${show(op)}`,
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

  /** Changes how collectives run on this communicator. Every rank must set the same values. */
  setTuning(t: Partial<CollectiveTuning>): void {
    for (const key of Object.keys(t)) {
      if (!(key in DEFAULT_TUNING)) throw new MPIError(ERR_ARG, `setTuning: unknown option \`${key}\``);
    }
    if (t.radix !== undefined && !(Number.isInteger(t.radix) && t.radix >= 2)) {
      throw new MPIError(
        ERR_ARG,
        `setTuning: expected \`radix\` to be an integer >= 2, got ${show(t.radix)}`,
      );
    }
    this.#tuning = { ...this.#tuning, ...t };
  }

  // ---------------------------------------------------------------- point to point

  #progress = (): void => this.#ep.poll();

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
    const p = this.#ep.receive(this.#matcher(source, tag));
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
    return this.isend(obj, dest, tag).wait();
  }

  /** Receives a value; fills `status` with its source, tag and size. */
  async recv<T = any>(
    source: number = ANY_SOURCE,
    tag: number = ANY_TAG,
    status?: Status | null,
  ): Promise<T> {
    return this.irecv<T>(source, tag).wait(status);
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
    return this.Isend(buf, dest, tag).wait();
  }

  async Recv(
    buf: TypedArray,
    source: number = ANY_SOURCE,
    tag: number = ANY_TAG,
    status?: Status | null,
  ): Promise<void> {
    return this.Irecv(buf, source, tag).wait(status);
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
      `${call}: the message holds ${show(v)}, not a TypedArray: the sender used a lowercase method`,
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
    return {
      rank: this.rank,
      size: this.size,
      radix: this.#tuning.radix,
      send: (dst, payload) => ep.send(group[dst]!, ctx, tag, payload),
      recv: (src) => ep.receive({ ctx, src: group[src]!, tag, allowed: undefined }).then((m) => m.payload),
      encode,
      decode,
    };
  }

  #request<T>(call: string, body: (ctx: CollectiveContext) => Promise<T>): Request<T> {
    const ctx = this.#coll();
    return Request.fromPromise(this.#ep.track(call, body(ctx)), this.#progress);
  }

  #reduceOp(op: Op): ReduceOp {
    return { combine: (a, b) => op.apply(a, b), commute: op.commute };
  }

  get #algo() {
    return this.#tuning.naive ? naive : null;
  }

  ibarrier(): Request<void> {
    return this.#request('barrier()', (ctx) => (this.#algo ?? { barrier }).barrier(ctx));
  }

  ibcast<T = any>(obj: T, root = 0): Request<T> {
    checkRoot(root, this.size);
    const bytes = this.rank === root ? encode(obj) : null;
    return this.#request(`bcast(root=${root})`, async (ctx) => {
      const got = await (this.#algo ?? { bcast }).bcast(ctx, bytes, root);
      return this.rank === root ? obj : (decode(got) as T);
    });
  }

  iscatter<T = any>(objs: readonly T[] | null | undefined, root = 0): Request<T> {
    checkRoot(root, this.size);
    let parts: Uint8Array[] | null = null;
    if (this.rank === root)
      parts = checkArrayOfSize(objs, this.size, 'scatter', 'objs').map((o) => encode(o));
    return this.#request(`scatter(root=${root})`, async (ctx) => {
      const mine = await (this.#algo ?? { scatter }).scatter(ctx, parts, root);
      return decode(mine) as T;
    });
  }

  igather<T = any>(obj: T, root = 0): Request<T[] | null> {
    checkRoot(root, this.size);
    const mine = encode(obj);
    return this.#request(`gather(root=${root})`, async (ctx) => {
      const parts = await (this.#algo ?? { gather }).gather(ctx, mine, root);
      return parts === null ? null : parts.map((p) => decode(p) as T);
    });
  }

  iallgather<T = any>(obj: T): Request<T[]> {
    const mine = encode(obj);
    return this.#request('allgather()', async (ctx) => {
      const parts = await (this.#algo ?? { allgather }).allgather(ctx, mine);
      return parts.map((p) => decode(p) as T);
    });
  }

  ialltoall<T = any>(objs: readonly T[]): Request<T[]> {
    const parts = checkArrayOfSize(objs, this.size, 'alltoall', 'objs').map((o) => encode(o));
    return this.#request('alltoall()', async (ctx) => {
      const got = await (this.#algo ?? { alltoall }).alltoall(ctx, parts);
      return got.map((p) => decode(p) as T);
    });
  }

  ireduce<T = any>(obj: T, op: Op = SUM, root = 0): Request<T | null> {
    checkRoot(root, this.size);
    const o = asOp(op, 'reduce');
    o.check(obj);
    const own = privateCopy(obj);
    return this.#request(`reduce(op=${o.name}, root=${root})`, async (ctx) => {
      return (await (this.#algo ?? { reduce }).reduce(ctx, own, this.#reduceOp(o), root)) as T | null;
    });
  }

  iallreduce<T = any>(obj: T, op: Op = SUM): Request<T> {
    const o = asOp(op, 'allreduce');
    o.check(obj);
    const own = privateCopy(obj);
    return this.#request(`allreduce(op=${o.name})`, async (ctx) => {
      const rop = this.#reduceOp(o);
      if (this.#algo) return (await naive.allreduce(ctx, own, rop)) as T;
      if (this.#tuning.allreduce === 'reduce-bcast') return (await allreduceReduceBcast(ctx, own, rop)) as T;
      return (await allreduceRecursiveDoubling(ctx, own, rop)) as T;
    });
  }

  iscan<T = any>(obj: T, op: Op = SUM): Request<T> {
    const o = asOp(op, 'scan');
    o.check(obj);
    const own = privateCopy(obj);
    return this.#request(`scan(op=${o.name})`, async (ctx) => {
      const r = await (this.#algo ?? { scanBoth }).scanBoth(ctx, own, this.#reduceOp(o));
      return r.inclusive as T;
    });
  }

  iexscan<T = any>(obj: T, op: Op = SUM): Request<T | null> {
    const o = asOp(op, 'exscan');
    o.check(obj);
    const own = privateCopy(obj);
    return this.#request(`exscan(op=${o.name})`, async (ctx) => {
      const r = await (this.#algo ?? { scanBoth }).scanBoth(ctx, own, this.#reduceOp(o));
      return this.rank === 0 ? null : (r.exclusive as T);
    });
  }

  async barrier(): Promise<void> {
    return this.ibarrier().wait();
  }
  async bcast<T = any>(obj: T, root = 0): Promise<T> {
    return this.ibcast(obj, root).wait();
  }
  async scatter<T = any>(objs: readonly T[] | null | undefined, root = 0): Promise<T> {
    return this.iscatter(objs, root).wait();
  }
  async gather<T = any>(obj: T, root = 0): Promise<T[] | null> {
    return this.igather(obj, root).wait();
  }
  async allgather<T = any>(obj: T): Promise<T[]> {
    return this.iallgather(obj).wait();
  }
  async alltoall<T = any>(objs: readonly T[]): Promise<T[]> {
    return this.ialltoall(objs).wait();
  }
  async reduce<T = any>(obj: T, op: Op = SUM, root = 0): Promise<T | null> {
    return this.ireduce(obj, op, root).wait();
  }
  async allreduce<T = any>(obj: T, op: Op = SUM): Promise<T> {
    return this.iallreduce(obj, op).wait();
  }
  async scan<T = any>(obj: T, op: Op = SUM): Promise<T> {
    return this.iscan(obj, op).wait();
  }
  async exscan<T = any>(obj: T, op: Op = SUM): Promise<T | null> {
    return this.iexscan(obj, op).wait();
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
    return this.#request(`Bcast(root=${root})`, async (ctx) => {
      const got = await (this.#algo ?? { bcast }).bcast(ctx, bytes, root);
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
    return this.Ibcast(buf, root).wait();
  }
  async Reduce(sendbuf: TypedArray, recvbuf: TypedArray | null, op: Op = SUM, root = 0): Promise<void> {
    return this.Ireduce(sendbuf, recvbuf, op, root).wait();
  }
  async Allreduce(sendbuf: TypedArray, recvbuf: TypedArray, op: Op = SUM): Promise<void> {
    return this.Iallreduce(sendbuf, recvbuf, op).wait();
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
      throw new MPIError(ERR_ARG, `split: expected \`color\` to be >= 0 or UNDEFINED, got ${show(color)}`);
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
