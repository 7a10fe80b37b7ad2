/** `7 (number)`, `"x" (string)`: how a bad value appears in an error message. */
export function describe(value: unknown): string {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `\`${shown}\` (${value === null ? 'null' : typeof value})`;
}

/** Rejects an options argument that is not a plain object, and unknown keys (typos). */
export function checkOptions(options: unknown, keys: ReadonlySet<string>, where: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`Expected the options of \`${where}\` to be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!keys.has(key)) {
      const known = [...keys].map((k) => `\`${k}\``).join(', ');
      throw new TypeError(`Unknown option \`${key}\` of \`${where}\`: expected one of ${known}`);
    }
  }
}
