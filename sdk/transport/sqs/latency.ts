import { describeValue } from '../../base/describe-value.js';
import { sleep } from '../../base/retry.js';

/** Injected per-call latency: a log-normal distribution given by two quantiles, in milliseconds. */
export interface LatencyOptions {
  /** Median delay. */
  p50Ms: number;
  /** 99th-percentile delay (>= p50Ms). */
  p99Ms: number;
}

/** z such that P(Z <= z) = 0.99 for a standard normal Z. */
const Z99 = 2.3263478740408408;

/**
 * Draws delays from the log-normal distribution with the given median and 99th percentile:
 * ln(delay) ~ N(mu, sigma) with mu = ln(p50) and sigma = ln(p99 / p50) / z(0.99). SQS latencies
 * are close to log-normal (a floor of network round trips with a long tail), which is why the
 * benchmarks model them this way.
 *
 * @example
 * const lat = new LogNormalLatency({ p50Ms: 20, p99Ms: 120 });
 * await lat.delay(signal); // waits ~20 ms, now and then ~100+
 */
export class LogNormalLatency {
  readonly #mu: number;
  readonly #sigma: number;
  readonly #random: () => number;

  constructor(options: LatencyOptions, random: () => number = Math.random) {
    const { p50Ms, p99Ms } = options;
    if (typeof p50Ms !== 'number' || !Number.isFinite(p50Ms) || p50Ms <= 0) {
      throw new TypeError(`Expected \`latency.p50Ms\` to be a number > 0, got ${describeValue(p50Ms)}`);
    }
    if (typeof p99Ms !== 'number' || !Number.isFinite(p99Ms) || p99Ms < p50Ms) {
      throw new TypeError(
        `Expected \`latency.p99Ms\` to be a number >= p50Ms (${p50Ms}), got ${describeValue(p99Ms)}`,
      );
    }
    this.#mu = Math.log(p50Ms);
    this.#sigma = Math.log(p99Ms / p50Ms) / Z99;
    this.#random = random;
  }

  /** One draw, in milliseconds. */
  sample(): number {
    // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
    const u1 = 1 - this.#random();
    const u2 = this.#random();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return Math.exp(this.#mu + this.#sigma * z);
  }

  /** Waits one draw; rejects with an AbortError when `signal` aborts. */
  delay(signal?: AbortSignal): Promise<void> {
    return sleep(this.sample(), signal);
  }
}
