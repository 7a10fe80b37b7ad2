import { JobFailedError, UsageError } from '../../base/errors.js';
import { sleep } from '../../base/retry.js';
import { claimQueueName } from '../../runtime/lambda/claim-rank.js';
import type { RankJobRef } from '../../runtime/lambda/rank-event.js';
import { siblingQueueUrl } from '../../runtime/lambda/rank-event.js';
import { NodePlan } from '../../transport/node/node-plan.js';
import { deleteJobObjects, jobObjectPrefix } from '../../transport/sqs/job-objects.js';
import { createJobQueues, deleteJobQueues, NEW_QUEUE_SETTLE_MS } from '../../transport/sqs/job-queues.js';
import type { LaunchRequest, LaunchResult } from '../launcher.js';
import { newJobId } from '../sqs/sqs-launcher.js';
import { addCalls } from './add-calls.js';
import { type AwsClients, createAwsClients } from './aws-clients.js';
import { type Deployment, DeploymentError, findDeployment, outputsFileFrom } from './deployment.js';
import { type FanOutPlan, planFanOut } from './fan-out-model.js';
import { lambdaJobStats } from './lambda-job-stats.js';
import type { LambdaLauncherOptions } from './lambda-launcher-options.js';
import { LambdaRun } from './lambda-run.js';
import { checkConcurrency, defaultRanksPerNode, readConcurrency, readFunctionMemory } from './preflight.js';
import { type AwsService, explainSetupError } from './setup-error.js';
import { shipJob } from './ship-job.js';

/**
 * CreateQueue / DeleteQueue calls in flight at once. A 1,000-rank job creates 1,001 queues and
 * deletes 2,001 (its claims too): at one round trip each, this is what bounds setup and teardown.
 */
export const QUEUE_CONCURRENCY = 128;

/**
 * One launch of an aws job, phase by phase (see `lambda-launcher.ts`): what each phase created
 * is a field, so the teardown removes exactly that, whatever failed.
 */
export class LambdaJob {
  readonly jobId = newJobId();
  readonly #o: LambdaLauncherOptions;
  readonly #req: LaunchRequest;
  readonly #t0 = performance.now();
  /** Calls made from this machine, by action, for the cost report. */
  readonly #launcherCalls: Record<string, number> = {};
  readonly #timings: Record<string, number> = {};
  readonly #clientOptions: Parameters<typeof createAwsClients>[0];
  /** Discovery uses the given region (or the profile's); everything else the stack's. */
  readonly #discovery: AwsClients;
  #clients: AwsClients;
  #deployment: Deployment | undefined;
  #queues: { queueUrls: string[]; controlUrl: string } | undefined;
  #run: LambdaRun | undefined;
  /** How the ranks sit on invocations (one node per invocation); known after the preflight. */
  #nodes: NodePlan | undefined;

  constructor(options: LambdaLauncherOptions, req: LaunchRequest) {
    this.#o = options;
    this.#req = req;
    this.#clientOptions = {
      ...(options.profile === undefined ? {} : { profile: options.profile }),
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      maxSockets: Math.max(QUEUE_CONCURRENCY, options.invokeConcurrency ?? 64),
    };
    this.#discovery =
      options.clients ??
      createAwsClients({
        ...this.#clientOptions,
        ...(options.region === undefined ? {} : { region: options.region }),
      });
    this.#clients = this.#discovery;
  }

  /** Runs the job and always tears it down; failures carry the job's details. */
  async launch(): Promise<LaunchResult> {
    let result: LaunchResult | undefined;
    let error: unknown;
    try {
      const { deployment, plan } = await this.#preflight();
      const job = await this.#provision(deployment);
      this.#run = new LambdaRun({
        req: this.#req,
        nodes: this.#nodes!,
        clients: this.#clients,
        deployment,
        queues: this.#queues!,
        jobId: this.jobId,
        job,
        plan,
        invokeConcurrency: this.#o.invokeConcurrency ?? 64,
        waits: {
          stopGraceMs: this.#o.stopGraceMs ?? 5_000,
          deadlineGraceMs: this.#o.deadlineGraceMs ?? 10_000,
          timeoutGraceMs: this.#o.timeoutGraceMs ?? 3_000,
          startTimeoutMs: this.#o.startTimeoutMs ?? 90_000,
        },
      });
      result = await this.#run.run();
    } catch (err) {
      error = err;
    }
    const tTeardown = performance.now();
    await this.#teardown();
    const teardownMs = performance.now() - tTeardown;
    if (result === undefined) throw this.#withDetails(error, teardownMs);
    result.timings.teardownMs = teardownMs;
    result.timings.totalMs = performance.now() - this.#t0;
    Object.assign(result.timings, this.#timings);
    Object.assign(result.stats, this.#stats(result.stats.perRank));
    return result;
  }

  /** Nothing is created until the deployment can run every rank. */
  async #preflight(): Promise<{ deployment: Deployment; plan: FanOutPlan }> {
    const o = this.#o;
    const outputsFile = outputsFileFrom(o.outputsFile);
    const deployment = await findDeployment({
      cloudformation: this.#discovery.cloudformation,
      ...(o.stack === undefined ? {} : { stackName: o.stack }),
      ...(outputsFile === undefined ? {} : { outputsFile }),
    }).catch((err: unknown) => {
      throw this.#asUsage(err, 'reading the stack outputs (CloudFormation DescribeStacks)', 'CloudFormation');
    });
    this.#deployment = deployment;
    this.#launcherCalls.DescribeStacks = deployment.source === 'cloudformation' ? 1 : 0;
    if (o.region !== undefined && o.region !== deployment.region) {
      throw new UsageError(
        `stack ${deployment.stackName} is deployed in ${deployment.region}, not in --region ${o.region}: drop --region or name the right stack`,
      );
    }
    if (o.clients === undefined)
      this.#clients = createAwsClients({ ...this.#clientOptions, region: deployment.region });
    const concurrency = await readConcurrency(this.#clients.lambda(), deployment.rankFunctionName).catch(
      (err: unknown) => {
        if ((err as Error).name === 'ResourceNotFoundException') {
          throw new DeploymentError(
            `the rank function ${deployment.rankFunctionName} named by stack ${deployment.stackName} does not exist ` +
              `in ${deployment.region}: deploy the stack again with \`npx cdk deploy\` (or check --outputs-file)`,
          );
        }
        throw this.#asUsage(err, `reading the concurrency of ${deployment.rankFunctionName}`, 'Lambda');
      },
    );
    addCalls(this.#launcherCalls, { GetAccountSettings: 1, GetFunctionConcurrency: 1 });
    const nodes = new NodePlan(this.#req.ranks, await this.#ranksPerNode(deployment));
    this.#nodes = nodes;
    const copies = deployment.rankFunctionNames.length;
    checkConcurrency(this.#req.ranks, concurrency, deployment, nodes.ranksPerNode, copies);
    // The launcher (or the tree's heads) invokes nodes: one invocation each.
    const plan = planFanOut(
      nodes.nodes,
      {
        latencyMs: concurrency.latencyMs,
        clientConcurrency: o.invokeConcurrency ?? 64,
        accountConcurrency: Math.max(1, concurrency.accountLimit),
        // The launcher spreads its invocations over the copies (`fanOutEvents`), as modelled.
        functions: copies,
      },
      o.fanOut === undefined || o.fanOut === 'auto' ? undefined : o.fanOut,
    );
    this.#timings.preflightMs = performance.now() - this.#t0;
    return { deployment, plan };
  }

  /**
   * `--ranks-per-node`, else one rank per vCPU of the deployed function (its memory, read with
   * GetFunctionConfiguration; see `defaultRanksPerNode`).
   */
  async #ranksPerNode(deployment: Deployment): Promise<number> {
    if (this.#req.ranksPerNode !== undefined) return this.#req.ranksPerNode;
    const memoryMb = await readFunctionMemory(this.#clients.lambda(), deployment.rankFunctionName).catch(
      (err: unknown) => {
        throw this.#asUsage(err, `reading the memory size of ${deployment.rankFunctionName}`, 'Lambda');
      },
    );
    addCalls(this.#launcherCalls, { GetFunctionConfiguration: 1 });
    return defaultRanksPerNode(memoryMb);
  }

  /** Ships the job and creates the queues (one per node), side by side. */
  async #provision(deployment: Deployment): Promise<RankJobRef> {
    const req = this.#req;
    const nodes = this.#nodes!.nodes;
    const tShip = performance.now();
    let queuesUsableAt = 0;
    const [shipped, created] = await Promise.allSettled([
      shipJob(req.job, this.#clients.s3(), deployment.bucketName),
      createJobQueues({
        client: this.#clients.sqs(),
        prefix: deployment.queuePrefix,
        jobId: this.jobId,
        size: nodes,
        control: true,
        concurrency: QUEUE_CONCURRENCY,
      }).then((queues) => {
        // Every CreateQueue returned before this point: AWS's one second counts from here.
        queuesUsableAt = performance.now() + NEW_QUEUE_SETTLE_MS;
        return queues;
      }),
    ]);
    if (created.status === 'fulfilled')
      this.#queues = created.value as { queueUrls: string[]; controlUrl: string };
    if (shipped.status === 'rejected')
      throw this.#asUsage(shipped.reason, `uploading the job to s3://${deployment.bucketName}`, 'S3');
    if (created.status === 'rejected') throw this.#asUsage(created.reason, 'creating the job queues');
    addCalls(this.#launcherCalls, shipped.value.calls);
    addCalls(this.#launcherCalls, { CreateQueue: nodes + 1, GetQueueAttributes: nodes + 1 });
    // A rank's first calls (its liveness check and reports on the control queue) must not meet a
    // queue too new to use: they would read QueueDoesNotExist as "the job is gone".
    await sleep(Math.max(0, queuesUsableAt - performance.now()));
    this.#timings.shipAndQueuesMs = performance.now() - tShip;
    return shipped.value.ref;
  }

  /** Always: stop invoking and following, delete every queue of the job (claims too) and its payloads. */
  async #teardown(): Promise<void> {
    await this.#run?.stop();
    const d = this.#deployment;
    const q = this.#queues;
    const nodes = this.#nodes;
    if (q !== undefined && d !== undefined && nodes !== undefined) {
      // A node is claimed by the claim queue of its first rank.
      const claims = Array.from({ length: nodes.nodes }, (_, n) =>
        siblingQueueUrl(q.controlUrl, claimQueueName(d.queuePrefix, this.jobId, nodes.firstRank(n))),
      );
      await Promise.all([
        deleteJobQueues({
          client: this.#clients.sqs(),
          queueUrls: [...q.queueUrls, ...claims],
          controlUrl: q.controlUrl,
          concurrency: QUEUE_CONCURRENCY,
        })
          .then(() => addCalls(this.#launcherCalls, { DeleteQueue: 2 * nodes.nodes + 1 }))
          .catch((err: unknown) => {
            process.emitWarning(
              `tsmpi-cloud: ${(err as Error).message}; the stack's sweeper deletes them once they are older than its maximum job age`,
            );
          }),
        deleteJobObjects({ s3: this.#clients.s3(), bucket: d.bucketName, jobId: this.jobId })
          .then(() => addCalls(this.#launcherCalls, { ListObjectsV2: 1 }))
          .catch((err: unknown) => {
            process.emitWarning(
              `tsmpi-cloud: could not delete the job's payloads under s3://${d.bucketName}/${jobObjectPrefix(this.jobId)}: ${(err as Error).message}; the bucket's lifecycle rule expires them`,
            );
          }),
      ]);
    }
    if (this.#o.clients === undefined) {
      this.#clients.destroy();
      this.#discovery.destroy();
    }
  }

  /** A failed run's `JobFailedError` gains the job id, the teardown time and the stats so far. */
  #withDetails(error: unknown, teardownMs: number): unknown {
    if (!(error instanceof JobFailedError) || this.#run === undefined) return error;
    return new JobFailedError(error.rank, error.cause as Error, {
      ...(error.errorcode === undefined ? {} : { errorcode: error.errorcode }),
      details: { jobId: this.jobId, teardownMs, stats: this.#stats(undefined) },
    });
  }

  #stats(perRank: LaunchResult['stats']['perRank'] | undefined) {
    return lambdaJobStats({
      ranks: this.#req.ranks,
      nodes: this.#nodes!,
      run: this.#run!,
      launcherCalls: this.#launcherCalls,
      deployment: this.#deployment!,
      perRank,
    });
  }

  /** {@link explainSetupError} with the launcher's endpoint and region. */
  #asUsage(err: unknown, action: string, service: AwsService = 'SQS'): Error {
    const explained = explainSetupError(err, {
      action,
      service,
      ...(this.#o.endpoint === undefined ? {} : { endpoint: this.#o.endpoint }),
      ...(this.#o.region === undefined ? {} : { region: this.#o.region }),
      ...(this.#o.profile === undefined ? {} : { profile: this.#o.profile }),
    });
    // Before a rank runs, what fails is the setup: the doctor checks all of it in one go.
    if (!explained.message.includes('tsmpi-cloud doctor')) {
      explained.message +=
        '; `tsmpi-cloud doctor` checks the whole setup (region, credentials, stack, permissions)';
    }
    return explained;
  }
}
