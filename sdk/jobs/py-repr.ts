/**
 * Formats a value the way Python's `print` shows it, so the tutorial's programs print here exactly
 * what they print under mpi4py: `{'key': 'value', 'rank': 0}`, `[1, 3, 5]`, `None`, `True`.
 */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof v === 'number') return Number.isInteger(v) || !Number.isFinite(v) ? pyNumber(v) : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (ArrayBuffer.isView(v)) return `[${Array.from(v as unknown as ArrayLike<number>, pyRepr).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as object)
      .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
      .join(', ')}}`;
  }
  return String(v);
}

function pyNumber(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Number.POSITIVE_INFINITY) return 'inf';
  if (n === Number.NEGATIVE_INFINITY) return '-inf';
  return String(n);
}

/** The argument as a str() would show it: strings bare, everything else as repr. */
export function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

/**
 * A float as Python prints it: integral values keep their `.0` (`4.0`, `0.0`), large and tiny
 * ones use exponent notation from 1e16 and below 1e-4 (`1e+16`, `5e-05`), others as JS prints
 * them (both print the shortest repr that round-trips).
 */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return pyNumber(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e16 || a < 1e-4)) {
    const [mantissa, exp] = x.toExponential().split('e') as [string, string];
    const e = Number(exp);
    return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  if (Number.isInteger(x)) return Object.is(x, -0) ? '-0.0' : x.toFixed(1);
  return String(x);
}
