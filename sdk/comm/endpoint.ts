import { availableParallelism } from 'node:os';
import { ERR_ABORTED, ERR_COMM, ERR_OTHER, MPIError, TsmpiError } from '../base/errors.js';
import { ENV } from '../base/stack-contract.js';
import { recorderOf } from '../base/trace-recorder.js';
import { Channel, type Envelope, type PlacedBody } from '../channel/channel.js';
import { viewOf } from '../codec/codec.js';
import { typedArrayName } from '../codec/typed-array.js';
import { AdaptiveSpin } from '../transport/memory/adaptive-spin.js';
import { SENT, type Transport } from '../transport/transport.js';
import type { TypedArray } from './check.js';
import { describeCommContext, seqOfTag } from './collective-tag.js';
import { ANY_SOURCE, ANY_TAG } from './constants.js';
import { type Matcher, MatchingEngine, type PostedRecv } from './matching-engine.js';
import { type NodeLayout, nodeLayoutOf } from './node-layout.js';
import { notePollWithoutAwait } from './shared-thread.js';

/**
 * How long a receive busy-polls before it parks: only for a transport that can be polled
 * synchronously (shared memory) and only when the job has no more ranks than the machine has
 * cores. `TSMPI_RECV_SPIN_US` overrides (0 turns it off).
 */
function receiveSpinMs(transport: Transport): number {
  const raw = process.env[ENV.recvSpinUs];
  const env = Number(raw);
  if (raw !== undefined && Number.isFinite(env) && env >= 0) return env / 1000;
  if (transport.poll === undefined || transport.kind !== 'memory') return 0;
  return transport.size <= availableParallelism() ? 0.05 : 0;
}

/** What a rank is blocked in, for the timeout report. */
export interface PendingCall {
  call: string;
  since: number;
  /** For a collective call: its communicator (as messages name it), number and name. */
  collective?: { comm: string; seq: number; name: string };
}

/**
 * A tracked call's place in its endpoint's list of pending calls (see `Endpoint.trackEntry`): hand
 * it to `trackEnd`. A list linked through these, not a Set: a Set hashes a fresh object per call,
 * ~80 ns more per add and delete than this list (Node 20), 5-8% of a 64-rank bcast's self time.
 */
export class PendingHandle {
  readonly entry: PendingCall;
  prev: PendingHandle | undefined = undefined;
  next: PendingHandle | undefined = undefined;
  linked = true;

  constructor(entry: PendingCall) {
    this.entry = entry;
  }
}

/**
 * Told the outcome of a receive as it happens, synchronously: a non-blocking receive's request
 * then completes while `test()` makes progress in a loop that never yields (`while (!req.test()[0])
 * work()`), which a promise reaction, run only once the loop has ended, could not do.
 */
export interface ReceiveListener {
  done(msg: Envelope): void;
  failed(err: MPIError): void;
}

/**
 * A receive or probe waiting here: posted to the matching engine as is (one object per wait, no
 * closures). `blocking`: the rank awaits it, so it cannot send to itself meanwhile.
 */
class Waiting implements PostedRecv {
  readonly ctx: string;
  readonly src: number;
  readonly tag: number;
  readonly allowed: ((worldSrc: number) => boolean) | undefined;
  readonly call: string | undefined;
  readonly into: TypedArray | undefined;
  readonly blocking: boolean;
  /** When the busy-poll that missed this message began (see AdaptiveSpin.late); 0 if none did. */
  readonly spunFrom: number;
  readonly #served: (w: Waiting) => void;
  /** Told synchronously, before the promise settles (see `Endpoint.receive`). */
  listener: ReceiveListener | undefined = undefined;
  /** Settles with the payload alone, and its rejection is handled (see `Endpoint.receivePayload`). */
  readonly #payloadOnly: boolean;
  #resolve: ((msg: Envelope | Uint8Array) => void) | undefined;
  #reject: ((err: MPIError) => void) | undefined;
  readonly promise: Promise<Envelope | Uint8Array>;

  constructor(
    m: Matcher,
    blocking: boolean,
    spunFrom: number,
    served: (w: Waiting) => void,
    payloadOnly: boolean,
  ) {
    this.ctx = m.ctx;
    this.src = m.src;
    this.tag = m.tag;
    this.allowed = m.allowed;
    this.call = m.call;
    this.into = m.into;
    this.blocking = blocking;
    this.spunFrom = spunFrom;
    this.#served = served;
    this.#payloadOnly = payloadOnly;
    this.promise = new Promise<Envelope | Uint8Array>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** The matching engine found its message. */
  resolve(msg: Envelope): void {
    this.#served(this);
    this.listener?.done(msg);
    this.#resolve!(this.#payloadOnly ? msg.payload : msg);
  }

  fail(err: MPIError): void {
    // Marked handled when it fails, not per receive: most receives never fail.
    if (this.#payloadOnly) handled(this.promise);
    this.listener?.failed(err);
    this.#reject!(err);
  }
}

const ignore = (): void => undefined;
/** Most steps of `#whilePeerReads` (each up to the spin's cap). */
const MAX_READING_STEPS = 64;

/**
 * A receive whose message is arriving straight into its buffer (see `Endpoint.#place`): bound to
 * that message, out of the matching engine's reach. `waiting` is the posted receive, or undefined
 * while the blocking receive that it belongs to still busy-polls (then `arrived` takes the message).
 */
class Reservation implements PlacedBody {
  readonly bytes: Uint8Array;
  readonly payloadOffset: number;
  waiting: Waiting | undefined;
  arrived: Envelope | undefined;

  constructor(bytes: Uint8Array, payloadOffset: number) {
    this.bytes = bytes;
    this.payloadOffset = payloadOffset;
  }
}

/**
 * `p`, marked as handled: collective algorithms start several sends and receives and await them
 * in turn, so when one fails (a mismatch or a failed peer dooms them all) the call fails with the
 * first error and the others, never awaited, must not surface as unhandled rejections (which end
 * the process under Node's default, or the Lambda invocation under its runtime's handler).
 */
export function handled<T>(p: Promise<T>): Promise<T> {
  p.catch(ignore);
  return p;
}

/** A rejected promise already marked as handled (see `Endpoint.receivePayload`). */
const handledRejection = <T>(err: unknown): Promise<T> => handled(Promise.reject<T>(err));

/** Looks at a collective frame no receive was waiting for: the mismatch it reveals, if any. */
export type CollectiveCheck = (msg: Envelope) => MPIError | undefined;

export interface EndpointHooks {
  /**
   * This rank called abort(code): the runtime tells the launcher. `stack` is where the job called
   * it, so the launcher's report (`--verbose`) points there rather than into the launcher.
   */
  onLocalAbort?(errorcode: number, stack: string | undefined): void;
}

/**
 * One rank's communication state, shared by all its communicators: the channel (ordered,
 * exactly-once delivery), the matching engine, and the job's fate (aborted / transport failed).
 * Once the job is doomed every posted receive and every later call rejects with the reason, so no
 * rank waits forever on a peer that is gone.
 */
export class Endpoint {
  readonly channel: Channel;
  readonly matcher = new MatchingEngine();
  readonly rank: number;
  readonly size: number;
  /** Oldest and newest of the calls pending here (see `pending`). */
  #pendingFirst: PendingHandle | undefined;
  #pendingLast: PendingHandle | undefined;
  /** Which node each world rank runs on, as the transport declares it. */
  readonly layout: NodeLayout;
  #doomed: MPIError | undefined;
  /** Posted receives and probes. */
  readonly #waiters = new Set<Waiting>();
  /** A waiting receive was served: it waits no more (and a late one tells the spin how late). */
  readonly #served = (w: Waiting): void => {
    this.#waiters.delete(w);
    if (w.spunFrom > 0) {
      // When the message came, not when this thread woke to it (see AdaptiveSpin.late).
      const arrived = this.channel.transport.arrivedAt?.() ?? performance.now();
      this.#spin.late(arrived - w.spunFrom);
    }
  };
  /**
   * Ranks whose job returned, with how many data messages each sent this rank in all. A receive
   * that only such ranks could satisfy, all of whose messages were released here, never completes.
   */
  readonly #finished = new Map<number, number>();
  readonly #collectiveChecks = new Map<string, CollectiveCheck>();
  #mismatch: MPIError | undefined;
  readonly #hooks: EndpointHooks;
  #started = false;
  /** The busy-poll window of a blocking receive, adapted to how often it catches the message. */
  readonly #spin: AdaptiveSpin;
  /** When the last `#spinFor` that missed began (`performance.now()`); 0 if the last one did not. */
  #spunFrom = 0;
  /** The blocking receive busy-polling now, if its message may be placed (see `#place`). */
  #spinTarget: Matcher | undefined;
  /** A message placed for `#spinTarget`: the receive that spins takes it, or waits for it. */
  #spinReserved: Reservation | undefined;
  #closed = false;

  constructor(transport: Transport, hooks: EndpointHooks = {}) {
    this.rank = transport.rank;
    this.size = transport.size;
    this.layout = nodeLayoutOf(transport);
    const capMs = receiveSpinMs(transport);
    this.#spin = new AdaptiveSpin(() => capMs);
    this.#hooks = hooks;
    this.channel = new Channel(transport, {
      place: (ctx, src, tag, head, length) => this.#place(ctx, src, tag, head, length),
      onMessage: (msg) => {
        if (msg.placed !== undefined) this.#placedArrived(msg);
        else if (!this.matcher.deliver(msg)) {
          const check = this.#collectiveChecks.get(msg.ctx);
          if (check !== undefined) {
            const err = check(msg);
            if (err !== undefined) this.failMismatch(err);
          }
        }
        if (this.#finished.size > 0) {
          // A receive can become hopeless only when the last message of a returned rank is in:
          // checking every waiting receive on each of its messages made many posted receives
          // O(waiting × messages) (20,000 posted irecvs took seconds).
          const sent = this.#finished.get(msg.src);
          if (sent !== undefined && this.channel.releasedFrom(msg.src) >= sent) this.#checkDead();
        }
      },
      onPeerFinished: (src, sent) => this.peerFinished(src, sent),
      onAbort: (src, code) =>
        this.#doom(
          new MPIError(ERR_ABORTED, `rank ${src} called abort(${code}); the job is stopping`, {
            errorcode: code,
            abortRank: src,
          }),
        ),
      onError: (err) =>
        this.#doom(
          new MPIError(ERR_COMM, `transport failed on rank ${this.rank}: ${err.message}`, { cause: err }),
        ),
    });
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.channel.start();
  }

  get transport(): Transport {
    return this.channel.transport;
  }

  /** Why the job cannot go on, if it cannot. */
  get doomed(): MPIError | undefined {
    return this.#doomed;
  }

  poll(): void {
    notePollWithoutAwait(this.rank);
    this.channel.poll();
  }

  /**
   * Receives the next matching message. Rejects at once if the job is doomed. With `spin` (a
   * blocking call), first busy-polls for it briefly where that pays (see `#spinFor`). `listener`
   * hears the outcome synchronously, before the promise settles.
   */
  receive(m: Matcher, spin = false, listener?: ReceiveListener): Promise<Envelope> {
    if (this.#doomed) {
      listener?.failed(this.#doomed);
      return Promise.reject(this.#doomed);
    }
    const now = this.#takeNow(m, spin);
    if (now !== undefined) {
      listener?.done(now);
      return Promise.resolve(now);
    }
    return this.#wait(m, spin, false, this.#spunFrom, false, listener) as Promise<Envelope>;
  }

  /**
   * `receive` for collectives: resolves with the payload alone, and a rejection never counts as
   * unhandled (an algorithm starts several receives and awaits them in turn; when one fails the
   * call fails with the first error and the others are never awaited). One promise per receive.
   */
  receivePayload(m: Matcher, spin = false): Promise<Uint8Array> {
    if (this.#doomed) return handledRejection(this.#doomed);
    const now = this.#takeNow(m, spin);
    if (now !== undefined) return Promise.resolve(now.payload);
    return this.#wait(m, spin, false, this.#spunFrom, true) as Promise<Uint8Array>;
  }

  /**
   * The matching message if it is here already, or arrives while a blocking call (`spin`)
   * busy-polls for it (see `#spinFor`). When it returns undefined, `#spunFrom` says when a spin
   * that missed began (0 if none did), so the window learns how late the message came.
   */
  #takeNow(m: Matcher, spin: boolean): Envelope | undefined {
    this.channel.poll();
    this.#spunFrom = 0;
    const now = this.matcher.take(m) ?? (spin ? this.#spinFor(m) : undefined);
    // Only set while the rank records: when a receive took a message that had waited.
    if (now?.seq !== undefined) recorderOf(this)?.frameTaken(now.src, now.seq);
    return now;
  }

  /**
   * Where a large message starting to arrive goes (see `ChannelHandlers.place`): into the buffer
   * of the receive it will match, when that is a `Recv`/`Irecv` whose buffer is of the message's
   * TypedArray kind and holds it all, so it is copied once (from shared memory to that buffer)
   * instead of twice. The receive it matches is the oldest posted one that matches, as in
   * `MatchingEngine.deliver` (it is withdrawn and bound to the message); or, with none posted,
   * the blocking receive busy-polling now if it names its source (then every message it could
   * match sooner, earlier ones from that source, has been delivered and missed it). Anything
   * else (a probe would see it, a decode, a type or size error to report) goes the usual way.
   */
  #place(ctx: string, src: number, tag: number, head: Uint8Array, length: number): PlacedBody | undefined {
    if (this.#doomed !== undefined) return undefined;
    const posted = this.matcher.firstPosted(ctx, src, tag);
    if (posted === null) return undefined;
    // The receive it goes to: the oldest posted one that matches, else the blocking one polling.
    const t = posted ?? (this.#spinReserved === undefined ? this.#spinTarget : undefined);
    if (t === undefined || t.into === undefined) return undefined;
    if (
      posted === undefined &&
      (t.ctx !== ctx || t.src !== src || !(t.tag === ANY_TAG ? tag >= 0 : t.tag === tag))
    )
      return undefined;
    const into = t.into;
    const v = viewOf(head, length);
    if (v === undefined || v.name !== typedArrayName(into) || v.byteLength > into.byteLength)
      return undefined;
    const r = new Reservation(new Uint8Array(into.buffer, into.byteOffset, v.byteLength), v.offset);
    if (posted === undefined) this.#spinReserved = r;
    else if (posted instanceof Waiting) {
      this.matcher.cancel(posted);
      r.waiting = posted;
    } else return undefined; // this endpoint posts only Waitings
    return r;
  }

  /** A placed message is all in: it goes to the receive it was bound to. */
  #placedArrived(msg: Envelope): void {
    const r = msg.placed as Reservation;
    if (r.waiting !== undefined) r.waiting.resolve(msg);
    else r.arrived = msg;
  }

  /** Posts a receive (or a probe) for `m` until it is served or fails. */
  #wait(
    m: Matcher,
    blocking: boolean,
    probe: boolean,
    spunFrom: number,
    payloadOnly: boolean,
    listener?: ReceiveListener,
  ): Promise<Envelope | Uint8Array> {
    // A message placed for this receive while it busy-polled (see `#place`) is arriving.
    const reserved = this.#spinReserved;
    this.#spinReserved = undefined;
    // The job may have been doomed while this call polled (a frame of another collective, an abort).
    if (this.#doomed) {
      listener?.failed(this.#doomed);
      return payloadOnly ? handledRejection(this.#doomed) : Promise.reject(this.#doomed);
    }
    const w = new Waiting(m, blocking, spunFrom, this.#served, payloadOnly);
    w.listener = listener;
    // Bound to its message, not posted: nothing else may match it.
    if (reserved !== undefined) reserved.waiting = w;
    else if (probe) this.matcher.postProbe(w);
    else this.matcher.post(w);
    this.#waiters.add(w);
    if (this.#finished.size > 0) {
      const err = this.#deadError(w);
      if (err !== undefined) this.#fail(w, err);
    }
    return w.promise;
  }

  /** Withdraws `w` and rejects it with `err`. */
  #fail(w: Waiting, err: MPIError): void {
    this.#waiters.delete(w);
    this.matcher.cancel(w);
    w.fail(err);
  }

  /**
   * Busy-polls the transport for a matching message for up to the adaptive window, as MPI progress engines
   * do: a reply that arrives within microseconds is taken here, synchronously, instead of after a
   * thread wake-up and a round of the event loop (tens of microseconds). Only where every rank has
   * a core of its own (see the constructor), so spinning never steals the CPU a peer needs.
   */
  #spinFor(m: Matcher): Envelope | undefined {
    this.#spunFrom = 0;
    const window = this.#spin.window();
    if (window === 0) return undefined;
    const from = performance.now();
    this.#spinTarget = m.into !== undefined && m.src !== ANY_SOURCE ? m : undefined;
    let msg = this.#pollUntil(m, from + window);
    if (msg === undefined) msg = this.#whilePeerReads(m);
    this.#spinTarget = undefined;
    if (msg !== undefined) {
      this.#spin.adapt(true);
      return msg;
    }
    // Missed: a peer that answers late (it shares our core) gets a shorter wait next time.
    this.#spin.adapt(false);
    this.#spunFrom = from;
    return undefined;
  }

  /**
   * After the window missed: while the rank this one last sent to is still reading what it sent
   * (a large message, see `Transport.readingSent`), its answer cannot have come yet, and parking
   * now would add a wake-up to it. So poll on in steps of the full cap while that reading moves
   * (it stops when the reader is not running: a core shared with us), and one step more once it
   * has read everything.
   */
  #whilePeerReads(m: Matcher): Envelope | undefined {
    const t = this.channel.transport;
    let at = t.readingSent?.();
    if (at === undefined) return undefined;
    const step = this.#spin.cap();
    for (let i = 0; i < MAX_READING_STEPS && this.#doomed === undefined; i++) {
      const msg = this.#pollUntil(m, performance.now() + step);
      if (msg !== undefined) return msg;
      const next = t.readingSent!();
      if (next === undefined) return this.#pollUntil(m, performance.now() + step);
      if (next === at) return undefined;
      at = next;
    }
    return undefined;
  }

  /**
   * The spin's loop, apart from its bookkeeping: V8 compiles a hot loop on the stack (OSR) before
   * the code after it has run, and code without type feedback deoptimizes when it first runs, so
   * the less a loop holds the fewer recompiles a rank pays for while it warms up.
   */
  #pollUntil(m: Matcher, until: number): Envelope | undefined {
    const channel = this.channel;
    const matcher = this.matcher;
    do {
      for (let i = 0; i < 32; i++) {
        if (channel.poll()) {
          // A message placed for this receive is its message (see `#place`): wait for that one.
          const r = this.#spinReserved;
          const msg = r === undefined ? matcher.take(m) : r.arrived;
          if (msg !== undefined) {
            this.#spinReserved = undefined;
            return msg;
          }
        }
      }
    } while (performance.now() < until && this.#doomed === undefined);
    return undefined;
  }

  /** Waits for a matching message without taking it. */
  probe(m: Matcher): Promise<Envelope> {
    if (this.#doomed) return Promise.reject(this.#doomed);
    this.channel.poll();
    const now = this.matcher.peek(m);
    if (now !== undefined) return Promise.resolve(now);
    return this.#wait(m, true, true, 0, false) as Promise<Envelope>;
  }

  /**
   * World rank `src` returned from its job, having sent this rank `sentHere` data messages in all.
   * Receives only finished ranks could satisfy fail once all their messages are released here.
   */
  peerFinished(src: number, sentHere: number): void {
    if (src === this.rank || this.#finished.has(src)) return;
    this.#finished.set(src, sentHere);
    this.#checkDead();
  }

  /** Registers the mismatch check of the collective frames of context `ctx`. */
  checkCollectives(ctx: string, check: CollectiveCheck): void {
    this.#collectiveChecks.set(ctx, check);
  }

  /** A collective mismatch found here: fails every pending and later call of this rank with `err`. */
  failMismatch(err: MPIError): void {
    this.#mismatch ??= err;
    this.#doom(err);
  }

  /** The collective mismatch found here, if any, after taking in every frame that has arrived. */
  mismatchSoFar(): MPIError | undefined {
    this.channel.poll();
    return this.#mismatch;
  }

  #checkDead(): void {
    for (const w of [...this.#waiters]) {
      const err = this.#deadError(w);
      if (err !== undefined) this.#fail(w, err);
    }
  }

  /** Why `w` can never be served, if only finished ranks could serve it and all their messages are in. */
  #deadError(w: Waiting): MPIError | undefined {
    const m = w;
    const drained = (r: number) => {
      const sent = this.#finished.get(r);
      return sent !== undefined && this.channel.releasedFrom(r) >= sent;
    };
    let sources: number[];
    if (m.src !== ANY_SOURCE) {
      if (!drained(m.src)) return undefined;
      sources = [m.src];
    } else {
      // A rank that is not blocked in this receive might still send to itself.
      if (!w.blocking) return undefined;
      sources = [];
      for (let r = 0; r < this.size; r++) {
        if (r === this.rank || (m.allowed !== undefined && !m.allowed(r))) continue;
        if (!drained(r)) return undefined;
        sources.push(r);
      }
      if (sources.length === 0) return undefined;
    }
    const me = this.rank;
    const call = m.call ?? 'a receive';
    const where = m.ctx.endsWith('*')
      ? ` (collective #${seqOfTag(m.tag) + 1} on ${describeCommContext(m.ctx)})`
      : m.ctx === 'w'
        ? ''
        : ` on ${describeCommContext(m.ctx)}`;
    const count = (n: number) =>
      n === 0 ? 'no messages' : `${n} message${n === 1 ? '' : 's'}, all received`;
    let what: string;
    if (sources.length === 1 && m.ctx.endsWith('*')) {
      // A collective: the returned rank did not do its part (all it sent is in, and this call's
      // part is not), which is the job's mistake to name, not the messages inside the algorithm.
      const s = sources[0]!;
      what =
        `rank ${me} waits in ${call}${where} for rank ${s}'s part of it, but rank ${s} has returned before ` +
        `doing it (it sent rank ${me} ${count(this.#finished.get(s)!)}): the job would hang. Every rank of a ` +
        `communicator must call the same collectives in the same order: check that rank ${s} makes this call ` +
        'too, with the same root, and, if it is non-blocking, waits for its request before returning.';
    } else if (sources.length === 1) {
      const s = sources[0]!;
      what =
        `rank ${me} waits in ${call}${where} for a message from rank ${s}, but rank ${s} has returned ` +
        `(it sent rank ${me} ${count(this.#finished.get(s)!)}): the job would hang. ` +
        `Check that rank ${s} sends every message rank ${me} receives (same source, tag and communicator) ` +
        'and that both call the same collectives in the same order.';
    } else {
      const total = sources.reduce((n, r) => n + this.#finished.get(r)!, 0);
      what =
        `rank ${me} waits in ${call}${where}, but every rank that could send it a message has returned ` +
        `(ranks ${sources.join(', ')}; they sent rank ${me} ${count(total)}): the job would hang. ` +
        `Check that some rank sends what rank ${me} receives before returning.`;
    }
    return new MPIError(ERR_OTHER, what);
  }

  send(dst: number, ctx: string, tag: number, payload: Uint8Array): Promise<void> {
    if (this.#doomed) return Promise.reject(this.#doomed);
    return this.#sent(this.channel.send(dst, ctx, tag, payload), dst, ctx, tag);
  }

  /** `send` of a message given as pieces (see `Channel.sendParts`). */
  sendParts(dst: number, ctx: string, tag: number, parts: readonly Uint8Array[]): Promise<void> {
    if (this.#doomed) return Promise.reject(this.#doomed);
    return this.#sent(this.channel.sendParts(dst, ctx, tag, parts), dst, ctx, tag);
  }

  /**
   * A send's promise, its failure said in the job's terms where the transport's would not be: a
   * destination that returned from its job (its transport closed) is an MPIError naming it. Only
   * a send still in flight can fail (`SENT`, handed off at once, is returned as is).
   */
  #sent(p: Promise<void>, dst: number, ctx: string, tag: number): Promise<void> {
    if (p === SENT) return p;
    return p.catch((err: unknown) => {
      if (!(err instanceof TsmpiError) || err.code !== 'PEER_CLOSED') throw err;
      const what = ctx.endsWith('*')
        ? `collective #${seqOfTag(tag) + 1} on ${describeCommContext(ctx)}`
        : `tag ${tag}${ctx === 'w' ? '' : ` on ${describeCommContext(ctx)}`}`;
      const e = new MPIError(
        ERR_OTHER,
        `rank ${this.rank} sent rank ${dst} a message (${what}) after rank ${dst} returned from its job: ` +
          `nothing will receive it. Check that rank ${dst} receives every message sent to it before it returns ` +
          'and that both call the same collectives in the same order.',
        { cause: err },
      );
      // Made in a callback, its own stack has no frame of the job: the transport's error, made in
      // the job's send call, has them (and names the rank where ranks share a thread).
      const frames = err.stack?.split('\n').slice(1).join('\n');
      if (frames) e.stack = `${e.name}: ${e.message}\n${frames}`;
      throw e;
    });
  }

  /** A received payload nobody will read again (its value was copied out): its memory may be reused. */
  release(payload: Uint8Array): void {
    this.channel.release(payload);
  }

  /** Tracks a blocking call for the timeout report while `p` is pending. */
  track<T>(call: string, p: Promise<T>, collective?: PendingCall['collective']): Promise<T> {
    const entry = this.trackStart(call, collective);
    const done = () => this.trackEnd(entry);
    p.then(done, done);
    return p;
  }

  /** The calls pending here, oldest first (what the timeout report lists). */
  get pending(): PendingCall[] {
    const out: PendingCall[] = [];
    for (let h = this.#pendingFirst; h !== undefined; h = h.next) out.push(h.entry);
    return out;
  }

  /** A call pending from now on, for the timeout report: hand the result to `trackEnd` when it settles. */
  trackStart(call: string, collective?: PendingCall['collective']): PendingHandle {
    return this.trackEntry({ call, since: Date.now(), collective });
  }

  /** `trackStart` with the entry made by the caller (e.g. one that describes itself lazily). */
  trackEntry(entry: PendingCall): PendingHandle {
    const h = new PendingHandle(entry);
    const last = this.#pendingLast;
    h.prev = last;
    if (last === undefined) this.#pendingFirst = h;
    else last.next = h;
    this.#pendingLast = h;
    return h;
  }

  /** The call of `h` is over (a second call for the same `h` does nothing). */
  trackEnd(h: PendingHandle): void {
    if (!h.linked) return;
    h.linked = false;
    const { prev, next } = h;
    if (prev === undefined) this.#pendingFirst = next;
    else prev.next = next;
    if (next === undefined) this.#pendingLast = prev;
    else next.prev = prev;
    h.prev = undefined;
    h.next = undefined;
  }

  /** abort(code) on this rank: tell the launcher and every peer, fail everything pending here. */
  abort(errorcode: number): MPIError {
    const err = new MPIError(ERR_ABORTED, `rank ${this.rank} called abort(${errorcode})`, {
      errorcode,
      abortRank: this.rank,
    });
    if (!this.#doomed) {
      this.#hooks.onLocalAbort?.(errorcode, err.stack);
      void this.channel.broadcastAbort(errorcode);
      this.#doom(err);
    }
    return err;
  }

  #doom(err: MPIError): void {
    if (this.#doomed) return;
    this.#doomed = err;
    const waiters = [...this.#waiters];
    for (const w of waiters) this.#fail(w, err);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.channel.transport.close();
  }
}
