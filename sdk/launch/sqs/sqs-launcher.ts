import { randomBytes } from 'node:crypto';
import { checkEndpointOption } from '../../base/emulator-defaults.js';
import { UsageError } from '../../base/errors.js';
import { SQS_STANDARD_USD_PER_REQUEST } from '../../base/prices.js';
import { ENV } from '../../base/stack-contract.js';
import { NodePlan } from '../../transport/node/node-plan.js';
import { createSqsClients, explainAwsError } from '../../transport/sqs/clients.js';
import { createJobBucket, deleteJobBucket } from '../../transport/sqs/job-bucket.js';
import { deleteJobObjects, jobObjectPrefix } from '../../transport/sqs/job-objects.js';
import { createJobQueues, deleteJobQueues } from '../../transport/sqs/job-queues.js';
import type { Launcher, LaunchRequest, LaunchResult } from '../launcher.js';
import { ThreadLauncher } from '../local/local-launcher.js';
import { type SqsNodeRouters, startSqsNodeRouters } from './sqs-node-routers.js';

export interface SqsLauncherOptions {
  /** SQS/S3 endpoint (an emulator such as fauxqs or LocalStack); default: AWS. */
  endpoint?: string;
  region?: string;
  /** Queue name prefix: queues are `<prefix>-<jobId>-<rank>`. */
  queuePrefix?: string;
  /** Bucket for payloads over the SQS size limit; default: a bucket made for the job and removed after it. */
  bucket?: string;
  /** Benchmarks: delay every SQS call by a log-normal draw with these quantiles. */
  latency?: { p50Ms: number; p99Ms: number };
}

/** A short job id, unique enough for queue names: time (base 36) + random. */
export function newJobId(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/**
 * The sqs backend: ranks are worker threads of this process, every message travels over SQS — the
 * data path of the cloud, on a laptop. With `ranksPerNode` K > 1, K threads form a node: they
 * share memory, and nodes talk over one queue each, received by one router per node in this
 * (the launcher's) thread, which writes the frames into the ranks' rings. The job's queues (and, if none was named, its payload
 * bucket) are created before the ranks start and deleted when the job ends, whatever happened.
 */
export class SqsLauncher implements Launcher {
  readonly backend = 'sqs' as const;
  readonly #options: SqsLauncherOptions;

  constructor(options: SqsLauncherOptions = {}) {
    checkEndpointOption(options.endpoint);
    this.#options = options;
  }

  async launch(req: LaunchRequest): Promise<LaunchResult> {
    const o = this.#options;
    const clientOptions: Parameters<typeof createSqsClients>[0] = {};
    if (o.endpoint !== undefined) clientOptions.endpoint = o.endpoint;
    if (o.region !== undefined) clientOptions.region = o.region;
    const { sqs, s3 } = createSqsClients(clientOptions);
    const jobId = newJobId();
    const prefix = o.queuePrefix ?? 'tsmpi';
    // One queue per node; with one rank per node (the default) that is one queue per rank.
    const plan = new NodePlan(req.ranks, req.ranksPerNode ?? 1);
    const byNode = plan.ranksPerNode > 1;
    const t0 = performance.now();
    let queueUrls: string[] = [];
    let bucket = o.bucket;
    let ownBucket = false;
    let routers: SqsNodeRouters | undefined;
    try {
      try {
        ({ queueUrls } = await createJobQueues({ client: sqs, prefix, jobId, size: plan.nodes }));
      } catch (err) {
        throw asUsage(err, o);
      }
      if (bucket === undefined) {
        // Undefined when refused: frames over the SQS limit will fail with a message that says so.
        bucket = await createJobBucket({ s3, prefix, jobId });
        ownBucket = bucket !== undefined;
      }
      const queuesMs = performance.now() - t0;
      const queues = {
        jobId,
        ...(bucket === undefined ? {} : { bucket }),
        ...(o.latency === undefined ? {} : { latency: o.latency }),
      };
      if (byNode) {
        routers = startSqsNodeRouters({
          plan,
          queues: {
            ...queues,
            nodeUrls: queueUrls,
            sqs,
            ...(bucket === undefined ? {} : { s3 }),
            binaryAccounting: o.endpoint === undefined ? 'raw' : 'base64',
          },
        });
      }
      const spec = {
        kind: 'sqs' as const,
        queueUrls,
        ...queues,
        ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint }),
        ...(o.region === undefined ? {} : { region: o.region }),
        ...(routers === undefined
          ? {}
          : { nodes: { ranksPerNode: plan.ranksPerNode, fabrics: routers.fabrics } }),
      };
      const res = await new ThreadLauncher(() => spec).launch(req, routers?.watch);
      res.timings.queuesMs = queuesMs;
      // The launcher's own calls: one CreateQueue and one DeleteQueue per node (per rank by default).
      res.stats.calls.CreateQueue = (res.stats.calls.CreateQueue ?? 0) + plan.nodes;
      res.stats.calls.DeleteQueue = (res.stats.calls.DeleteQueue ?? 0) + plan.nodes;
      res.stats.costUsd = (res.stats.costUsd ?? 0) + 2 * plan.nodes * SQS_STANDARD_USD_PER_REQUEST;
      res.stats.queues = plan.nodes;
      if (routers !== undefined) {
        await routers.close();
        const r = routers.stats();
        for (const [k, v] of Object.entries(r.calls)) res.stats.calls[k] = (res.stats.calls[k] ?? 0) + v;
        res.stats.costUsd += r.costUsd;
        res.stats.nodes = { ranksPerNode: plan.ranksPerNode, nodes: plan.nodes, routers: r.perNode };
      }
      return res;
    } finally {
      await routers?.close();
      await cleanup({ sqs, s3, queueUrls, bucket, ownBucket, jobId });
      sqs.destroy();
      s3.destroy();
    }
  }
}

async function cleanup(c: {
  sqs: ReturnType<typeof createSqsClients>['sqs'];
  s3: ReturnType<typeof createSqsClients>['s3'];
  queueUrls: string[];
  bucket: string | undefined;
  ownBucket: boolean;
  jobId: string;
}): Promise<void> {
  // What could not be deleted is said (nothing sweeps up after this backend), not thrown: the
  // job's own outcome stands.
  const warn = (what: string, err: unknown) =>
    process.emitWarning(`tsmpi-cloud: ${what}: ${(err as Error).message}; delete what is left by hand`);
  const work: Promise<unknown>[] = [];
  if (c.queueUrls.length > 0) {
    work.push(
      deleteJobQueues({ client: c.sqs, queueUrls: c.queueUrls }).catch((err: unknown) =>
        warn(`job ${c.jobId} left queues behind`, err),
      ),
    );
  }
  if (c.bucket !== undefined) {
    const bucket = c.bucket;
    work.push(
      deleteJobObjects({ s3: c.s3, bucket, jobId: c.jobId })
        .then(() => (c.ownBucket ? deleteJobBucket({ s3: c.s3, bucket }) : undefined))
        .catch((err: unknown) =>
          warn(
            `job ${c.jobId} left ${c.ownBucket ? `its bucket s3://${bucket}` : `payloads in s3://${bucket}/${jobObjectPrefix(c.jobId)}`} behind`,
            err,
          ),
        ),
    );
  }
  await Promise.all(work);
}

/** Failures of the set-up that are the user's to fix (UsageError: exit 2 with what to set). */
const SETUP_FAILURES = new Set(['UNREACHABLE', 'NO_REGION', 'BAD_CREDENTIALS', 'ACCESS_DENIED']);

/**
 * Setup failures (no endpoint, no region, bad credentials, no permission) are the user's to fix:
 * exit 2 with what to set. Others (throttling or 5xx past the retries) stay the service's: exit 1.
 */
function asUsage(err: unknown, o: SqsLauncherOptions): Error {
  const ctx: Parameters<typeof explainAwsError>[1] = { action: 'CreateQueue', service: 'SQS' };
  if (o.endpoint !== undefined) ctx.endpoint = o.endpoint;
  if (o.region !== undefined) ctx.region = o.region;
  const explained = explainAwsError(err, ctx);
  return SETUP_FAILURES.has(explained.code) ? new UsageError(explained.message) : explained;
}

export function createSqsLauncher(options: {
  endpoint?: string;
  region?: string;
  latency?: { p50Ms: number; p99Ms: number };
}): SqsLauncher {
  const o: SqsLauncherOptions = {};
  const endpoint = options.endpoint ?? process.env[ENV.sqsEndpoint];
  if (endpoint !== undefined) o.endpoint = endpoint;
  if (options.region !== undefined) o.region = options.region;
  if (options.latency !== undefined) o.latency = options.latency;
  return new SqsLauncher(o);
}
