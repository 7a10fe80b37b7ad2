import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { RankEvent } from './rank-event.js';

/** Invokes of a fan-out tree head in flight at once (within a region an Invoke takes ~20 ms). */
export const SPAWN_CONCURRENCY = 32;

/**
 * A fan-out tree head invokes the ranks of its subtree (`event.spawn`), each with its own event;
 * with `ranksPerNode`, the nodes of its subtree (each event names the node's first rank).
 */
export async function spawnSubtree(o: {
  event: RankEvent;
  lambda: (() => Promise<LambdaClient>) | undefined;
  functionName: string | undefined;
  count: (action: string) => void;
}): Promise<void> {
  const { event } = o;
  const spawn = event.spawn!;
  if (o.lambda === undefined || o.functionName === undefined) {
    throw new Error(
      `rank ${event.rank} was asked to invoke ranks ${spawn.from}..${spawn.to - 1} but has no Lambda client or AWS_LAMBDA_FUNCTION_NAME`,
    );
  }
  const [lambda, { invokeRanks }] = await Promise.all([o.lambda(), import('./invoke-ranks.js')]);
  const { spawn: _spawn, ...base } = event;
  const step = event.ranksPerNode ?? 1;
  const ranks = Array.from(
    { length: Math.ceil((spawn.to - spawn.from) / step) },
    (_, i) => spawn.from + i * step,
  );
  await invokeRanks({
    lambda,
    functionName: o.functionName,
    ranks,
    eventFor: (r) => ({ ...base, rank: r }),
    concurrency: SPAWN_CONCURRENCY,
    onInvoked: () => o.count('Invoke'),
  });
}
