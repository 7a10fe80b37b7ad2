import { seededRandom } from '../../base/seeded-random.js';
import type { Transport, TransportStats } from '../transport.js';

export interface FaultOptions {
  /** Probability that a frame is delivered twice. */
  duplicate?: number;
  /** Probability that a frame is held back and delivered after later ones. */
  reorder?: number;
  /** Maximum random delay of a held-back frame, in event-loop turns (setImmediate hops). */
  maxDelayTurns?: number;
  /** Seed of the deterministic PRNG, so a failing run can be replayed. */
  seed?: number;
}

/**
 * Wraps a Transport and misbehaves on purpose on the receive side: duplicates, reorders and
 * delays frames (never drops or corrupts one), as SQS standard queues may. Used to prove that the
 * channel layer restores exactly-once, in-order delivery.
 */
export class FaultyTransport implements Transport {
  readonly kind: string;
  readonly rank: number;
  readonly size: number;
  readonly #inner: Transport;
  readonly #opts: Required<FaultOptions>;
  /** Deterministic per seed, so a failing run can be replayed. */
  readonly #random: () => number;
  #closed = false;
  #onFrames: ((frames: Uint8Array[]) => void) | undefined;
  readonly injected = { duplicated: 0, reordered: 0 };

  constructor(inner: Transport, options: FaultOptions = {}) {
    this.#inner = inner;
    this.kind = `faulty(${inner.kind})`;
    this.rank = inner.rank;
    this.size = inner.size;
    this.#opts = { duplicate: 0.15, reorder: 0.3, maxDelayTurns: 4, seed: 1 + inner.rank, ...options };
    this.#random = seededRandom(this.#opts.seed);
  }

  nodeOf(rank: number): number {
    return this.#inner.nodeOf?.(rank) ?? rank;
  }

  send(dst: number, frame: Uint8Array): Promise<void> {
    return this.#inner.send(dst, frame);
  }

  start(onFrames: (frames: Uint8Array[]) => void, onError: (err: Error) => void): void {
    this.#onFrames = onFrames;
    this.#inner.start((frames) => this.#arrive(frames), onError);
  }

  #arrive(frames: Uint8Array[]): void {
    const now: Uint8Array[] = [];
    for (const f of frames) {
      const copies = this.#random() < this.#opts.duplicate ? 2 : 1;
      if (copies === 2) this.injected.duplicated++;
      for (let i = 0; i < copies; i++) {
        if (this.#random() < this.#opts.reorder) {
          this.injected.reordered++;
          this.#later(f, 1 + Math.floor(this.#random() * this.#opts.maxDelayTurns));
        } else now.push(f);
      }
    }
    // Shuffle what is delivered now, too.
    for (let i = now.length - 1; i > 0; i--) {
      const j = Math.floor(this.#random() * (i + 1));
      [now[i], now[j]] = [now[j]!, now[i]!];
    }
    if (now.length > 0) this.#onFrames?.(now);
  }

  #later(frame: Uint8Array, turns: number): void {
    const hop = (left: number) => {
      if (this.#closed) return;
      if (left > 0) {
        setImmediate(hop, left - 1);
        return;
      }
      this.#onFrames?.([frame]);
    };
    setImmediate(hop, turns);
  }

  poll(): boolean {
    return this.#inner.poll?.() ?? false;
  }

  close(): Promise<void> {
    this.#closed = true;
    return this.#inner.close();
  }

  stats(): TransportStats {
    const s = this.#inner.stats?.() ?? { calls: {}, messagesSent: 0, bytesSent: 0, messagesReceived: 0 };
    return { ...s, injectedDuplicates: this.injected.duplicated, injectedReorders: this.injected.reordered };
  }
}
