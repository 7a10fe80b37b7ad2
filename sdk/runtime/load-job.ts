import { TsmpiError } from '../base/errors.js';
import { isJob, type Job, type JobFunction } from '../jobs/define-job.js';

/** The job module could not be used: missing default export, not a job. */
export class JobLoadError extends TsmpiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('JOB_LOAD', message, options);
    this.name = 'JobLoadError';
  }
}

/** Imports a job module by URL and returns its job (a `defineJob` value, or a bare function). */
export async function loadJob(url: string, displayName = url): Promise<Job> {
  const mod = (await import(url)) as { default?: unknown };
  const def = mod.default;
  if (isJob(def)) return def;
  if (typeof def === 'function') {
    // A class cannot be called as a job function: say so now, not as a failure on every rank.
    if (/^class\b/.test(Function.prototype.toString.call(def))) {
      throw new JobLoadError(
        `job ${displayName}: its default export is a class (${def.name || 'anonymous'}), not a job: export default defineJob(async (comm, args) => { ... }) and use the class inside it`,
      );
    }
    return { fn: def as JobFunction } as Job;
  }
  if (def === undefined) {
    throw new JobLoadError(
      `job ${displayName} has no default export: end it with \`export default defineJob(async (comm, args) => { ... })\``,
    );
  }
  const what = def === null ? 'null' : `${/^[aeiou]/.test(typeof def) ? 'an' : 'a'} ${typeof def}`;
  throw new JobLoadError(
    `job ${displayName}: its default export is ${what}, not a job: wrap the body in defineJob(async (comm, args) => { ... })`,
  );
}
