/**
 * Runs `fn` over `items` with at most `limit` calls in flight, taking items in order. Workers
 * stop taking new items once `until()` turns true or a call rejects; the run settles only when
 * every call in flight has, then rejects with the first rejection. Callers that must attempt
 * every item catch inside `fn`, or use {@link mapLimitSettled}.
 *
 * @example
 * await forEachLimit(urls, 16, async (url) => deleteQueue(url));
 */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
  until: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed && !until()) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const workers = items.length === 0 ? 0 : Math.max(1, Math.min(limit, items.length));
  const outcomes = await Promise.allSettled(Array.from({ length: workers }, worker));
  const rejected = outcomes.find((o) => o.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
}

/**
 * Maps `items` through `fn` with at most `limit` calls running at once; results keep the input
 * order. Every item is attempted even when some fail; the settled outcomes are returned, so
 * callers can clean up after a partial failure.
 *
 * @example
 * const outcomes = await mapLimitSettled(names, 8, (name) => createQueue(name));
 */
export async function mapLimitSettled<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  await forEachLimit(items, limit, async (item, i) => {
    try {
      results[i] = { status: 'fulfilled', value: await fn(item, i) };
    } catch (reason) {
      results[i] = { status: 'rejected', reason };
    }
  });
  return results;
}
