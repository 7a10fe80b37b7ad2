import { describeValue } from '../../base/describe-value.js';
import type { Transport, TransportStats } from '../transport.js';
import { addressFrame } from './node-address.js';
import type { NodePlan } from './node-plan.js';

export interface NodeTransportOptions {
  /** This rank's world rank. */
  rank: number;
  /** The job's layout on nodes; its `size` is the world size. */
  plan: NodePlan;
  /**
   * The node's shared memory: an endpoint whose rank is this rank's `plan.localIndex`, whose
   * peers are the node's ranks (by local index) and its router. Everything this rank receives,
   * from its node or from other nodes (through the router), arrives here.
   */
  local: Transport;
  /**
   * Sends to other nodes: `send(node, bytes)` puts `bytes` in `node`'s inbound queue. Only its
   * sending side is used; the node's router receives. Closed with this transport.
   */
  remote: Pick<Transport, 'kind' | 'send' | 'close' | 'stats'>;
  /** Called once both sides have closed (to release what they used, e.g. the remote's clients). */
  dispose?: () => void;
}

/**
 * One rank of a node: frames for ranks of the same node go through shared memory, frames for
 * other nodes into that node's queue with the destination rank in front (see `node-address.ts`),
 * where the node's router (`NodeRouter`) hands them to the rank. The channel layer above reads
 * source and sequence number from the frame itself, so it sees pairs of ranks as on any
 * transport: exactly once and in order per pair still hold however the remote side duplicates
 * or reorders.
 *
 * @example
 * const t = new NodeTransport({ rank: 9, plan: new NodePlan(17, 8), local, remote });
 * t.nodeOf(3); // 0: rank 3 shares memory with ranks 0..7
 */
export class NodeTransport implements Transport {
  readonly kind: string;
  readonly rank: number;
  readonly size: number;
  readonly #plan: NodePlan;
  readonly #node: number;
  readonly #local: Transport;
  readonly #remote: NodeTransportOptions['remote'];
  readonly #dispose: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  constructor(o: NodeTransportOptions) {
    const { plan, rank } = o;
    if (!Number.isInteger(rank) || rank < 0 || rank >= plan.size) {
      throw new RangeError(
        `Expected \`rank\` to be an integer in [0, ${plan.size}), got ${describeValue(rank)}`,
      );
    }
    if (o.local.rank !== plan.localIndex(rank)) {
      throw new RangeError(
        `Expected the local endpoint of rank ${rank} to have local index ${plan.localIndex(rank)}, got ${o.local.rank}`,
      );
    }
    this.rank = rank;
    this.size = plan.size;
    this.#plan = plan;
    this.#node = plan.nodeOf(rank);
    this.#local = o.local;
    this.#remote = o.remote;
    this.#dispose = o.dispose;
    this.kind = `node(${o.remote.kind})`;
  }

  nodeOf(rank: number): number {
    return this.#plan.nodeOf(rank);
  }

  send(dst: number, frame: Uint8Array): Promise<void> {
    const bad = this.#checkDst(dst);
    if (bad !== undefined) return Promise.reject(bad);
    const node = this.#plan.nodeOf(dst);
    if (node === this.#node) return this.#local.send(this.#plan.localIndex(dst), frame);
    return this.#remote.send(node, addressFrame(dst, [frame]));
  }

  sendv(dst: number, parts: readonly Uint8Array[]): Promise<void> {
    const bad = this.#checkDst(dst);
    if (bad !== undefined) return Promise.reject(bad);
    const node = this.#plan.nodeOf(dst);
    if (node === this.#node) {
      const local = this.#local;
      const i = this.#plan.localIndex(dst);
      return local.sendv !== undefined
        ? local.sendv(i, parts)
        : local.send(i, addressFrame(0, parts).subarray(4));
    }
    return this.#remote.send(node, addressFrame(dst, parts));
  }

  #checkDst(dst: number): RangeError | undefined {
    if (Number.isInteger(dst) && dst >= 0 && dst < this.size) return undefined;
    return new RangeError(
      `Expected \`dst\` to be an integer in [0, ${this.size}), got ${describeValue(dst)}`,
    );
  }

  release(frame: Uint8Array): void {
    this.#local.release?.(frame);
  }

  start(onFrames: (frames: Uint8Array[]) => void, onError: (err: Error) => void): void {
    this.#local.start(onFrames, onError);
  }

  poll(): boolean {
    return this.#local.poll?.() ?? false;
  }

  /** Closes both sides; the remote one first lets accepted sends finish (its grace period). */
  close(): Promise<void> {
    this.#closing ??= Promise.allSettled([this.#remote.close(), this.#local.close()]).then((all) => {
      this.#dispose?.();
      const failed = all.find((r) => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    });
    return this.#closing;
  }

  /** The remote side's counters (its API calls, cost), with messages and bytes of both sides. */
  stats(): TransportStats {
    const local = this.#local.stats?.();
    const remote = this.#remote.stats?.();
    return {
      ...remote,
      calls: { ...remote?.calls },
      messagesSent: (local?.messagesSent ?? 0) + (remote?.messagesSent ?? 0),
      bytesSent: (local?.bytesSent ?? 0) + (remote?.bytesSent ?? 0),
      messagesReceived: local?.messagesReceived ?? 0,
      remoteMessagesSent: remote?.messagesSent ?? 0,
      node: this.#node,
    };
  }
}
