import type { Transport, TransportStats } from '../transport.js';
import { readAddress } from './node-address.js';
import type { NodePlan } from './node-plan.js';

export interface NodeRouterOptions {
  /** The node this router serves. */
  node: number;
  plan: NodePlan;
  /** The node's inbound queue: delivers the addressed frames other nodes send to this node. */
  inbound: Pick<Transport, 'start' | 'close' | 'stats'>;
  /**
   * An endpoint of the node's shared memory of its own (local index `plan.ranksOn(node)`, after
   * the ranks'): a producer into the ranks' inbound rings. Its own ring receives nothing.
   */
  outbound: Pick<Transport, 'send' | 'close' | 'stats'>;
}

/**
 * The one receiver of a node: takes the frames other nodes sent to the node's queue and writes
 * each into its destination rank's ring, as one more producer of the node's shared memory. It
 * runs outside the ranks' threads, so a rank busy computing never delays its node-mates' frames.
 *
 * A frame for a rank that has already closed its endpoint is a late duplicate of one it
 * received (a rank closes only after its job ended): dropped. Anything else that goes wrong
 * (a frame addressed to another node, the queue gone) goes to `onError`, once.
 *
 * @example
 * const r = new NodeRouter({ node: 1, plan, inbound: nodeQueue, outbound: routerEndpoint });
 * r.start((err) => failJob(err));
 * // ... job ends ...
 * await r.close();
 */
export class NodeRouter {
  readonly #node: number;
  readonly #plan: NodePlan;
  readonly #inbound: NodeRouterOptions['inbound'];
  readonly #outbound: NodeRouterOptions['outbound'];
  #onError: (err: Error) => void = () => undefined;
  #failed = false;
  #routed = 0;
  #dropped = 0;
  #closing: Promise<void> | undefined;

  constructor(o: NodeRouterOptions) {
    this.#node = o.node;
    this.#plan = o.plan;
    this.#inbound = o.inbound;
    this.#outbound = o.outbound;
  }

  start(onError: (err: Error) => void): void {
    this.#onError = onError;
    this.#inbound.start(
      (frames) => this.#route(frames),
      (err) => this.#fail(err),
    );
  }

  #route(frames: Uint8Array[]): void {
    const plan = this.#plan;
    for (const bytes of frames) {
      const addressed = readAddress(bytes);
      if (
        addressed === undefined ||
        addressed.dst >= plan.size ||
        plan.nodeOf(addressed.dst) !== this.#node
      ) {
        const what = addressed === undefined ? `${bytes.length} bytes, no address` : `rank ${addressed.dst}`;
        this.#fail(
          new Error(
            `node ${this.#node} received a frame for ${what}, which is not one of its ranks (${this.#describeRanks()}): something else writes to this job's node queues`,
          ),
        );
        return;
      }
      this.#routed++;
      this.#outbound.send(plan.localIndex(addressed.dst), addressed.frame).catch((err: unknown) => {
        if (
          (err as { code?: unknown }).code === 'PEER_CLOSED' ||
          (err as { code?: unknown }).code === 'CLOSED'
        ) {
          this.#dropped++;
          return;
        }
        this.#fail(err instanceof Error ? err : new Error(String(err)));
      });
    }
  }

  #describeRanks(): string {
    const first = this.#plan.firstRank(this.#node);
    return `ranks ${first}..${first + this.#plan.ranksOn(this.#node) - 1}`;
  }

  #fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    const e = new Error(
      `the receiver of node ${this.#node} (${this.#describeRanks()}) failed: ${err.message}`,
      {
        cause: err,
      },
    );
    this.#onError(e);
  }

  /** Stops receiving and releases both sides. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= Promise.allSettled([this.#inbound.close(), this.#outbound.close()]).then(
      () => undefined,
    );
    return this.#closing;
  }

  /** The inbound queue's counters (its receive and delete calls), with frames routed and dropped. */
  stats(): TransportStats {
    const s = this.#inbound.stats?.();
    return {
      ...s,
      calls: { ...s?.calls },
      messagesSent: 0,
      bytesSent: 0,
      messagesReceived: s?.messagesReceived ?? 0,
      routed: this.#routed,
      droppedForClosedRanks: this.#dropped,
    };
  }
}
