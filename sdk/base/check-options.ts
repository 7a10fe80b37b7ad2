import { describeValue } from './describe-value.js';
import { OptionsError } from './errors.js';

/**
 * Rejects an options argument that is not a plain object, and any key not in `known` (a typo),
 * with an {@link OptionsError} naming the function, the key and the keys it knows.
 *
 * @example
 * checkOptions('createMemoryFabric', options, ['ringBytes', 'spinMicros']);
 */
export function checkOptions(
  where: string,
  options: unknown,
  known: Iterable<string>,
): asserts options is object {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new OptionsError(
      `Expected the options of \`${where}\` to be an object, got ${describeValue(options)}`,
    );
  }
  const keys = known instanceof Set ? (known as ReadonlySet<string>) : new Set(known);
  for (const key of Object.keys(options)) {
    if (!keys.has(key)) {
      const list = [...keys].map((k) => `\`${k}\``).join(', ');
      throw new OptionsError(`${where}: unknown option \`${key}\`; expected one of ${list}`);
    }
  }
}

/**
 * Checks `options` against the keys of `defaults` and fills what it leaves out (or sets to
 * `undefined`) from `defaults`.
 *
 * @example
 * const o = withDefaults('createJobQueues', options, { concurrency: 16, retentionSeconds: 3600 });
 */
export function withDefaults<D extends object>(
  where: string,
  options: Partial<D> | undefined,
  defaults: D,
): D {
  if (options === undefined) return { ...defaults };
  checkOptions(where, options, Object.keys(defaults));
  const out = { ...defaults } as Record<string, unknown>;
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out as D;
}
