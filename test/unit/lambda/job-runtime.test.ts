import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../sdk/base/errors.js';
import * as root from '../../../sdk/index.js';
import { BUILTIN_JOBS } from '../../../sdk/jobs/registry.js';
import * as jobRuntime from '../../../sdk/rank-entry.js';
import {
  BUILTIN_JOB_MODULES,
  loadBuiltinJob,
  runtimeShimSource,
} from '../../../sdk/runtime/lambda/job-module.js';

describe('what user jobs import as tsmpi-cloud on Lambda', () => {
  it('has exactly the root entry exports, the same objects, with run() replaced by a stub', async () => {
    const runtimeExports = new Map(Object.entries(jobRuntime));
    const rootExports = new Map(Object.entries(root));
    expect([...runtimeExports.keys()].sort()).toEqual([...rootExports.keys()].sort());
    for (const [key, value] of rootExports) {
      if (key !== 'run') expect(runtimeExports.get(key), key).toBe(value);
    }
    await expect(jobRuntime.run()).rejects.toBeInstanceOf(UsageError);
  });

  it('ships every built-in job in the function bundle', async () => {
    expect(Object.keys(BUILTIN_JOB_MODULES).sort()).toEqual(Object.keys(BUILTIN_JOBS).sort());
    for (const name of Object.keys(BUILTIN_JOBS))
      expect(typeof (await loadBuiltinJob(name)).fn).toBe('function');
    await expect(loadBuiltinJob('nope')).rejects.toThrow(/built-in job `nope` is not in this rank function/);
  });

  it('writes a shim that re-exports the runtime from the global handle', () => {
    const src = runtimeShimSource(['SUM', 'defineJob']);
    expect(src).toContain("globalThis[Symbol.for('tsmpi-cloud.runtime')]");
    expect(src).toContain('export const { SUM, defineJob } = runtime;');
    expect(() => runtimeShimSource(['a-b'])).toThrow(/not an identifier/);
  });
});
