import {
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../sdk/base/errors.js';
import {
  ConcurrencyError,
  checkConcurrency,
  defaultRanksPerNode,
  readConcurrency,
} from '../../../sdk/launch/lambda/preflight.js';

const lambda = new LambdaClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
});
const d = { rankFunctionName: 'tsmpi-ab-rank' };

describe('the concurrency preflight', () => {
  it('reads the account quota, the unreserved pool and the reservation, and times the round trip', async () => {
    const mock = mockClient(lambda);
    mock
      .on(GetAccountSettingsCommand)
      .resolves({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 900 } });
    mock.on(GetFunctionConcurrencyCommand).resolves({});
    const c = await readConcurrency(lambda, 'f');
    expect(c).toMatchObject({ accountLimit: 1000, unreserved: 900, reserved: undefined, available: 900 });
    expect(c.latencyMs).toBeGreaterThanOrEqual(0);
    mock.on(GetFunctionConcurrencyCommand).resolves({ ReservedConcurrentExecutions: 50 });
    expect((await readConcurrency(lambda, 'f')).available).toBe(50);
    mock.restore();
  });

  it('refuses with the numbers when the unreserved pool is short', () => {
    const c = { accountLimit: 10, unreserved: 10, reserved: undefined, available: 10, latencyMs: 1 };
    expect(() => checkConcurrency(10, c, d)).not.toThrow();
    let err: unknown;
    try {
      checkConcurrency(64, c, d);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConcurrencyError);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as ConcurrencyError).message).toBe(
      '64 ranks need 64 concurrent executions; the account has 10 unreserved (of 10, GetAccountSettings): ' +
        'request a quota increase ("Concurrent executions" in Service Quotas) or run fewer ranks',
    );
    expect(err).toMatchObject({ needed: 64, available: 10 });
  });

  it('refuses with the numbers when the function reservation is short, whatever the pool', () => {
    const c = { accountLimit: 1000, unreserved: 900, reserved: 8, available: 8, latencyMs: 1 };
    expect(() => checkConcurrency(9, c, d)).toThrow(
      /^9 ranks need 9 concurrent executions; the rank function tsmpi-ab-rank has a reserved concurrency of 8/,
    );
  });

  it('nodes: ceil(ranks / K) executions are needed; K defaults to one rank per vCPU of the memory', () => {
    const c = { accountLimit: 20, unreserved: 11, reserved: undefined, available: 11, latencyMs: 1 };
    expect(() => checkConcurrency(64, c, d, 6)).not.toThrow();
    expect(() => checkConcurrency(64, c, d, 5)).toThrow(
      /^64 ranks on nodes of 5 need 13 concurrent executions; the account has 11 unreserved .* or run fewer ranks \(or more per node\)$/,
    );
    expect([128, 1769, 2654, 3538, 5307, 8845, 10240].map(defaultRanksPerNode)).toEqual([
      1, 1, 2, 2, 3, 5, 6,
    ]);
  });
});
