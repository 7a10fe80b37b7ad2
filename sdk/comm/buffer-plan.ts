import type { AlgorithmSpec, CollectiveName } from '../collectives/algorithms.js';
import type { CollectiveContext } from '../collectives/collective-context.js';
import type { CallShape } from '../collectives/select-algorithm.js';

/** The calling rank and the communicator's size: all a plan needs to know about who calls it. */
export interface Who {
  rank: number;
  size: number;
}

/**
 * One buffer collective call, checked and ready to run. Building a plan checks every argument
 * this rank can check (and throws `MPIError` synchronously), and snapshots the data to send, so
 * nothing has been sent when a call fails and the caller's buffers may change once it returns.
 */
export interface BufferPlan {
  /** The call for the timeout report, e.g. `Scatterv(root=2)`. */
  readonly call: string;
  /**
   * How to choose the algorithm: a collective whose algorithms `run` accepts, and what every rank
   * knows alike about the call (so every rank chooses the same one).
   */
  readonly select: {
    readonly collective: CollectiveName;
    readonly bytes: number;
    readonly shape: CallShape;
  };
  /** Runs the exchange with the chosen algorithm and writes this rank's receive buffer. */
  run(ctx: CollectiveContext, spec: AlgorithmSpec): Promise<void>;
}
