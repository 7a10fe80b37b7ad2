import { seededRandom } from '../sdk/base/seeded-random.js';
import { decode, encode } from '../sdk/codec/codec.js';
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
} from '../sdk/collectives/algorithms.js';
import type { CollectiveContext, ReduceOp } from '../sdk/collectives/collective-context.js';
import { logNormalParams, type TransportProfile } from '../sdk/collectives/transport-profile.js';

/**
 * A discrete-event simulation of one collective call: the real algorithm code runs on every rank
 * against a simulated transport in virtual time, so hop counts and message patterns are exactly
 * the code's. The transport model follows SqsTransport: sends batched per destination without
 * delaying a lone message (Nagle, at most 4 batches in flight), each call delayed by a log-normal
 * draw (after the client CPU for sends, after the long poll returns for receives), long polls returning at the first
 * message with up to 10, pollers multiplying while receives come back full, deletes batched
 * after delivery, payloads over the message limit put in / got from object storage, and client
 * CPU per call — per rank, or a few CPUs shared by every rank (ranks on threads of one process).
 *
 * Used by the benchmarks (predictions next to measurements, and worlds of 1,000 and 10,000 ranks
 * that threads cannot hold) and by tests; the runtime selects with the closed-form model instead,
 * so this file lives outside `sdk/` and is compiled to `dist/sim/`, which the package does not ship.
 */
export interface SimulationOptions {
  profile: TransportProfile;
  size: number;
  collective: CollectiveName;
  algorithm: AlgorithmSpec;
  /** Per-rank payload in bytes (bcast: the whole payload). Default 8. */
  payloadBytes?: number;
  root?: number;
  /** Independent runs averaged. Default 8. */
  trials?: number;
  seed?: number;
  /** Simulate a non-commutative op (reductions then combine at rank 0 and forward). Default true. */
  commute?: boolean;
}

export interface SimulationResult {
  /** Mean, median and 90th percentile of the completion time (last rank done), ms. */
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  /** Longest causal chain of messages. */
  hops: number;
  /** Messages per call. */
  messages: number;
  /** API requests per call (mean), by kind. */
  requests: { send: number; receive: number; delete: number; offload: number; total: number };
  /** Billed SQS requests (64 KiB chunks) + object-store calls, USD per call (mean). */
  usd: number;
  trials: number;
}

interface Msg {
  src: number;
  dst: number;
  bytes: Uint8Array;
  hop: number;
  resolve?: () => void;
}

interface Sender {
  inFlight: number;
  pending: Msg[];
}

class Heap {
  #t: number[] = [];
  #s: number[] = [];
  #f: (() => void)[] = [];
  #seq = 0;
  get size(): number {
    return this.#t.length;
  }
  peekTime(): number {
    return this.#t[0]!;
  }
  push(t: number, f: () => void): void {
    const t_ = this.#t;
    const s_ = this.#s;
    const f_ = this.#f;
    let i = t_.length;
    t_.push(t);
    s_.push(this.#seq++);
    f_.push(f);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (t_[p]! < t_[i]! || (t_[p] === t_[i] && s_[p]! < s_[i]!)) break;
      this.#swap(i, p);
      i = p;
    }
  }
  pop(): () => void {
    const f = this.#f[0]!;
    const last = this.#t.length - 1;
    this.#swap(0, last);
    this.#t.pop();
    this.#s.pop();
    this.#f.pop();
    let i = 0;
    const n = this.#t.length;
    const t_ = this.#t;
    const s_ = this.#s;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && (t_[l]! < t_[m]! || (t_[l] === t_[m] && s_[l]! < s_[m]!))) m = l;
      if (r < n && (t_[r]! < t_[m]! || (t_[r] === t_[m] && s_[r]! < s_[m]!))) m = r;
      if (m === i) break;
      this.#swap(i, m);
      i = m;
    }
    return f;
  }
  #swap(a: number, b: number): void {
    const t = this.#t;
    const s = this.#s;
    const f = this.#f;
    [t[a], t[b]] = [t[b]!, t[a]!];
    [s[a], s[b]] = [s[b]!, s[a]!];
    [f[a], f[b]] = [f[b]!, f[a]!];
  }
}

function logNormal(q: { p50Ms: number; p99Ms: number }, random: () => number): () => number {
  const { mu, sigma } = logNormalParams(q);
  return () => {
    const u1 = 1 - random();
    const u2 = random();
    return Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
  };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** One simulated world running one collective call; `run()` resolves with its time and counts. */
class World {
  readonly now = { t: 0 };
  readonly #heap = new Heap();
  readonly #p: TransportProfile;
  readonly #n: number;
  readonly #draw: () => number;
  readonly #drawOffload: () => number;
  readonly #cpuFree: Float64Array;
  // Per rank.
  readonly #queue: Msg[][];
  readonly #waiting: number[];
  readonly #pollers: Int32Array;
  readonly #senders: Map<number, Sender>[];
  readonly #delPending: Int32Array;
  readonly #delInFlight: Int32Array;
  readonly #inbox: Map<number, Msg[]>[];
  readonly #waiters: Map<number, ((b: Uint8Array) => void)[]>[];
  readonly depth: Int32Array;
  readonly counts = {
    send: 0,
    receive: 0,
    delete: 0,
    offload: 0,
    billed: 0,
    s3Put: 0,
    s3Get: 0,
    messages: 0,
  };

  constructor(profile: TransportProfile, n: number, random: () => number) {
    this.#p = profile;
    this.#n = n;
    this.#draw = logNormal(profile.callLatency, random);
    this.#drawOffload = logNormal(profile.offload.latency, random);
    this.#cpuFree = new Float64Array(profile.sharedCpus > 0 ? profile.sharedCpus : n);
    this.#queue = Array.from({ length: n }, () => []);
    this.#waiting = new Array(n).fill(1);
    this.#pollers = new Int32Array(n).fill(1);
    this.#senders = Array.from({ length: n }, () => new Map());
    this.#delPending = new Int32Array(n);
    this.#delInFlight = new Int32Array(n);
    this.#inbox = Array.from({ length: n }, () => new Map());
    this.#waiters = Array.from({ length: n }, () => new Map());
    this.depth = new Int32Array(n);
  }

  at(t: number, f: () => void): void {
    this.#heap.push(t, f);
  }

  /** Runs events until none is left, letting the algorithms' promise chains settle between them. */
  async drain(): Promise<void> {
    await tick();
    while (this.#heap.size > 0) {
      const t = this.#heap.peekTime();
      this.now.t = t;
      while (this.#heap.size > 0 && this.#heap.peekTime() === t) this.#heap.pop()();
      await tick();
    }
  }

  /** CPU time `ms` on `rank`'s CPU from `t`; returns when it is done. */
  #cpu(rank: number, t: number, ms: number): number {
    let i = rank;
    if (this.#p.sharedCpus > 0) {
      // The CPU that frees up first takes the work.
      i = 0;
      for (let c = 1; c < this.#cpuFree.length; c++) if (this.#cpuFree[c]! < this.#cpuFree[i]!) i = c;
    }
    const start = Math.max(t, this.#cpuFree[i]!);
    this.#cpuFree[i] = start + ms;
    return start + ms;
  }

  #xferMs(bytes: number): number {
    return (bytes / 1_048_576 / this.#p.mibPerSecond) * 1000;
  }

  #cpuFor(bytes: number): number {
    return this.#p.cpuMsPerCall + (bytes / 1_048_576) * this.#p.cpuMsPerMiB;
  }

  // -------------------------------------------------------------- sending

  send(src: number, dst: number, bytes: Uint8Array): Promise<void> {
    this.counts.messages++;
    return new Promise<void>((resolve) => {
      const msg: Msg = { src, dst, bytes, hop: this.depth[src]! + 1, resolve };
      if (bytes.length > this.#p.maxMessageBytes) {
        // Claim check: the payload goes to object storage first, a pointer through the queue.
        this.counts.s3Put++;
        const done = this.#cpu(src, this.now.t, this.#cpuFor(bytes.length)) + this.#drawOffload();
        this.at(done + this.#xferMs(bytes.length), () => this.#enqueue(msg));
      } else this.#enqueue(msg);
    });
  }

  #enqueue(msg: Msg): void {
    let s = this.#senders[msg.src]!.get(msg.dst);
    if (s === undefined) {
      s = { inFlight: 0, pending: [] };
      this.#senders[msg.src]!.set(msg.dst, s);
    }
    s.pending.push(msg);
    this.#pumpSender(msg.src, msg.dst, s);
  }

  #inlineBytes(m: Msg): number {
    return m.bytes.length > this.#p.maxMessageBytes ? 200 : m.bytes.length + 100;
  }

  #pumpSender(src: number, dst: number, s: Sender): void {
    const p = this.#p;
    while (
      s.pending.length > 0 &&
      (s.inFlight === 0 || (s.inFlight < 4 && s.pending.length >= p.messagesPerSend))
    ) {
      const batch: Msg[] = [];
      let bytes = 0;
      while (s.pending.length > 0 && batch.length < p.messagesPerSend) {
        const b = this.#inlineBytes(s.pending[0]!);
        if (batch.length > 0 && bytes + b > p.maxMessageBytes) break;
        batch.push(s.pending.shift()!);
        bytes += b;
      }
      s.inFlight++;
      this.counts.send++;
      this.counts.billed += Math.max(1, Math.ceil(bytes / p.billingChunkBytes));
      // The client's work first (signing, serializing), then the trip to the queue.
      const sent = this.#cpu(src, this.now.t, this.#cpuFor(bytes));
      const landed = sent + this.#draw() + p.serviceMs + this.#xferMs(bytes);
      this.at(landed, () => {
        this.#land(dst, batch);
        for (const m of batch) m.resolve?.();
        s.inFlight--;
        this.#pumpSender(src, dst, s);
      });
    }
  }

  // -------------------------------------------------------------- receiving

  #land(dst: number, msgs: Msg[]): void {
    const q = this.#queue[dst]!;
    q.push(...msgs);
    // Every waiting long poll wakes; they take what is there in turn.
    let waiting = this.#waiting[dst]!;
    this.#waiting[dst] = 0;
    while (waiting-- > 0) this.#answerPoll(dst);
  }

  #answerPoll(rank: number): void {
    const q = this.#queue[rank]!;
    const got = q.splice(0, this.#p.messagesPerReceive);
    let bytes = 0;
    for (const m of got) bytes += this.#inlineBytes(m);
    this.counts.billed += Math.max(0, Math.ceil(bytes / this.#p.billingChunkBytes) - 1);
    const at = this.now.t + this.#xferMs(bytes) + this.#draw();
    this.at(at, () => this.#delivered(rank, got));
  }

  #poll(rank: number): void {
    this.counts.receive++;
    this.counts.billed++;
    const ready = this.#cpu(rank, this.now.t, this.#p.cpuMsPerCall) + this.#p.serviceMs;
    this.at(ready, () => {
      if (this.#queue[rank]!.length > 0) this.#answerPoll(rank);
      else this.#waiting[rank]!++;
    });
  }

  #delivered(rank: number, got: Msg[]): void {
    for (const m of got) {
      if (m.bytes.length > this.#p.maxMessageBytes) {
        this.counts.s3Get++;
        const t = this.#cpu(rank, this.now.t, this.#cpuFor(m.bytes.length)) + this.#drawOffload();
        this.at(t + this.#xferMs(m.bytes.length), () => this.#match(m));
      } else this.#match(m);
    }
    if (got.length > 0) {
      this.#delPending[rank]! += got.length;
      this.#pumpDeletes(rank);
    }
    // The poll loop: multiply while full, retire extra pollers while short.
    if (got.length >= this.#p.messagesPerReceive) {
      if (this.#pollers[rank]! < this.#p.maxPollers) {
        this.#pollers[rank]!++;
        this.#poll(rank);
      }
      this.#poll(rank);
    } else if (this.#pollers[rank]! > 1) this.#pollers[rank]!--;
    else this.#poll(rank);
  }

  #pumpDeletes(rank: number): void {
    const per = this.#p.messagesPerSend;
    while (
      this.#delPending[rank]! > 0 &&
      (this.#delInFlight[rank] === 0 || (this.#delInFlight[rank]! < 4 && this.#delPending[rank]! >= per))
    ) {
      const n = Math.min(per, this.#delPending[rank]!);
      this.#delPending[rank]! -= n;
      this.#delInFlight[rank]!++;
      this.counts.delete++;
      this.counts.billed++;
      const done = this.#cpu(rank, this.now.t, this.#p.cpuMsPerCall) + this.#draw() + this.#p.serviceMs;
      this.at(done, () => {
        this.#delInFlight[rank]!--;
        this.#pumpDeletes(rank);
      });
    }
  }

  /**
   * A rank's depth grows when its algorithm consumes a message, not when the message arrives: a
   * send the code makes before it takes a message does not depend on it.
   */
  #consumed(rank: number, hop: number): void {
    if (hop > this.depth[rank]!) this.depth[rank] = hop;
  }

  #match(m: Msg): void {
    const r = m.dst;
    const w = this.#waiters[r]!.get(m.src);
    if (w !== undefined && w.length > 0) {
      this.#consumed(r, m.hop);
      w.shift()!(m.bytes);
      return;
    }
    let box = this.#inbox[r]!.get(m.src);
    if (box === undefined) {
      box = [] as Msg[];
      this.#inbox[r]!.set(m.src, box);
    }
    box.push(m);
  }

  recv(rank: number, src: number): Promise<Uint8Array> {
    const box = this.#inbox[rank]!.get(src);
    if (box !== undefined && box.length > 0) {
      const m = box.shift()!;
      // After the code's current synchronous step: sends it makes in that step came first.
      queueMicrotask(() => this.#consumed(rank, m.hop));
      return Promise.resolve(m.bytes);
    }
    return new Promise((resolve) => {
      let w = this.#waiters[rank]!.get(src);
      if (w === undefined) {
        w = [];
        this.#waiters[rank]!.set(src, w);
      }
      w.push(resolve);
    });
  }

  context(rank: number): CollectiveContext {
    return {
      rank,
      size: this.#n,
      radix: 2,
      send: (dst, payload) => this.send(rank, dst, payload),
      recv: (src) => this.recv(rank, src),
      encode,
      decode,
    };
  }
}

function operand(bytes: number): unknown {
  return bytes <= 16 ? 1 : new Float64Array(Math.max(1, Math.ceil(bytes / 8)));
}

function sumOp(commute: boolean): ReduceOp {
  return {
    commute,
    elementwise: true,
    combine: (a, b) => {
      if (typeof a === 'number' && typeof b === 'number') return a + b;
      const x = a as Float64Array;
      const y = b as Float64Array;
      for (let i = 0; i < y.length; i++) y[i] = x[i]! + y[i]!;
      return y;
    },
  };
}

function start(ctx: CollectiveContext, o: Required<SimulationOptions>): Promise<unknown> {
  const n = o.size;
  const payload = () => new Uint8Array(o.payloadBytes);
  const op = sumOp(o.commute);
  switch (o.collective) {
    case 'bcast':
      return runBcast(ctx, o.algorithm, ctx.rank === o.root ? payload() : null, o.root);
    case 'reduce':
      return runReduce(ctx, o.algorithm, operand(o.payloadBytes), op, o.root);
    case 'allreduce':
      return runAllreduce(ctx, o.algorithm, operand(o.payloadBytes), op);
    case 'gather':
      return runGather(ctx, o.algorithm, payload(), o.root);
    case 'scatter':
      return runScatter(
        ctx,
        o.algorithm,
        ctx.rank === o.root ? Array.from({ length: n }, payload) : null,
        o.root,
      );
    case 'allgather':
      return runAllgather(ctx, o.algorithm, payload());
    case 'alltoall':
      return runAlltoall(ctx, o.algorithm, Array.from({ length: n }, payload));
    case 'barrier':
      return runBarrier(ctx, o.algorithm);
    case 'scan':
    case 'exscan':
      return runScan(ctx, o.algorithm, operand(o.payloadBytes), op);
  }
}

/**
 * Simulates `trials` independent calls and averages them.
 *
 * @example
 * const r = await simulate({ profile: SQS_PROFILE, size: 64, collective: 'bcast', algorithm: { name: 'knomial', radix: 8 } });
 * r.hops; // 2
 */
export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
  const o: Required<SimulationOptions> = {
    payloadBytes: 8,
    root: 0,
    trials: 8,
    seed: 1,
    commute: true,
    ...options,
  };
  const random = seededRandom(o.seed * 7919 + o.size);
  const times: number[] = [];
  const sum = { send: 0, receive: 0, delete: 0, offload: 0, billed: 0, s3Put: 0, s3Get: 0, messages: 0 };
  let hops = 0;
  for (let trial = 0; trial < o.trials; trial++) {
    const w = new World(o.profile, o.size, random);
    const done = new Float64Array(o.size).fill(-1);
    let failure: unknown;
    for (let r = 0; r < o.size; r++) {
      start(w.context(r), o).then(
        () => {
          done[r] = w.now.t;
        },
        (err: unknown) => {
          failure ??= err;
        },
      );
    }
    await w.drain();
    if (failure !== undefined) throw failure;
    const stuck = done.findIndex((d) => d < 0);
    if (stuck >= 0) throw new Error(`simulate: rank ${stuck} never finished ${o.collective}`);
    times.push(Math.max(...done));
    hops = Math.max(hops, ...w.depth);
    for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += w.counts[k];
  }
  const t = o.trials;
  times.sort((a, b) => a - b);
  const p = o.profile;
  const usd =
    (sum.billed * p.usdPerRequest + sum.s3Put * p.offload.usdPerPut + sum.s3Get * p.offload.usdPerGet) / t;
  return {
    meanMs: times.reduce((a, b) => a + b, 0) / t,
    p50Ms: times[Math.floor(t / 2)]!,
    p90Ms: times[Math.min(t - 1, Math.floor(t * 0.9))]!,
    hops,
    messages: sum.messages / t,
    requests: {
      send: sum.send / t,
      receive: sum.receive / t,
      delete: sum.delete / t,
      offload: (sum.s3Put + sum.s3Get) / t,
      total: (sum.send + sum.receive + sum.delete + sum.s3Put + sum.s3Get) / t,
    },
    usd,
    trials: t,
  };
}
