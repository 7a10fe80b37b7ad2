import type { RankStats } from '../../runtime/run-rank.js';
import type { NodePlan } from '../../transport/node/node-plan.js';
import { aggregateStats } from '../launcher.js';
import { addCalls } from './add-calls.js';
import { costReport } from './cost-report.js';
import type { Deployment } from './deployment.js';
import type { LambdaRun } from './lambda-run.js';

/**
 * Stats of a finished (or failed) aws job: data path, control path, Lambda and the cost report.
 * `launcherCalls` (the calls made from this machine) gets the run's own calls added.
 */
export function lambdaJobStats(o: {
  ranks: number;
  nodes: NodePlan;
  run: LambdaRun;
  launcherCalls: Record<string, number>;
  deployment: Deployment;
  /** Every rank's stats of a finished job; undefined: those of the ranks that reported. */
  perRank: RankStats[] | undefined;
}) {
  const { run, launcherCalls, deployment } = o;
  const finished = o.perRank ?? run.supervisor.ranks.flatMap((r) => (r.stats === undefined ? [] : [r.stats]));
  const base = aggregateStats(finished);
  addCalls(launcherCalls, run.follower.calls);
  addCalls(launcherCalls, run.calls);
  launcherCalls.Invoke = run.launcherInvokes;
  const rankCalls: Record<string, number> = {};
  for (const u of run.usages) addCalls(rankCalls, u.calls);
  const childInvokes = rankCalls.Invoke ?? 0;
  const cost = costReport({
    invocations: run.launcherInvokes + childInvokes + run.duplicates,
    usages: run.usages,
    unreported: run.unreported(),
    perRank: finished,
    launcherCalls,
  });
  const calls = { ...base.calls };
  addCalls(calls, launcherCalls);
  addCalls(calls, rankCalls);
  return {
    calls,
    costUsd: cost.totalUsd,
    cost,
    aws: {
      stack: deployment.stackName,
      region: deployment.region,
      functionName: deployment.rankFunctionName,
      ranks: o.ranks,
      ranksPerNode: o.nodes.ranksPerNode,
      nodes: o.nodes.nodes,
      invocations: run.launcherInvokes + childInvokes + run.duplicates,
      duplicateInvocations: run.duplicates,
      duplicateReports: run.follower.duplicates,
      // A node's ranks each report its init time: count the node once.
      coldStarts: new Set(
        run.usages.filter((u) => u.initMs > 0).map((u, i) => (u.node === undefined ? `i${i}` : `n${u.node}`)),
      ).size,
    },
  };
}
