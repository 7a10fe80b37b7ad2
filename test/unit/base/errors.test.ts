import { describe, expect, it } from 'vitest';
import { SweepError, SweeperConfigError } from '../../../functions/sweeper.js';
import { TsmpiCloudPropsError } from '../../../infra/tsmpi-cloud-props.js';
import {
  ERR_RANK,
  JobFailedError,
  MPIError,
  OptionsError,
  TsmpiError,
  UsageError,
} from '../../../sdk/base/errors.js';
import { describeError, reviveError } from '../../../sdk/base/rank-error-info.js';
import { DeploymentError } from '../../../sdk/launch/lambda/deployment.js';
import { ConcurrencyError } from '../../../sdk/launch/lambda/preflight.js';
import { BadReportError } from '../../../sdk/runtime/lambda/control-report.js';
import { RankInvokeError } from '../../../sdk/runtime/lambda/invoke-ranks.js';
import { RankExitError } from '../../../sdk/runtime/lambda/job-sandbox.js';
import { RankEnvironmentError } from '../../../sdk/runtime/lambda/rank-environment.js';
import { RankEventError } from '../../../sdk/runtime/lambda/rank-event.js';
import { JobLoadError } from '../../../sdk/runtime/load-job.js';
import { MemoryTransportError } from '../../../sdk/transport/memory/memory-transport-error.js';
import { SqsTransportError } from '../../../sdk/transport/sqs/errors.js';

describe('the error hierarchy', () => {
  const cause = new Error('underneath');
  const errors: [Error, string, string][] = [
    [new MPIError(ERR_RANK, 'm'), 'MPIError', 'ERR_RANK'],
    [new JobFailedError(3, cause), 'JobFailedError', 'JOB_FAILED'],
    [new UsageError('m'), 'UsageError', 'USAGE'],
    [new OptionsError('m'), 'OptionsError', 'BAD_OPTIONS'],
    [new DeploymentError('m'), 'DeploymentError', 'DEPLOYMENT_NOT_FOUND'],
    [new ConcurrencyError('m', 4, 2), 'ConcurrencyError', 'CONCURRENCY_SHORT'],
    [new BadReportError('m'), 'BadReportError', 'BAD_REPORT'],
    [new RankInvokeError(1, 'm', { cause }), 'RankInvokeError', 'RANK_INVOKE_FAILED'],
    [new RankEnvironmentError('m'), 'RankEnvironmentError', 'RANK_ENVIRONMENT'],
    [new RankEventError('m'), 'RankEventError', 'BAD_RANK_EVENT'],
    [new RankExitError(1, 0), 'RankExitError', 'RANK_EXIT'],
    [new JobLoadError('m', { cause }), 'JobLoadError', 'JOB_LOAD'],
    [new MemoryTransportError('PEER_CLOSED', 'm'), 'MemoryTransportError', 'PEER_CLOSED'],
    [new SqsTransportError('QUEUE_GONE', 'm', { cause }), 'SqsTransportError', 'QUEUE_GONE'],
    [new SweeperConfigError('m'), 'SweeperConfigError', 'SWEEPER_CONFIG'],
    [
      new SweepError({ scanned: 1, deleted: [], failed: [{ queue: 'q', error: 'e' }] }),
      'SweepError',
      'SWEEP_FAILED',
    ],
    [new TsmpiCloudPropsError('m'), 'TsmpiCloudPropsError', 'INVALID_PROPS'],
  ];

  it.each(errors)('%s is a TsmpiError named %s with the string code %s', (err, name, code) => {
    expect(err).toBeInstanceOf(TsmpiError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe(name);
    expect((err as TsmpiError).code).toBe(code);
  });

  it('keeps the wrapped failure as cause', () => {
    for (const [err] of errors) {
      if (err instanceof JobFailedError || err instanceof RankInvokeError || err instanceof JobLoadError)
        expect(err.cause).toBe(cause);
    }
  });

  it('keeps the classes the public entries throw apart: a DeploymentError is a UsageError, an MPIError is not', () => {
    expect(new DeploymentError('m')).toBeInstanceOf(UsageError);
    expect(new OptionsError('m')).toBeInstanceOf(UsageError);
    expect(new MPIError(ERR_RANK, 'm')).not.toBeInstanceOf(UsageError);
  });

  it('revives an MPIError reported by another rank with its class and code', () => {
    const revived = reviveError(describeError(2, new MPIError(ERR_RANK, 'bad rank')));
    expect(revived).toBeInstanceOf(MPIError);
    expect((revived as MPIError).code).toBe('ERR_RANK');
  });

  it("revives JavaScript's own error classes as themselves, and other errors by name", () => {
    const type = reviveError(describeError(1, new TypeError('x is not a function')));
    expect(type).toBeInstanceOf(TypeError);
    expect([type.name, type.message]).toEqual(['TypeError', 'x is not a function']);
    expect(reviveError(describeError(1, new RangeError('r')))).toBeInstanceOf(RangeError);
    class MyError extends Error {
      override name = 'MyError';
    }
    const mine = reviveError(describeError(1, new MyError('m')));
    expect([mine.constructor, mine.name, mine.message]).toEqual([Error, 'MyError', 'm']);
  });
});
