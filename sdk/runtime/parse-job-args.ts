import { UsageError } from '../base/errors.js';
import type { JobArgs } from '../jobs/define-job.js';

/**
 * What reads as a number, so `-3`, `-0x10` or `-Infinity` after a flag is its value, not another
 * flag (no job flag is named `Infinity`).
 */
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?0[xX][0-9a-fA-F]+$|^[+-]?Infinity$/;

/** A decimal as users type numbers: no `+`, no leading zero before other digits, no hex. */
const DECIMAL = /^-?((0|[1-9]\d*)(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** An integer as typed: digits only, so a number of it must keep every digit (an id, a count). */
const INTEGER = /^-?\d+$/;

/**
 * A number when `v` is a decimal as users type numbers (`100`, `1e8`, `0.5`, `-3`, `1.5e-3`);
 * otherwise the string as typed: `007` and `00` (an id, a code), `+5`, `0x10`, ` 5`, `Infinity`,
 * `NaN`, `1e400`, `1e-400`, and an integer a double cannot hold exactly (a 20-digit id). A fraction with
 * more digits than a double holds is still a number (rounded, as Python's `float()` rounds it).
 * `true`/`false` are booleans.
 */
function coerce(v: string): unknown {
  if (DECIMAL.test(v)) {
    const n = Number(v);
    if (!Number.isFinite(n)) return v;
    // Underflow: 1e-400 is not 0.
    if (n === 0 && /[1-9]/.test(v.split(/e/i)[0]!)) return v;
    return INTEGER.test(v) && BigInt(v) !== BigInt(n) ? v : n;
  }
  if (v === 'true') return true;
  if (v === 'false') return false;
  return v;
}

/**
 * Parses job arguments (what follows `--`): `--samples 1e8 --fast --name=x --no-color a b` gives
 * `{ samples: 100000000, fast: true, name: 'x', color: false, _: ['a', 'b'] }`. Decimal numbers
 * become numbers, `true`/`false` booleans, anything a number would not keep as typed (`007`, `+5`,
 * `0x10`, a 20-digit id) stays a string; a flag followed by another flag (or nothing) is `true`.
 */
export function parseJobArgs(argv: readonly string[]): JobArgs {
  const out: JobArgs = {};
  const positional: unknown[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1).map(coerce));
      break;
    }
    if (!a.startsWith('-') || a === '-' || NUMBER.test(a)) {
      positional.push(coerce(a));
      continue;
    }
    const body = a.replace(/^--?/, '');
    if (body.length === 0) throw new UsageError(`bad job argument \`${a}\``);
    const eq = body.indexOf('=');
    if (eq >= 0) {
      out[camel(body.slice(0, eq))] = coerce(body.slice(eq + 1));
      continue;
    }
    if (body.startsWith('no-') && body.length > 3) {
      out[camel(body.slice(3))] = false;
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && (!next.startsWith('-') || NUMBER.test(next))) {
      out[camel(body)] = coerce(next);
      i++;
    } else out[camel(body)] = true;
  }
  if (positional.length > 0) out._ = positional;
  return out;
}

function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
