import { availableParallelism } from 'node:os';
import { ERR_ABORTED, ERR_COMM, MPIError } from '../base/errors.js';
import { ENV } from '../base/stack-contract.js';
import { Channel, type Envelope } from '../channel/channel.js';
import { AdaptiveSpin } from '../transport/memory/adaptive-spin.js';
import type { Transport } from '../transport/transport.js';
import { type Matcher, MatchingEngine } from './matching-engine.js';
import { type NodeLayout, nodeLayoutOf } from './node-layout.js';

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
}

export interface EndpointHooks {
  /** This rank called abort(code): the runtime tells the launcher. */
  onLocalAbort?(errorcode: number): void;
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
  readonly pending = new Set<PendingCall>();
  /** Which node each world rank runs on, as the transport declares it. */
  readonly layout: NodeLayout;
  #doomed: MPIError | undefined;
  readonly #waiters = new Set<(err: MPIError) => void>();
  readonly #hooks: EndpointHooks;
  #started = false;
  /** The busy-poll window of a blocking receive, adapted to how often it catches the message. */
  readonly #spin: AdaptiveSpin;
  #closed = false;

  constructor(transport: Transport, hooks: EndpointHooks = {}) {
    this.rank = transport.rank;
    this.size = transport.size;
    this.layout = nodeLayoutOf(transport);
    const capMs = receiveSpinMs(transport);
    this.#spin = new AdaptiveSpin(() => capMs);
    this.#hooks = hooks;
    this.channel = new Channel(transport, {
      onMessage: (msg) => this.matcher.deliver(msg),
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
    this.channel.poll();
  }

  /**
   * Receives the next matching message. Rejects at once if the job is doomed. With `spin` (a
   * blocking call), first busy-polls for it briefly where that pays (see `#spinFor`).
   */
  receive(m: Matcher, spin = false): Promise<Envelope> {
    if (this.#doomed) return Promise.reject(this.#doomed);
    this.channel.poll();
    let now = this.matcher.take(m);
    if (now === undefined && spin) now = this.#spinFor(m);
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<Envelope>((resolve, reject) => {
      const fail = (err: MPIError) => {
        cancel();
        reject(err);
      };
      const cancel = this.matcher.post(m, (msg) => {
        this.#waiters.delete(fail);
        resolve(msg);
      });
      this.#waiters.add(fail);
    });
  }

  /**
   * Busy-polls the transport for a matching message for up to the adaptive window, as MPI progress engines
   * do: a reply that arrives within microseconds is taken here, synchronously, instead of after a
   * thread wake-up and a round of the event loop (tens of microseconds). Only where every rank has
   * a core of its own (see the constructor), so spinning never steals the CPU a peer needs.
   */
  #spinFor(m: Matcher): Envelope | undefined {
    const window = this.#spin.window();
    if (window === 0) return undefined;
    const until = performance.now() + window;
    do {
      for (let i = 0; i < 32; i++) {
        if (this.channel.poll()) {
          const msg = this.matcher.take(m);
          if (msg !== undefined) {
            this.#spin.adapt(true);
            return msg;
          }
        }
      }
    } while (performance.now() < until && !this.#doomed);
    // Missed: a peer that answers late (it shares our core) gets a shorter wait next time.
    this.#spin.adapt(false);
    return undefined;
  }

  /** Waits for a matching message without taking it. */
  probe(m: Matcher): Promise<Envelope> {
    if (this.#doomed) return Promise.reject(this.#doomed);
    this.channel.poll();
    const now = this.matcher.peek(m);
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<Envelope>((resolve, reject) => {
      const fail = (err: MPIError) => {
        cancel();
        reject(err);
      };
      const cancel = this.matcher.postProbe(m, (msg) => {
        this.#waiters.delete(fail);
        resolve(msg);
      });
      this.#waiters.add(fail);
    });
  }

  send(dst: number, ctx: string, tag: number, payload: Uint8Array): Promise<void> {
    if (this.#doomed) return Promise.reject(this.#doomed);
    return this.channel.send(dst, ctx, tag, payload);
  }

  /** `send` of a message given as pieces (see `Channel.sendParts`). */
  sendParts(dst: number, ctx: string, tag: number, parts: readonly Uint8Array[]): Promise<void> {
    if (this.#doomed) return Promise.reject(this.#doomed);
    return this.channel.sendParts(dst, ctx, tag, parts);
  }

  /** A received payload nobody will read again (its value was copied out): its memory may be reused. */
  release(payload: Uint8Array): void {
    this.channel.release(payload);
  }

  /** Tracks a blocking call for the timeout report while `p` is pending. */
  track<T>(call: string, p: Promise<T>): Promise<T> {
    const entry: PendingCall = { call, since: Date.now() };
    this.pending.add(entry);
    const done = () => this.pending.delete(entry);
    p.then(done, done);
    return p;
  }

  /** abort(code) on this rank: tell the launcher and every peer, fail everything pending here. */
  abort(errorcode: number): MPIError {
    const err = new MPIError(ERR_ABORTED, `rank ${this.rank} called abort(${errorcode})`, {
      errorcode,
      abortRank: this.rank,
    });
    if (!this.#doomed) {
      this.#hooks.onLocalAbort?.(errorcode);
      void this.channel.broadcastAbort(errorcode);
      this.#doom(err);
    }
    return err;
  }

  #doom(err: MPIError): void {
    if (this.#doomed) return;
    this.#doomed = err;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w(err);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.channel.transport.close();
  }
}
