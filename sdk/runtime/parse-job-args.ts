import { UsageError } from '../base/errors.js';
import type { JobArgs } from '../jobs/define-job.js';

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?0[xX][0-9a-fA-F]+$/;

function coerce(v: string): unknown {
  if (NUMBER.test(v)) return Number(v);
  if (v === 'true') return true;
  if (v === 'false') return false;
  return v;
}

/**
 * Parses job arguments (what follows `--`): `--samples 1e8 --fast --name=x --no-color a b` gives
 * `{ samples: 100000000, fast: true, name: 'x', color: false, _: ['a', 'b'] }`. Numbers become
 * numbers, `true`/`false` booleans; a flag followed by another flag (or nothing) is `true`.
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
