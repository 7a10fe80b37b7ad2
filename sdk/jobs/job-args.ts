import { describeValue } from '../base/describe-value.js';
import type { JobArgs } from './define-job.js';

/** Reads a positive integer job argument (`--samples 1e8`), with a clear error otherwise. */
export function positiveIntArg(args: JobArgs, name: string, fallback: number): number {
  const v = args[name];
  if (v === undefined) return fallback;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
  throw new Error(`Expected job argument \`--${name}\` to be a positive integer, got ${describeValue(v)}`);
}
