import {
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
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
 * whose ranks cannot all start waits forever for the missing ones.
 */
export function checkConcurrency(
  ranks: number,
  c: ConcurrencyReport,
  deployment: Pick<Deployment, 'rankFunctionName'>,
): void {
  if (c.reserved !== undefined && ranks > c.reserved) {
    throw new ConcurrencyError(
      `${ranks} ranks need ${ranks} concurrent executions; the rank function ${deployment.rankFunctionName} has a reserved ` +
        `concurrency of ${c.reserved} (GetFunctionConcurrency): raise or remove its \`reservedConcurrentExecutions\` and ` +
        'deploy again, or run fewer ranks',
      ranks,
      c.reserved,
    );
  }
  if (c.reserved === undefined && ranks > c.unreserved) {
    throw new ConcurrencyError(
      `${ranks} ranks need ${ranks} concurrent executions; the account has ${c.unreserved} unreserved ` +
        `(of ${c.accountLimit}, GetAccountSettings): request a quota increase ("Concurrent executions" in ` +
        'Service Quotas) or run fewer ranks',
      ranks,
      c.unreserved,
    );
  }
}
