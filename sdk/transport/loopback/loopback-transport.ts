import type { Transport, TransportStats } from '../transport.js';

/**
 * All ranks of a job in one thread: frames are delivered on a later macrotask-free tick
 * (a microtask), copied, so nothing is shared. For tests and for embedding many ranks in one
 * event loop. Create the endpoints together with `createLoopbackTransports(size)`.
 */
export class LoopbackHub {
  readonly size: number;
  readonly #handlers: (((frames: Uint8Array[]) => void) | undefined)[];
  readonly #pending: Uint8Array[][];
  #scheduled = false;

  constructor(size: number) {
    this.size = size;
    this.#handlers = new Array(size).fill(undefined);
    this.#pending = Array.from({ length: size }, () => []);
  }

  attach(rank: number, onFrames: (frames: Uint8Array[]) => void): void {
    this.#handlers[rank] = onFrames;
    this.#schedule();
  }

  detach(rank: number): void {
    this.#handlers[rank] = undefined;
  }

  push(dst: number, frame: Uint8Array): void {
    this.#pending[dst]!.push(frame.slice());
    this.#schedule();
  }

  /** Delivers what is pending for `rank` now; returns whether anything was delivered. */
  drain(rank: number): boolean {
    const h = this.#handlers[rank];
    const q = this.#pending[rank]!;
    if (h === undefined || q.length === 0) return false;
    this.#pending[rank] = [];
    h(q);
    return true;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      for (let r = 0; r < this.size; r++) this.drain(r);
    });
  }
}

export class LoopbackTransport implements Transport {
  readonly kind = 'loopback';
  readonly rank: number;
  readonly size: number;
  readonly #hub: LoopbackHub;
  #sent = 0;
  #bytes = 0;
  #received = 0;

  constructor(hub: LoopbackHub, rank: number) {
    this.#hub = hub;
    this.rank = rank;
    this.size = hub.size;
  }

  /** Every rank of the job runs in this process, so all share one node. */
  nodeOf(_rank: number): number {
    return 0;
  }

  send(dst: number, frame: Uint8Array): Promise<void> {
    this.#sent++;
    this.#bytes += frame.length;
    this.#hub.push(dst, frame);
    return Promise.resolve();
  }

  start(onFrames: (frames: Uint8Array[]) => void): void {
    this.#hub.attach(this.rank, (frames) => {
      this.#received += frames.length;
      onFrames(frames);
    });
  }

  poll(): boolean {
    return this.#hub.drain(this.rank);
  }

  close(): Promise<void> {
    this.#hub.detach(this.rank);
    return Promise.resolve();
  }

  stats(): TransportStats {
    return { calls: {}, messagesSent: this.#sent, bytesSent: this.#bytes, messagesReceived: this.#received };
  }
}

export function createLoopbackTransports(size: number): LoopbackTransport[] {
  const hub = new LoopbackHub(size);
  return Array.from({ length: size }, (_, r) => new LoopbackTransport(hub, r));
}
