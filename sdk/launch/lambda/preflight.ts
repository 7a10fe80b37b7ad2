import {
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { UsageError } from '../../base/errors.js';
import type { Deployment } from './deployment.js';

/** The account or the function cannot run all ranks at once: fail before creating anything. */
export class ConcurrencyError extends UsageError {
  readonly needed: number;
  readonly available: number;
  constructor(message: string, needed: number, available: number) {
    super(message, { code: 'CONCURRENCY_SHORT' });
    this.name = 'ConcurrencyError';
    this.needed = needed;
    this.available = available;
  }
}

export interface ConcurrencyReport {
  /** The account's concurrency quota in the region. */
  accountLimit: number;
  /** Not reserved by any function: what a function without a reservation draws from. */
  unreserved: number;
  /** The rank function's reserved concurrency, when it has one. */
  reserved: number | undefined;
  /** What this job can use: the reservation, or the unreserved pool. */
  available: number;
  /** The faster of the two Lambda API round trips, ms: the fan-out model's `latencyMs`. */
  latencyMs: number;
}

/** Reads the account's and the function's concurrency (two cheap Lambda API calls, timed). */
export async function readConcurrency(
  lambda: LambdaClient,
  functionName: string,
): Promise<ConcurrencyReport> {
  const timed = async <T>(call: () => Promise<T>): Promise<[T, number]> => {
    const t = performance.now();
    const value = await call();
    return [value, performance.now() - t];
  };
  // In sequence: the first pays for the connection, the second times a warm round trip.
  const [account, t1] = await timed(() => lambda.send(new GetAccountSettingsCommand({})));
  const [fn, t2] = await timed(() =>
    lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName })),
  );
  const accountLimit = account.AccountLimit?.ConcurrentExecutions ?? 0;
  const unreserved = account.AccountLimit?.UnreservedConcurrentExecutions ?? accountLimit;
  const reserved = fn.ReservedConcurrentExecutions;
  return {
    accountLimit,
    unreserved,
    reserved,
    available: reserved ?? unreserved,
    latencyMs: Math.min(t1, t2),
  };
}

/**
 * Throws {@link ConcurrencyError} with the numbers when `ranks` cannot all run at once: a job
 * whose ranks cannot all start waits forever for the missing ones. With `ranksPerNode` K > 1
 * each invocation runs a node of K ranks: ceil(ranks / K) executions are needed.
 *
 * With `copies` > 1 copies of the rank function (`rankFunctionCopies`), `c` is copy 0's: the
 * unreserved pool is the account's, shared by all copies, so the whole job must fit in it; a
 * reservation is per copy (the construct gives each the same, floor(R / copies)), and the
 * busiest copy runs ceil(executions / copies) of them (round-robin, see `planFanOut`).
 */
export function checkConcurrency(
  ranks: number,
  c: ConcurrencyReport,
  deployment: Pick<Deployment, 'rankFunctionName'>,
  ranksPerNode = 1,
  copies = 1,
): void {
  const total = Math.ceil(ranks / ranksPerNode);
  const needed = c.reserved === undefined ? total : Math.ceil(total / copies);
  const what =
    (ranksPerNode === 1
      ? `${ranks} ranks need ${total} concurrent executions`
      : `${ranks} ranks on nodes of ${ranksPerNode} need ${total} concurrent executions`) +
    (copies > 1 && c.reserved !== undefined
      ? `, ${needed} on each of ${copies} copies of the rank function`
      : '');
  const fewer = ranksPerNode === 1 ? 'run fewer ranks' : 'run fewer ranks (or more per node)';
  if (c.reserved !== undefined && needed > c.reserved) {
    throw new ConcurrencyError(
      `${what}; the rank function ${deployment.rankFunctionName}${copies > 1 ? ' (each copy)' : ''} has a reserved ` +
        `concurrency of ${c.reserved} (GetFunctionConcurrency): raise or remove its \`reservedConcurrentExecutions\` and ` +
        `deploy again, or ${fewer}`,
      needed,
      c.reserved,
    );
  }
  if (c.reserved === undefined && needed > c.unreserved) {
    throw new ConcurrencyError(
      `${what}; the account has ${c.unreserved} unreserved ` +
        `(of ${c.accountLimit}, GetAccountSettings): request a quota increase ("Concurrent executions" in ` +
        `Service Quotas) or ${fewer}`,
      needed,
      c.unreserved,
    );
  }
}

/** Lambda's memory per full vCPU, MB: a function gets one vCPU per 1,769 MB (up to 6 at 10,240 MB). */
export const MB_PER_VCPU = 1769;
/** The most vCPUs a Lambda function has (at 10,240 MB). */
export const MAX_LAMBDA_VCPUS = 6;

/**
 * Ranks per invocation when `--ranks-per-node` is not given: one per vCPU of the function,
 * clamp(round(memory / 1,769), 1, 6), so CPU-bound ranks each get a core.
 *
 * @example
 * defaultRanksPerNode(1769); // 1
 * defaultRanksPerNode(10240); // 6
 */
export function defaultRanksPerNode(memoryMb: number): number {
  return Math.min(MAX_LAMBDA_VCPUS, Math.max(1, Math.round(memoryMb / MB_PER_VCPU)));
}

/** The rank function's configured memory, MB (GetFunctionConfiguration). */
export async function readFunctionMemory(lambda: LambdaClient, functionName: string): Promise<number> {
  const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
  const mb = config.MemorySize;
  if (typeof mb !== 'number' || !Number.isInteger(mb) || mb < 128) {
    throw new Error(
      `GetFunctionConfiguration of ${functionName} answered no valid MemorySize (${String(mb)}): pass --ranks-per-node`,
    );
  }
  return mb;
}
