/**
 * TEST-ONLY: a tiny stand-in for the AWS Lambda API, on 127.0.0.1, that runs the real rank
 * function bundle. It is not a Lambda emulator and must never be used outside tests.
 *
 * It speaks just enough of the Lambda REST API for the launcher, the rank function's fan-out
 * tree and `tsmpi-cloud doctor`:
 *
 *   POST /2015-03-31/functions/{name}/invocations   Invoke: `X-Amz-Invocation-Type: Event` → 202,
 *                                                    RequestResponse → 200 with the result
 *   GET  /2016-08-19/account-settings                GetAccountSettings
 *   GET  /2019-09-30/functions/{name}/concurrency    GetFunctionConcurrency
 *   GET  /2015-03-31/functions/{name}/configuration  GetFunctionConfiguration
 *   GET  /2015-03-31/functions/{name}                GetFunction
 *
 * Each invocation runs in a fresh worker thread (always a cold start): the worker imports the
 * bundle, then calls `handler(event, context)` exactly as Lambda's Node runtime would, with a
 * context whose `getRemainingTimeInMillis()` counts down from the function timeout. At the
 * timeout (plus `killGraceMs`, default 0) the worker is terminated, as Lambda kills a timed-out
 * invocation. Async events wait
 * while the concurrency limit is reached (Lambda's own queue does the same), and can be
 * delivered twice on purpose (Lambda's async queue delivers at least once).
 *
 * Point an SDK LambdaClient at it with `endpoint: lambdaEndpoint.url`, or set
 * `AWS_ENDPOINT_URL_LAMBDA` (the rank function's own client, for fan-out trees, gets that).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';

export interface LambdaConcurrency {
  /** The account's concurrency quota (GetAccountSettings AccountLimit.ConcurrentExecutions). */
  account: number;
  /** What is left unreserved (AccountLimit.UnreservedConcurrentExecutions). */
  unreserved: number;
  /** The function's reserved concurrency (GetFunctionConcurrency); undefined for none. */
  reserved?: number;
}

export interface LambdaEndpointOptions {
  /** File URL of the rank function bundle (see `buildRankBundle`). */
  bundleUrl: string;
  functionName: string;
  /**
   * Further names served by the same bundle and configuration: copies of the rank function
   * (`rankFunctionCopies`). Each invocation runs with its own function's AWS_LAMBDA_FUNCTION_NAME
   * and records it. Concurrency is one pool for all of them.
   */
  copyNames?: readonly string[];
  region?: string;
  /** The function's timeout: the countdown of `getRemainingTimeInMillis()`. Default 60 s. */
  timeoutMs?: number;
  /**
   * How long after the countdown ran out the worker is terminated. Default 0: at the timeout, as
   * Lambda does. A test of a rank stopping itself before its deadline sets it generously, so
   * that how fast a loaded machine lets the rank send its report cannot decide the outcome.
   */
  killGraceMs?: number;
  memoryMb?: number;
  /** The function's environment (TSMPI_QUEUE_PREFIX, TSMPI_BUCKET, TSMPI_STACK, TSMPI_SQS_ENDPOINT). */
  environment: Record<string, string>;
  concurrency?: Partial<LambdaConcurrency>;
  /** Deliver this async event a second time, at the same moment as the first. Default: never. */
  duplicate?: (event: Record<string, unknown>) => boolean;
}

export type InvocationOutcome =
  | { kind: 'returned'; value: unknown }
  | { kind: 'threw'; message: string }
  /** Terminated at the function timeout, as Lambda kills a timed-out invocation. */
  | { kind: 'killed' }
  /** The handler ended the process (Lambda: Runtime.ExitError; the environment is not reused). */
  | { kind: 'exited'; code: number };

export interface Invocation {
  requestId: string;
  /** The function invoked (`functionName` or one of `copyNames`). */
  functionName: string;
  event: Record<string, unknown>;
  /** 1 for the first delivery of an event, 2 for the deliberate duplicate. */
  delivery: 1 | 2;
  outcome?: InvocationOutcome;
  /** What the invocation wrote to stdout/stderr (its CloudWatch log). */
  logs: string;
}

export interface LambdaEndpoint {
  url: string;
  /** Every invocation so far, in the order they started. */
  readonly invocations: readonly Invocation[];
  /** Mutable: what GetAccountSettings / GetFunctionConcurrency answer and how many run at once. */
  concurrency: LambdaConcurrency;
  /** Mutable: the function timeout of invocations started from now on. */
  timeoutMs: number;
  /**
   * Mutable: how long after its deadline an invocation started from now on is killed. Lambda
   * kills at the deadline (0, the default). A test of what a rank does *at* its deadline sets
   * more, so that a loaded machine, not the behaviour, cannot decide whether the rank's stop
   * report beats the kill; `getRemainingTimeInMillis()` still counts down to the deadline.
   */
  killGraceMs: number;
  duplicate: ((event: Record<string, unknown>) => boolean) | undefined;
  /** Resolves once no invocation is queued or running. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Runs in the worker: import the bundle, call the handler like Lambda's runtime. */
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  const { handler } = await import(workerData.bundleUrl);
  const deadline = Date.now() + workerData.timeoutMs;
  parentPort.postMessage({ kind: 'invoking', deadline });
  const context = {
    awsRequestId: workerData.requestId,
    functionName: workerData.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: workerData.functionArn,
    memoryLimitInMB: String(workerData.memoryMb),
    logGroupName: '/aws/lambda/' + workerData.functionName,
    logStreamName: 'test',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const value = await handler(workerData.event, context);
    parentPort.postMessage({ kind: 'returned', value });
  } catch (error) {
    parentPort.postMessage({ kind: 'threw', message: String((error && error.stack) || error) });
  }
})().catch((error) => parentPort.postMessage({ kind: 'threw', message: 'init: ' + String((error && error.stack) || error) }));
`;

/** Starts the endpoint on a random port of 127.0.0.1. */
export async function startLambdaEndpoint(options: LambdaEndpointOptions): Promise<LambdaEndpoint> {
  const region = options.region ?? 'us-east-1';
  const memoryMb = options.memoryMb ?? 1769;
  const arnOf = (name: string) => `arn:aws:lambda:${region}:000000000000:function:${name}`;
  const served = [options.functionName, ...(options.copyNames ?? [])];
  const invocations: Invocation[] = [];
  const waiting: Invocation[] = [];
  const workers = new Set<Worker>();
  const events = new EventEmitter();
  let running = 0;
  let url = '';

  const endpoint: LambdaEndpoint = {
    url: '',
    invocations,
    concurrency: { account: 1000, unreserved: 1000, ...options.concurrency },
    timeoutMs: options.timeoutMs ?? 60_000,
    killGraceMs: options.killGraceMs ?? 0,
    duplicate: options.duplicate,
    idle() {
      if (running === 0 && waiting.length === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const check = () => {
          if (running === 0 && waiting.length === 0) {
            events.off('settled', check);
            resolve();
          }
        };
        events.on('settled', check);
      });
    },
    async close() {
      for (const w of workers) await w.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const limit = () => endpoint.concurrency.reserved ?? endpoint.concurrency.unreserved;

  function runInvocation(inv: Invocation): Promise<InvocationOutcome> {
    running++;
    invocations.push(inv);
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // The stack sets NODE_OPTIONS=--enable-source-maps on the function.
      execArgv: ['--enable-source-maps'],
      stdout: true,
      stderr: true,
      workerData: {
        bundleUrl: options.bundleUrl,
        event: inv.event,
        timeoutMs: endpoint.timeoutMs,
        memoryMb,
        requestId: inv.requestId,
        functionName: inv.functionName,
        functionArn: arnOf(inv.functionName),
      },
      env: {
        PATH: process.env.PATH ?? '',
        ...options.environment,
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_LAMBDA_FUNCTION_NAME: inv.functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
        AWS_ENDPOINT_URL_LAMBDA: url,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    });
    const killGraceMs = endpoint.killGraceMs;
    workers.add(worker);
    worker.stdout.on('data', (d: Buffer) => (inv.logs += d.toString()));
    worker.stderr.on('data', (d: Buffer) => (inv.logs += d.toString()));
    return new Promise<InvocationOutcome>((resolve) => {
      let killTimer: ReturnType<typeof setTimeout> | undefined;
      const settle = (outcome: InvocationOutcome) => {
        if (inv.outcome !== undefined) return;
        inv.outcome = outcome;
        if (killTimer !== undefined) clearTimeout(killTimer);
        // Lambda freezes the environment when the handler returns; here it simply goes away.
        void worker.terminate().then(() => {
          workers.delete(worker);
          running--;
          resolve(outcome);
          startWaiting();
          events.emit('settled');
        });
      };
      worker.on('message', (m: { kind: string; deadline?: number; value?: unknown; message?: string }) => {
        if (m.kind === 'invoking') {
          killTimer = setTimeout(
            () => settle({ kind: 'killed' }),
            Math.max(0, (m.deadline ?? 0) + killGraceMs - Date.now()),
          );
        } else if (m.kind === 'returned') settle({ kind: 'returned', value: m.value });
        else if (m.kind === 'threw') settle({ kind: 'threw', message: m.message ?? '' });
      });
      worker.on('error', (err) => settle({ kind: 'threw', message: String(err.stack ?? err) }));
      worker.on('exit', (code) => settle({ kind: 'exited', code }));
    });
  }

  function startWaiting(): void {
    while (waiting.length > 0 && running < limit()) void runInvocation(waiting.shift()!);
  }

  function enqueue(functionName: string, event: Record<string, unknown>, delivery: 1 | 2): void {
    waiting.push({ requestId: randomUUID(), functionName, event, delivery, logs: '' });
    startWaiting();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendError(res, 500, 'ServiceException', String(err)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/\/$/, '');
    const body = await readBody(req);
    if (req.method === 'GET' && path === '/2016-08-19/account-settings') {
      return sendJson(res, 200, {
        AccountLimit: {
          ConcurrentExecutions: endpoint.concurrency.account,
          UnreservedConcurrentExecutions: endpoint.concurrency.unreserved,
          TotalCodeSize: 80_530_636_800,
          CodeSizeUnzipped: 262_144_000,
          CodeSizeZipped: 52_428_800,
        },
        AccountUsage: { TotalCodeSize: 1_000_000, FunctionCount: 2 },
      });
    }
    const m = /^\/(\d{4}-\d{2}-\d{2})\/functions\/([^/]+)(\/[a-z-]+)?$/.exec(path);
    if (m === null)
      return sendError(res, 404, 'UnknownOperationException', `no route for ${req.method} ${path}`);
    const [, , name = '', rest = ''] = m;
    const functionName = served.find((f) => name === f || name === arnOf(f));
    if (functionName === undefined) {
      return sendError(res, 404, 'ResourceNotFoundException', `Function not found: ${name}`);
    }
    const configuration = {
      FunctionName: functionName,
      FunctionArn: arnOf(functionName),
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      MemorySize: memoryMb,
      Timeout: Math.ceil(endpoint.timeoutMs / 1000),
      Architectures: ['arm64'],
      State: 'Active',
    };
    if (req.method === 'GET' && rest === '/concurrency') {
      const reserved = endpoint.concurrency.reserved;
      return sendJson(res, 200, reserved === undefined ? {} : { ReservedConcurrentExecutions: reserved });
    }
    if (req.method === 'GET' && rest === '/configuration') return sendJson(res, 200, configuration);
    if (req.method === 'GET' && rest === '') {
      return sendJson(res, 200, {
        Configuration: configuration,
        ...(endpoint.concurrency.reserved === undefined
          ? {}
          : { Concurrency: { ReservedConcurrentExecutions: endpoint.concurrency.reserved } }),
      });
    }
    if (req.method === 'POST' && rest === '/invocations') {
      // Lambda's payload quotas: 1 MB for an async event, 6 MB for a synchronous request.
      const invocationType = req.headers['x-amz-invocation-type'] ?? 'RequestResponse';
      const max = invocationType === 'Event' ? 1_048_576 : 6_291_456;
      if (body.length > max) {
        return sendError(
          res,
          413,
          'RequestEntityTooLargeException',
          `Request must be smaller than ${max} bytes for the ${invocationType === 'Event' ? 'InvokeAsync' : 'Invoke'} operation`,
        );
      }
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        return sendError(
          res,
          400,
          'InvalidRequestContentException',
          'Could not parse request body into json',
        );
      }
      const type = req.headers['x-amz-invocation-type'] ?? 'RequestResponse';
      if (type === 'DryRun') {
        res.writeHead(204).end();
        return;
      }
      if (type === 'Event') {
        enqueue(functionName, event, 1);
        if (endpoint.duplicate?.(event) === true) enqueue(functionName, event, 2);
        res.writeHead(202, { 'x-amzn-requestid': randomUUID() }).end();
        return;
      }
      const outcome = await runInvocation({
        requestId: randomUUID(),
        functionName,
        event,
        delivery: 1,
        logs: '',
      });
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (outcome.kind !== 'returned') headers['x-amz-function-error'] = 'Unhandled';
      res.writeHead(200, headers);
      res.end(
        JSON.stringify(
          outcome.kind === 'returned'
            ? (outcome.value ?? null)
            : {
                errorMessage:
                  outcome.kind === 'killed'
                    ? 'Task timed out'
                    : outcome.kind === 'exited'
                      ? `Runtime exited with error: exit status ${outcome.code}`
                      : outcome.message,
              },
        ),
      );
      return;
    }
    return sendError(res, 404, 'UnknownOperationException', `no route for ${req.method} ${path}`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  endpoint.url = url;
  return endpoint;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() });
  res.end(JSON.stringify(value));
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ Type: 'User', Message: message, message }));
}
