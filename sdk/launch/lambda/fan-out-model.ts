/**
 * How the launcher starts N ranks: every `Invoke` from this machine (client fan-out), or a
 * two-level tree in which the launcher invokes k "head" ranks and each head invokes its share of
 * the rest from inside the region. The launcher computes both with this model and takes the
 * faster, preferring the simpler client fan-out unless the tree wins clearly.
 *
 * The figures (defaults below; `latencyMs` is measured by the launcher's own preflight calls):
 *
 * - Invoke rate: Lambda accepts up to 10 × the account's concurrency quota invocation requests
 *   per second (published quota, "Invocation requests per Region"): 10,000/s at the default 1,000.
 * - Scaling: each function adds up to 1,000 execution environments every 10 seconds (published,
 *   "Lambda scaling behavior", since Nov 2023). Ranks beyond 1,000 wait for the next step
 *   whichever way they are invoked.
 * - Invoke latency: an async `Invoke` returns 202 once the event is queued. From a laptop it is
 *   dominated by the network round trip (measured at run time); inside the region it is ~20 ms
 *   (AWS publishes no figure; this is the commonly measured p50).
 * - Async dispatch: the time from 202 to the handler starting, Lambda's internal event queue;
 *   ~100 ms when the function is not throttled (no published figure; measurements vary 30-200 ms).
 * - Cold start: a fresh environment boots the Node 24 runtime (~120 ms) and imports the rank
 *   bundle (measured locally: see `bench/lambda-model.js`), ~250 ms together.
 * - Launcher CPU: SDK serialization and SigV4 signing, measured at ~0.9 ms per Invoke on one
 *   laptop core (`bench/lambda-model.js`): the launcher's single thread caps client fan-out at
 *   ~1,100 invocations a second whatever the concurrency.
 * - Control hop: a `started` report reaches the launcher in one SQS hop, ~16 ms p50.
 *
 * The tree pays one extra (dispatch + cold start) level, ~350 ms; client fan-out pays
 * `max(ceil(N / concurrency) × latency, N × cpu)`. So client fan-out wins for tens of ranks
 * and the tree from a few hundred (at 1,000 ranks: ~0.8 s against ~1.3 s near the region,
 * ~1.1 s against ~4.4 s from a 250 ms round trip away).
 */

export type FanOutStrategy = 'client' | 'tree';

export interface FanOutParameters {
  /** One async Invoke from the launcher, ms (round trip + service time). */
  latencyMs: number;
  /** Invoke calls the launcher keeps in flight. */
  clientConcurrency: number;
  /** Launcher CPU per Invoke, ms (signing, serialization). */
  clientCpuMs: number;
  /** One async Invoke from a rank, inside the region, ms. */
  regionLatencyMs: number;
  /** Invoke calls a head rank keeps in flight (`SPAWN_CONCURRENCY`). */
  headConcurrency: number;
  /** From 202 to the handler running, ms. */
  dispatchMs: number;
  /** Init of a fresh execution environment, ms. */
  coldStartMs: number;
  /** One SQS hop (a report reaching the launcher), ms. */
  hopMs: number;
  /** The account's concurrency quota (the invoke rate limit is 10 × this per second). */
  accountConcurrency: number;
  /** Environments a function adds per scaling step, and the step, ms. */
  scalingStep: number;
  scalingPeriodMs: number;
  /**
   * Copies of the rank function the invocations spread over, as the launcher spreads them:
   * round-robin over the launcher's own invocations (nodes, or tree heads, whose subtrees run on
   * their head's copy). Each copy scales on its own (the step above is per function); the
   * account's invoke rate and concurrency are shared.
   */
  functions: number;
}

export const DEFAULT_FAN_OUT_PARAMETERS: Readonly<FanOutParameters> = Object.freeze({
  latencyMs: 60,
  clientConcurrency: 64,
  clientCpuMs: 0.9,
  regionLatencyMs: 20,
  headConcurrency: 32,
  dispatchMs: 100,
  coldStartMs: 250,
  hopMs: 16,
  accountConcurrency: 1000,
  scalingStep: 1000,
  scalingPeriodMs: 10_000,
  functions: 1,
});

export interface FanOutEstimate {
  strategy: FanOutStrategy;
  /** Heads of the tree (0 for client fan-out). */
  heads: number;
  /** Until the launcher has made all its Invoke calls, ms. */
  launchMs: number;
  /** Until the first `started` report reaches the launcher, ms. */
  firstStartedMs: number;
  /** Until the last one does, ms. */
  allStartedMs: number;
}

export interface FanOutPlan {
  strategy: FanOutStrategy;
  heads: number;
  client: FanOutEstimate;
  tree: FanOutEstimate | undefined;
  parameters: FanOutParameters;
}

/** Time to make `n` Invoke calls, `concurrency` at a time, each `latencyMs`, bounded by CPU and the rate limit. */
function invokeTime(n: number, concurrency: number, latencyMs: number, cpuMs: number, ratePerSecond: number) {
  if (n <= 0) return 0;
  return Math.max(Math.ceil(n / concurrency) * latencyMs, n * cpuMs, (n / ratePerSecond) * 1000);
}

/**
 * Extra wait of the last ranks when the invocations of one function exceed what one scaling step
 * provides. Spread round-robin over `functions` copies (and, for a tree, over a multiple of
 * `functions` heads), the busiest copy gets ceil(n / functions).
 */
function scalingDelay(n: number, p: FanOutParameters): number {
  const perFunction = Math.ceil(n / Math.max(1, p.functions));
  return Math.floor((perFunction - 1) / p.scalingStep) * p.scalingPeriodMs;
}

/** Client fan-out: the launcher invokes every rank. */
export function estimateClientFanOut(n: number, p: FanOutParameters): FanOutEstimate {
  const rate = 10 * p.accountConcurrency;
  const launchMs = invokeTime(n, p.clientConcurrency, p.latencyMs, p.clientCpuMs, rate);
  const start = p.dispatchMs + p.coldStartMs + p.hopMs;
  return {
    strategy: 'client',
    heads: 0,
    launchMs,
    firstStartedMs: p.latencyMs + start,
    allStartedMs: launchMs + start + scalingDelay(n, p),
  };
}

/** Two-level tree with `heads` heads, each invoking an equal share of the other ranks. */
export function estimateTreeFanOut(n: number, heads: number, p: FanOutParameters): FanOutEstimate {
  const rate = 10 * p.accountConcurrency;
  const launchMs = invokeTime(heads, p.clientConcurrency, p.latencyMs, p.clientCpuMs, rate);
  const perHead = Math.ceil((n - heads) / heads);
  const level = p.dispatchMs + p.coldStartMs;
  const spawnMs = invokeTime(perHead, p.headConcurrency, p.regionLatencyMs, 0, rate / heads);
  return {
    strategy: 'tree',
    heads,
    launchMs,
    firstStartedMs: p.latencyMs + level + p.hopMs,
    allStartedMs: launchMs + 2 * level + spawnMs + p.hopMs + scalingDelay(n, p),
  };
}

/** The tree only when it saves at least this share of the start-up time: it has more moving parts. */
export const TREE_MIN_GAIN = 0.2;

/**
 * Picks the fan-out for `n` ranks. `force` overrides the model (tests, benchmarks).
 *
 * @example
 * planFanOut(1000, { latencyMs: 250 }).strategy // 'tree'
 */
export function planFanOut(
  n: number,
  overrides: Partial<FanOutParameters> = {},
  force?: FanOutStrategy,
): FanOutPlan {
  const p: FanOutParameters = { ...DEFAULT_FAN_OUT_PARAMETERS, ...overrides };
  const client = estimateClientFanOut(n, p);
  let tree: FanOutEstimate | undefined;
  // A tree needs at least two heads each with at least one rank to invoke. Over several copies
  // of the function, a multiple of their number, so every copy gets the same share.
  const step = Math.max(1, Math.floor(p.functions));
  for (let heads = Math.max(2, step); heads * 2 <= n; heads += step) {
    const t = estimateTreeFanOut(n, heads, p);
    if (tree === undefined || t.allStartedMs < tree.allStartedMs) tree = t;
  }
  if (force === 'tree' && tree === undefined && n >= 2) tree = estimateTreeFanOut(n, 1, p);
  const treeWins = tree !== undefined && tree.allStartedMs < client.allStartedMs * (1 - TREE_MIN_GAIN);
  const strategy: FanOutStrategy = force ?? (treeWins ? 'tree' : 'client');
  return { strategy, heads: strategy === 'tree' ? (tree?.heads ?? 0) : 0, client, tree, parameters: p };
}

/** The heads of a tree and the rank ranges `[from, to)` each invokes: contiguous blocks after the heads. */
export function treeAssignments(n: number, heads: number): { head: number; from: number; to: number }[] {
  const out: { head: number; from: number; to: number }[] = [];
  const rest = n - heads;
  let from = heads;
  for (let h = 0; h < heads; h++) {
    const share = Math.floor(rest / heads) + (h < rest % heads ? 1 : 0);
    out.push({ head: h, from, to: from + share });
    from += share;
  }
  return out;
}
