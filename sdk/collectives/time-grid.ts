/**
 * Random times as probability masses on a uniform grid of `GRID` cells of `dt` ms (cell j holds
 * P(T in [j·dt, (j+1)·dt)), placed at j·dt). What the cost model needs of them: sums of independent
 * times (convolution), maxima of independent times (product of CDFs), shifts, means. Mass pushed
 * past the last cell is dropped, so grids are sized to hold the whole distribution.
 */
export const GRID = 512;

export type Density = Float64Array;
export type Cdf = Float64Array;

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26, |error| < 1.5e-7.
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

/** Masses of a log-normal (ln T ~ N(mu, sigma)) on the grid. */
export function logNormalDensity(mu: number, sigma: number, dt: number): Density {
  const out = new Float64Array(GRID);
  const cdf = (x: number) => (x <= 0 ? 0 : 0.5 * (1 + erf((Math.log(x) - mu) / (sigma * Math.SQRT2))));
  let prev = 0;
  for (let j = 0; j < GRID; j++) {
    const c = cdf((j + 1) * dt);
    out[j] = c - prev;
    prev = c;
  }
  return out;
}

/** The time that is always 0. */
export function zero(): Density {
  const d = new Float64Array(GRID);
  d[0] = 1;
  return d;
}

/** The density of X + Y for independent X, Y. */
export function convolve(a: Density, b: Density): Density {
  const out = new Float64Array(GRID);
  for (let i = 0; i < GRID; i++) {
    const ai = a[i]!;
    if (ai < 1e-14) continue;
    for (let j = 0; i + j < GRID; j++) out[i + j]! += ai * b[j]!;
  }
  return out;
}

/** The density of X + ms. */
export function shiftDensity(d: Density, ms: number, dt: number): Density {
  const cells = Math.round(ms / dt);
  if (cells === 0) return d;
  const out = new Float64Array(GRID);
  for (let i = 0; i + cells < GRID; i++) out[i + cells] = d[i]!;
  return out;
}

export function cdfOf(d: Density): Cdf {
  const out = new Float64Array(GRID);
  let s = 0;
  for (let i = 0; i < GRID; i++) {
    s += d[i]!;
    out[i] = Math.min(1, s);
  }
  return out;
}

export function densityOf(f: Cdf): Density {
  const out = new Float64Array(GRID);
  let prev = 0;
  for (let i = 0; i < GRID; i++) {
    out[i] = Math.max(0, f[i]! - prev);
    prev = f[i]!;
  }
  return out;
}

/** F ← F · (X shifted right by `cells`): the max with an independent X + cells·dt. */
export function maxWithShifted(f: Cdf, x: Cdf, cells: number): void {
  for (let i = 0; i < GRID; i++) f[i]! *= i >= cells ? x[i - cells]! : 0;
}

/** The CDF of the max of `n` independent copies. */
export function powCdf(f: Cdf, n: number): Cdf {
  return f.map((x) => x ** n);
}

/** E[T] of the grid time (cells at their left edge). */
export function meanOf(f: Cdf, dt: number): number {
  let s = 0;
  for (let i = 0; i < GRID; i++) s += 1 - f[i]!;
  return s * dt;
}
