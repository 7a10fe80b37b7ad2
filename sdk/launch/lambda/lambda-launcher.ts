/**
 * The aws backend: every node (K ranks, one worker thread each, sharing memory; K = 1 by
 * default at 1,769 MB) is one asynchronous invocation of the deployed rank function, and every
 * message between nodes travels over the job's SQS queues.
 *
 *   preflight   find the stack (outputs file or CloudFormation), pick K (--ranks-per-node, else
 *               one per vCPU of the function's memory), check the account's and the function's
 *               concurrency can hold every node at once — before creating anything
 *   ship        built-in jobs by name; job files uploaded to the bucket by content hash
 *   queues      one per node plus the control queue
 *   fan out     `Invoke` (Event) of each node from here, or through a two-level tree (fan-out-model.ts)
 *   follow      the control queue: started / output / done / failed, in order per rank
 *   stop        on the first failure, a timeout or Ctrl-C: an Abort frame to every rank (through
 *               its node's queue), then a short wait for the ranks to say they stopped
 *   teardown    always: delete every queue of the job (node claims included) and its payloads
 */
import { checkOptions } from '../../base/check-options.js';
import { checkEndpointOption } from '../../base/emulator-defaults.js';
import { UsageError } from '../../base/errors.js';
import type { Launcher, LaunchRequest, LaunchResult } from '../launcher.js';
import { outputsFileFrom } from './deployment.js';
import { LambdaJob } from './lambda-job.js';
import type { LambdaLauncherOptions } from './lambda-launcher-options.js';

export type { LambdaLauncherOptions } from './lambda-launcher-options.js';

const OPTION_KEYS = new Set([
  'region',
  'profile',
  'stack',
  'outputsFile',
  'endpoint',
  'fanOut',
  'invokeConcurrency',
  'startTimeoutMs',
  'stopGraceMs',
  'deadlineGraceMs',
  'timeoutGraceMs',
  'clients',
]);

/**
 * Runs each node of ranks as one Lambda invocation of the deployed stack. See the module comment for the
 * phases; every failure before the ranks start (no stack, no credentials, too little
 * concurrency) is a `UsageError` thrown before anything is created.
 *
 * @example
 * const res = await createLambdaLauncher({ stack: 'TsmpiCloud' }).launch(req);
 */
export class LambdaLauncher implements Launcher {
  readonly backend = 'aws' as const;
  readonly #o: LambdaLauncherOptions;

  constructor(options: LambdaLauncherOptions = {}) {
    checkOptions('LambdaLauncher', options, OPTION_KEYS);
    if (options.fanOut !== undefined && !['auto', 'client', 'tree'].includes(options.fanOut)) {
      throw new UsageError(
        `Expected \`fanOut\` to be auto, client or tree, got \`${String(options.fanOut)}\``,
      );
    }
    checkEndpointOption(options.endpoint);
    this.#o = options;
  }

  async launch(req: LaunchRequest): Promise<LaunchResult> {
    return new LambdaJob(this.#o, req).launch();
  }
}

/**
 * The aws launcher for `run()`: region, profile, stack and endpoint from the run options; the
 * outputs file from TSMPI_OUTPUTS_FILE (the CLI's `--outputs-file` sets it).
 */
export function createLambdaLauncher(options: {
  region?: string;
  profile?: string;
  stack?: string;
  endpoint?: string;
}): LambdaLauncher {
  const o: LambdaLauncherOptions = {};
  if (options.region !== undefined) o.region = options.region;
  if (options.profile !== undefined) o.profile = options.profile;
  if (options.stack !== undefined) o.stack = options.stack;
  if (options.endpoint !== undefined) o.endpoint = options.endpoint;
  const outputsFile = outputsFileFrom(undefined);
  if (outputsFile !== undefined) o.outputsFile = outputsFile;
  return new LambdaLauncher(o);
}
