/** Adds the API call counts `calls` into `into`, action by action. */
export function addCalls(into: Record<string, number>, calls: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(calls)) into[k] = (into[k] ?? 0) + v;
}
