/** The window never shrinks below this (unless the cap is lower). */
const MIN_SPIN_WINDOW_MS = 0.005;
/** A frame missed by less than this many caps after the spin began counts as late (see `late`). */
const LATE_CAPS = 2;
/** Most late signals ignored after full windows kept missing (see `late`). */
const MAX_LATE_BACKOFF = 64;

/**
 * How long a receiver polls before it parks: a window within (floor, cap] that doubles when a
 * frame arrives within it and halves when it runs out, so a rank whose peer is not running (cores
 * shared with other work) stops stealing the CPU that peer needs. The cap is read at each use (it
 * may change: auto-spin depends on the endpoints open in the thread); a cap of 0 turns spinning off.
 *
 * Halving alone has a trap: once a slow stretch (JIT warm-up, a burst of other work) has shrunk
 * the window below the peer's reply time, every reply comes after it, through a wake-up (30-50 µs)
 * instead of the spin (~1 µs), and no catch ever widens it again. So a frame that comes soon
 * after the window ran out (`late`) restores the full window; if full windows then miss too (the
 * peer is slow because it shares our core), late signals are ignored for exponentially longer.
 *
 * @example
 * const spin = new AdaptiveSpin(() => 0.1); // cap: 100 µs
 * const from = performance.now();
 * // ... poll until from + spin.window(); then spin.adapt(caughtSomething)
 * // ... and when a missed frame comes later: spin.late(arrivedAt - from)
 */
export class AdaptiveSpin {
  readonly #capMs: () => number;
  /** The current window, in (0, cap]. */
  #windowMs = Number.POSITIVE_INFINITY;
  /** The window was restored by `late` and has not been judged by `adapt` yet. */
  #restored = false;
  /** Late signals to ignore after the next restoring window misses. */
  #backoff = 0;
  /** Late signals still to ignore. */
  #ignore = 0;

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

  /** The cap now, in ms (0: spinning is off). */
  cap(): number {
    return this.#capMs();
  }

  /** A frame came within the window (`caught`: widen) or the window ran out (narrow). */
  adapt(caught: boolean): void {
    const cap = this.#capMs();
    if (cap === 0) return;
    if (this.#restored) {
      this.#restored = false;
      if (caught) this.#backoff = 0;
      else this.#ignore = this.#backoff = Math.min(MAX_LATE_BACKOFF, Math.max(1, this.#backoff * 2));
    }
    const w = Math.min(cap, this.#windowMs);
    this.#windowMs = caught ? Math.min(cap, w * 2) : Math.max(Math.min(cap, MIN_SPIN_WINDOW_MS), w / 2);
  }

  /**
   * A frame the window missed came `afterMs` after the spin began (when it came: a parked
   * receiver wakes tens of µs after that, and counting those made replies to two parked ranks look
   * later than they were; see `Ring.wokenAt`). If a full window would have
   * caught it (within LATE_CAPS caps), spin the full window next time, unless restoring has kept
   * failing lately (then this signal may be ignored).
   */
  late(afterMs: number): void {
    const cap = this.#capMs();
    if (cap === 0 || afterMs > cap * LATE_CAPS || this.#windowMs >= cap) return;
    if (this.#ignore > 0) {
      this.#ignore--;
      return;
    }
    this.#windowMs = cap;
    this.#restored = true;
  }
}
