/**
 * The rank function: one invocation runs one rank of a job (see `sdk/runtime/lambda/rank-handler.ts`).
 *
 * Invoked asynchronously by `tsmpi-cloud run --backend aws` (or by a head rank of a fan-out
 * tree) with a `RankEvent`; reports to the launcher over the job's control queue. The clients
 * are created at module scope, so warm invocations reuse their connections; the configuration
 * is read, once, from the environment the stack sets.
 */
import type { Context } from 'aws-lambda';
import * as jobApi from '../sdk/rank-entry.js';
import { readRankClientEnvironment, readRankEnvironment } from '../sdk/runtime/lambda/rank-environment.js';
import { createRankHandler, type RankInvocationResult } from '../sdk/runtime/lambda/rank-handler.js';
import { StrayErrorGuard } from '../sdk/runtime/lambda/stray-error-guard.js';
import { createSqsClients } from '../sdk/transport/sqs/clients.js';

// First, at module init: no moment of this environment's life without a listener for errors
// nothing handles (aws-lambda-ric 4 registers none, and such an error would end it unreported).
const rawWrite = process.stdout.write.bind(process.stdout);
StrayErrorGuard.install((line) => void rawWrite(`${line}\n`));

const clientEnv = readRankClientEnvironment();
const { sqs, s3 } = createSqsClients({
  ...(clientEnv.endpoint === undefined ? {} : { endpoint: clientEnv.endpoint }),
  ...(clientEnv.region === undefined ? {} : { region: clientEnv.region }),
  // One rank per environment: a few long polls and its sends, never hundreds of sockets.
  maxSockets: 64,
});

let lambdaClient: Promise<import('@aws-sdk/client-lambda').LambdaClient> | undefined;
/** Only fan-out tree heads invoke ranks; the others never load the Lambda client. */
const lambda = () =>
  (lambdaClient ??= import('@aws-sdk/client-lambda').then(
    ({ LambdaClient }) =>
      new LambdaClient(clientEnv.region === undefined ? {} : { region: clientEnv.region }),
  ));

/**
 * The worker entry of nodes (several ranks per invocation), bundled next to this file as
 * `node-worker.mjs` (`scripts/bundle-functions.mjs`): the function code needs no node_modules.
 */
const nodeWorkerUrl = new URL('./node-worker.mjs', import.meta.url);

let rank: ReturnType<typeof createRankHandler> | undefined;

/** The Lambda entry point. */
export async function handler(event: unknown, context: Context): Promise<RankInvocationResult> {
  rank ??= createRankHandler({
    sqs,
    s3,
    lambda,
    jobApi,
    env: readRankEnvironment(),
    nodeWorkerUrl,
    ...(clientEnv.region === undefined ? {} : { region: clientEnv.region }),
    ...(clientEnv.endpoint === undefined ? {} : { endpoint: clientEnv.endpoint }),
  });
  return rank(event, context);
}
