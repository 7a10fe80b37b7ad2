/** The window never shrinks below this (unless the cap is lower). */
const MIN_SPIN_WINDOW_MS = 0.005;

/**
 * How long a receiver polls before it parks: a window within (floor, cap] that doubles when a
 * frame arrives within it and halves when it runs out, so a rank whose peer is not running (cores
 * shared with other work) stops stealing the CPU that peer needs. The cap is read at each use (it
 * may change: auto-spin depends on the endpoints open in the thread); a cap of 0 turns spinning off.
 *
 * @example
 * const spin = new AdaptiveSpin(() => 0.1); // cap: 100 µs
 * const until = performance.now() + spin.window();
 * // ... poll until then; then spin.adapt(caughtSomething)
 */
export class AdaptiveSpin {
  readonly #capMs: () => number;
  /** The current window, in (0, cap]. */
  #windowMs = Number.POSITIVE_INFINITY;

  constructor(capMs: () => number) {
    this.#capMs = capMs;
  }

  /** The window to spin for now, in ms: 0 when spinning is off. */
  window(): number {
    const cap = this.#capMs();
    if (cap === 0) return 0;
    if (this.#windowMs > cap) this.#windowMs = cap;
    return this.#windowMs;
  }

  /** A frame came within the window (`caught`: widen) or the window ran out (narrow). */
  adapt(caught: boolean): void {
    const cap = this.#capMs();
    if (cap === 0) return;
    this.#windowMs = caught
      ? Math.min(cap, this.#windowMs * 2)
      : Math.max(Math.min(cap, MIN_SPIN_WINDOW_MS), this.#windowMs / 2);
  }
}
