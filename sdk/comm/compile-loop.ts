/** An element-wise loop: `b[i] = k(a[i], b[i])` for every `i`. */
export type Loop = (a: ArrayLike<unknown>, b: { length: number; [i: number]: unknown }) => void;

/**
 * Returns `b[i] = k(a[i], b[i])` loops compiled once per (op, element type). V8 keeps type feedback
 * per compiled function, so a single loop shared by every TypedArray class goes megamorphic once a
 * process has seen more than a few classes (measured: ~35x slower on Float64Array). A function
 * compiled from source has its own feedback: each loop sees one class and one kernel, which V8
 * inlines. The source is a constant; only a sanitized label goes into a comment. Where code
 * generation from strings is disallowed, a shared closure is used: correct, just slower.
 */
export function compileLoop(kernel: (x: any, y: any) => unknown, label: string): Loop {
  const safeLabel = label.replace(/[^\w:]/g, '_');
  try {
    const make = new Function(
      'k',
      `'use strict';\n// tsmpi-cloud reduction loop ${safeLabel}\n` +
        'return function loop(a, b) { for (let i = 0, n = b.length; i < n; i++) b[i] = k(a[i], b[i]); };',
    ) as (k: unknown) => Loop;
    return make(kernel);
  } catch {
    return (a, b) => {
      for (let i = 0, n = b.length; i < n; i++) b[i] = kernel(a[i], b[i]);
    };
  }
}
