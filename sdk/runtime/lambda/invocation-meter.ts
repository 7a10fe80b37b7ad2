import type { InvocationUsage } from './control-report.js';

/** Module evaluation time: this environment's init phase, reported (and billed) on its first invocation. */
const INIT_MS = performance.now();

/** One invocation's own clock and call counts, for its usage reports and its log line. */
export class InvocationMeter {
  readonly t0 = performance.now();
  /** The first invocation of this execution environment. */
  readonly cold: boolean;
  readonly calls: Record<string, number> = {};
  readonly #memoryMb: number;

  constructor(cold: boolean, memoryMb: number) {
    this.cold = cold;
    this.#memoryMb = memoryMb;
  }

  /** Counts one call of `action` (bound: pass it as a callback). */
  readonly count = (action: string): void => {
    this.calls[action] = (this.calls[action] ?? 0) + 1;
  };

  /** The usage so far, as reports carry it. */
  readonly usage = (): InvocationUsage => ({
    durationMs: this.elapsedMs(),
    initMs: this.cold ? INIT_MS : 0,
    memoryMb: this.#memoryMb,
    calls: { ...this.calls },
  });

  elapsedMs(): number {
    return performance.now() - this.t0;
  }
}
