/**
 * TEST-ONLY: a stand-in for the AWS Lambda service that runs a function the way Lambda does,
 * on 127.0.0.1. Never use it outside tests.
 *
 * What comes from where (so a template/code mismatch fails a test):
 * - the function's runtime, handler string, memory, timeout, environment, reserved concurrency and
 *   event-invoke config come from the synthesized template (see `synthesized-stack.ts`), its code
 *   from the synthesized asset directory;
 * - each execution environment is its own process of the runtime's Node major, running AWS's own
 *   runtime interface client (`aws-lambda-ric` 4.x from npm, its native `rapid-client.node` built
 *   from sources) against a Runtime API this file serves per environment:
 *   `GET /2018-06-01/runtime/invocation/next`, `POST …/invocation/{id}/response`,
 *   `POST …/invocation/{id}/error`, `POST /2018-06-01/runtime/init/error`
 *   (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
 *
 * Behaviours copied from Lambda's documentation:
 * - environments are reused warm: one process serves invocation after invocation, module state,
 *   timers and its own `/tmp` (TMPDIR) carry over (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html);
 * - an environment is frozen (SIGSTOP) while it waits for its next invocation and thawed (SIGCONT)
 *   when one arrives; timers a job left running fire only then;
 * - an invocation still running at the function timeout is killed with its environment
 *   ("Task timed out"; the next invocation starts cold);
 * - a process that exits (e.g. an unhandled rejection: Node's default is to crash) fails the
 *   invocation with Runtime.ExitError, and the environment is discarded;
 * - async invocations (`X-Amz-Invocation-Type: Event`) are queued; at the concurrency limit
 *   (reserved, else the account's unreserved) they wait (throttled), failed ones are retried
 *   `MaximumRetryAttempts` times after a delay, and events older than `MaximumEventAgeInSeconds`
 *   are dropped (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html);
 * - async delivery is at least once: `duplicate(event)` delivers a chosen event again,
 *   `duplicateDelayMs` later;
 * - a synchronous invoke over the concurrency limit gets 429 TooManyRequestsException (Invoke API
 *   reference, Errors: "TooManyRequestsException: The request throughput limit was exceeded",
 *   HTTP 429, https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
 *
 * The Lambda API it serves (for the launcher, `doctor` and the rank function's fan-out tree):
 * Invoke, GetAccountSettings, GetFunctionConcurrency, GetFunctionConfiguration, GetFunction.
 * Every call is attributed to its caller by the access key id of its SigV4 signature and, with an
 * `authorize` hook (see `iam-authorizer.ts`), evaluated against that principal's policies.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A function as the template defines it. */
export interface LambdaFunctionSpec {
  functionName: string;
  /** `nodejs24.x` etc.: the major of `runtimeNode` must match. */
  runtime: string;
  /** `index.handler`. */
  handler: string;
  memoryMb: number;
  timeoutSeconds: number;
  environment: Record<string, string>;
  /** The asset directory: LAMBDA_TASK_ROOT. */
  codeDir: string;
  reservedConcurrency?: number;
  /** From AWS::Lambda::EventInvokeConfig; Lambda's defaults are 2 and 21600. */
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
  /** The execution role's credentials: every AWS call the function makes is attributed to it. */
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface LambdaServiceOptions {
  fn: LambdaFunctionSpec;
  /** Node binary of the runtime's major. */
  node: string;
  /** The `aws-lambda-ric` package directory (with its built `rapid-client.node`). */
  ric: string;
  region?: string;
  accountId?: string;
  /** GetAccountSettings' answer and the unreserved pool. Default 1000 / 1000. */
  concurrency?: { account?: number; unreserved?: number };
  /** Extra variables Lambda itself would not set: emulator endpoints. */
  extraEnvironment?: Record<string, string>;
  /** Delays before async retries 1 and 2. Lambda: one minute, then two. */
  retryDelaysMs?: [number, number];
  duplicate?: (event: Record<string, unknown>) => boolean;
  /** How much later the duplicate of an event arrives. Default 2000 ms. */
  duplicateDelayMs?: number;
  /** IAM: resolves false to refuse the call with 403 AccessDeniedException. */
  authorize?: (accessKeyId: string | undefined, action: string, resource: string) => Promise<boolean>;
}

export type InvocationOutcome =
  | { kind: 'returned'; value: unknown }
  | { kind: 'threw'; errorType: string; errorMessage: string }
  | { kind: 'killed' }
  | { kind: 'init-error'; errorType: string; errorMessage: string }
  | { kind: 'exited'; code: number | null; signal: string | null }
  | { kind: 'expired' };

export interface Invocation {
  requestId: string;
  event: Record<string, unknown>;
  /** 1 for the first delivery, 2 for the deliberate duplicate. */
  delivery: 1 | 2;
  /** 1 for the first attempt, then retries. */
  attempt: number;
  async: boolean;
  enqueuedAt: number;
  /** The execution environment that ran it, and whether it was cold there. */
  environment?: number;
  cold?: boolean;
  outcome?: InvocationOutcome;
  logs: string;
}

interface Environment {
  id: number;
  server: Server;
  proc: ChildProcess;
  tmp: string;
  state: 'starting' | 'idle' | 'busy' | 'dead';
  frozen: boolean;
  pendingNext?: ServerResponse;
  current?: Invocation;
  invocationsServed: number;
  timer?: ReturnType<typeof setTimeout>;
  settle?: (outcome: InvocationOutcome) => void;
  initLogs: string;
}

export interface LambdaService {
  url: string;
  readonly fn: LambdaFunctionSpec;
  readonly invocations: readonly Invocation[];
  /** Environments ever started, and the ones alive now. */
  environmentsStarted(): number;
  /** The most invocations that ran at once. */
  maxConcurrent(): number;
  liveProcesses(): number;
  /** Resolves once nothing is queued, running or waiting for a retry or a duplicate. */
  idle(): Promise<void>;
  /**
   * Resolves once a warm environment waits (frozen) for its next invocation, so the next invoke
   * reuses it; rejects if every environment has died instead. Between an invocation's response and
   * its environment's next `/next`, Lambda (and so the stand-in) starts a new environment.
   */
  warm(): Promise<void>;
  close(): Promise<void>;
}

/** The Node major a runtime id names (`nodejs24.x` → 24). */
export function runtimeMajor(runtime: string): number {
  const m = /^nodejs(\d+)\.x$/.exec(runtime);
  if (m === null) throw new Error(`Not a Node.js Lambda runtime: \`${runtime}\``);
  return Number(m[1]);
}

/** Starts the service; its Lambda API listens on a random port of 127.0.0.1. */
export async function startLambdaService(options: LambdaServiceOptions): Promise<LambdaService> {
  const { fn } = options;
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const functionArn = `arn:aws:lambda:${region}:${accountId}:function:${fn.functionName}`;
  const ricIndex = join(options.ric, 'index.mjs');
  if (!existsSync(join(options.ric, 'rapid-client.node'))) {
    throw new Error(`aws-lambda-ric at ${options.ric} has no built rapid-client.node`);
  }
  const [retry1, retry2] = options.retryDelaysMs ?? [60_000, 120_000];
  const concurrency = { account: 1000, unreserved: 1000, ...options.concurrency };
  const limit = fn.reservedConcurrency ?? concurrency.unreserved;
  const scratch = mkdtempSync(join(tmpdir(), 'tsmpi-lambda-'));

  const invocations: Invocation[] = [];
  const queue: Invocation[] = [];
  const environments: Environment[] = [];
  const events = new EventEmitter();
  let delayed = 0;
  /** Invocations running or starting: what the concurrency limit counts. */
  let inFlight = 0;
  let maxInFlight = 0;
  let closed = false;
  let nextEnvironmentId = 1;

  const busy = () => inFlight;
  const quiet = () => queue.length === 0 && delayed === 0 && busy() === 0;
  const changed = () => events.emit('changed');

  function later(ms: number, fnToRun: () => void): void {
    delayed++;
    setTimeout(() => {
      delayed--;
      if (!closed) fnToRun();
      changed();
    }, ms).unref();
  }

  // --- Execution environments ---------------------------------------------------------------
  async function startEnvironment(): Promise<Environment> {
    const id = nextEnvironmentId++;
    const tmp = join(scratch, `env-${id}`);
    mkdirSync(tmp);
    const env: Environment = {
      id,
      server: createServer(),
      proc: undefined as unknown as ChildProcess,
      tmp,
      state: 'starting',
      frozen: false,
      invocationsServed: 0,
      initLogs: '',
    };
    env.server.on('request', (req, res) => {
      runtimeApi(env, req, res).catch((err: unknown) => {
        res.writeHead(500).end(String(err));
      });
    });
    await new Promise<void>((resolve) => env.server.listen(0, '127.0.0.1', () => resolve()));
    const port = (env.server.address() as AddressInfo).port;
    const logStream = `2026/01/01/[$LATEST]${randomUUID().replace(/-/g, '')}`;
    env.proc = spawn(options.node, [ricIndex], {
      cwd: fn.codeDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        LANG: 'en_US.UTF-8',
        TZ: ':UTC',
        ...fn.environment,
        ...options.extraEnvironment,
        AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${port}`,
        _HANDLER: fn.handler,
        LAMBDA_TASK_ROOT: fn.codeDir,
        LAMBDA_RUNTIME_DIR: options.ric,
        AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
        AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.functionName}`,
        AWS_LAMBDA_LOG_STREAM_NAME: logStream,
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        AWS_ACCESS_KEY_ID: fn.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: fn.credentials.secretAccessKey,
        AWS_SESSION_TOKEN: `session-${fn.credentials.accessKeyId}`,
        // Lambda's /tmp: per environment, kept across warm invocations.
        TMPDIR: tmp,
        HOME: tmp,
      },
    });
    const append = (d: Buffer) => {
      const text = d.toString();
      if (env.current !== undefined) env.current.logs += text;
      else env.initLogs += text;
    };
    env.proc.stdout?.on('data', append);
    env.proc.stderr?.on('data', append);
    env.proc.on('exit', (code, signal) => {
      env.state = 'dead';
      env.settle?.({ kind: 'exited', code, signal });
      env.pendingNext = undefined;
      env.server.close();
      env.server.closeAllConnections();
      changed();
    });
    environments.push(env);
    return env;
  }

  function freeze(env: Environment): void {
    if (!env.frozen && env.proc.exitCode === null && env.proc.signalCode === null) {
      env.proc.kill('SIGSTOP');
      env.frozen = true;
    }
  }

  function thaw(env: Environment): void {
    if (env.frozen) {
      env.proc.kill('SIGCONT');
      env.frozen = false;
    }
  }

  function kill(env: Environment): void {
    if (env.proc.exitCode === null && env.proc.signalCode === null) env.proc.kill('SIGKILL');
    thaw(env);
  }

  /** Hands `inv` to the environment once it waits on /next; resolves with the outcome. */
  function run(env: Environment, inv: Invocation, cold: boolean): Promise<InvocationOutcome> {
    env.state = 'busy';
    env.current = inv;
    inv.environment = env.id;
    inv.cold = cold;
    invocations.push(inv);
    return new Promise<InvocationOutcome>((resolve) => {
      env.settle = (outcome) => {
        if (inv.outcome !== undefined) return;
        inv.outcome = outcome;
        if (env.timer !== undefined) clearTimeout(env.timer);
        env.timer = undefined;
        env.settle = undefined;
        env.current = undefined;
        env.invocationsServed++;
        if (outcome.kind === 'killed' || outcome.kind === 'init-error') {
          env.state = 'dead';
          kill(env);
        }
        if (env.state === 'busy') env.state = 'idle';
        resolve(outcome);
        changed();
      };
      deliver(env);
    });
  }

  function deliver(env: Environment): void {
    const inv = env.current;
    const res = env.pendingNext;
    if (inv === undefined || res === undefined) return;
    env.pendingNext = undefined;
    thaw(env);
    const deadline = Date.now() + fn.timeoutSeconds * 1000;
    env.timer = setTimeout(() => env.settle?.({ kind: 'killed' }), fn.timeoutSeconds * 1000);
    res.writeHead(200, {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': inv.requestId,
      'lambda-runtime-deadline-ms': String(deadline),
      'lambda-runtime-invoked-function-arn': functionArn,
      'lambda-runtime-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Sampled=0`,
    });
    res.end(JSON.stringify(inv.event));
  }

  async function runtimeApi(env: Environment, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && path === '/2018-06-01/runtime/invocation/next') {
      env.pendingNext = res;
      if (env.state === 'starting' && env.current === undefined) env.state = 'idle';
      if (env.current !== undefined) deliver(env);
      else freeze(env); // waits, frozen, for its next invocation
      changed();
      return;
    }
    const m = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(path);
    if (req.method === 'POST' && m !== null) {
      const requestId = decodeURIComponent(m[1] ?? '');
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"OK"}');
      if (env.current?.requestId !== requestId) return; // a late post for an invocation already over
      if (m[2] === 'response') {
        env.settle?.({
          kind: 'returned',
          value: body.length === 0 ? null : JSON.parse(body.toString('utf8')),
        });
      } else {
        const error = parseError(body, req.headers['lambda-runtime-function-error-type']);
        env.settle?.({ kind: 'threw', ...error });
      }
      return;
    }
    if (req.method === 'POST' && path === '/2018-06-01/runtime/init/error') {
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"OK"}');
      const error = parseError(body, req.headers['lambda-runtime-function-error-type']);
      if (env.current !== undefined) env.settle?.({ kind: 'init-error', ...error });
      else kill(env);
      return;
    }
    res.writeHead(404).end();
  }

  // --- Scheduling -----------------------------------------------------------------------------
  async function execute(inv: Invocation): Promise<InvocationOutcome> {
    // Warm first: the environment that has waited longest is reused (Lambda does not promise
    // which; any choice lets state leak between jobs).
    const warm = environments.find((e) => e.state === 'idle' && e.pendingNext !== undefined);
    if (warm !== undefined) return run(warm, inv, false);
    const env = await startEnvironment();
    return run(env, inv, true);
  }

  function dispatch(): void {
    while (queue.length > 0 && busy() < limit && !closed) {
      const inv = queue.shift()!;
      const age = Date.now() - inv.enqueuedAt;
      if (age > fn.maximumEventAgeSeconds * 1000) {
        inv.outcome = { kind: 'expired' };
        invocations.push(inv);
        continue;
      }
      // Counted from now on, before its environment exists.
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      void execute(inv).then((outcome) => {
        inFlight--;
        const failed = outcome.kind !== 'returned';
        if (failed && inv.attempt <= fn.maximumRetryAttempts) {
          later(inv.attempt === 1 ? retry1 : retry2, () => {
            enqueue({
              ...inv,
              requestId: inv.requestId,
              attempt: inv.attempt + 1,
              outcome: undefined,
              logs: '',
            });
          });
        }
        dispatch();
        changed();
      });
    }
    changed();
  }

  function enqueue(inv: Invocation): void {
    queue.push(inv);
    dispatch();
  }

  // --- Lambda API -----------------------------------------------------------------------------
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendError(res, 500, 'ServiceException', String(err)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/\/$/, '');
    const body = await readBody(req);
    const caller = accessKeyOf(req);
    const allowed = async (action: string, resource: string) =>
      options.authorize === undefined || (await options.authorize(caller, action, resource));
    if (req.method === 'GET' && path === '/2016-08-19/account-settings') {
      if (!(await allowed('lambda:GetAccountSettings', '*'))) return denied(res, 'lambda:GetAccountSettings');
      return sendJson(res, 200, {
        AccountLimit: {
          ConcurrentExecutions: concurrency.account,
          UnreservedConcurrentExecutions: concurrency.unreserved,
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
    if (name !== fn.functionName && name !== functionArn) {
      return sendError(res, 404, 'ResourceNotFoundException', `Function not found: ${name}`);
    }
    const configuration = {
      FunctionName: fn.functionName,
      FunctionArn: functionArn,
      Runtime: fn.runtime,
      Handler: fn.handler,
      MemorySize: fn.memoryMb,
      Timeout: fn.timeoutSeconds,
      Architectures: ['arm64'],
      State: 'Active',
    };
    if (req.method === 'GET' && rest === '/concurrency') {
      if (!(await allowed('lambda:GetFunctionConcurrency', functionArn)))
        return denied(res, 'lambda:GetFunctionConcurrency');
      return sendJson(
        res,
        200,
        fn.reservedConcurrency === undefined ? {} : { ReservedConcurrentExecutions: fn.reservedConcurrency },
      );
    }
    if (req.method === 'GET' && rest === '/configuration') {
      if (!(await allowed('lambda:GetFunctionConfiguration', functionArn)))
        return denied(res, 'lambda:GetFunctionConfiguration');
      return sendJson(res, 200, configuration);
    }
    if (req.method === 'GET' && rest === '') {
      if (!(await allowed('lambda:GetFunction', functionArn))) return denied(res, 'lambda:GetFunction');
      return sendJson(res, 200, {
        Configuration: configuration,
        ...(fn.reservedConcurrency === undefined
          ? {}
          : { Concurrency: { ReservedConcurrentExecutions: fn.reservedConcurrency } }),
      });
    }
    if (req.method === 'POST' && rest === '/invocations') {
      if (!(await allowed('lambda:InvokeFunction', functionArn))) return denied(res, 'lambda:InvokeFunction');
      const type = req.headers['x-amz-invocation-type'] ?? 'RequestResponse';
      // Lambda's payload quotas: 1 MB for an async event, 6 MB for a synchronous request.
      const max = type === 'Event' ? 1_048_576 : 6_291_456;
      if (body.length > max) {
        return sendError(
          res,
          413,
          'RequestEntityTooLargeException',
          `Request must be smaller than ${max} bytes for the ${type === 'Event' ? 'InvokeAsync' : 'Invoke'} operation`,
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
      if (type === 'DryRun') {
        res.writeHead(204).end();
        return;
      }
      const requestId = randomUUID();
      const inv = (delivery: 1 | 2, async: boolean): Invocation => ({
        requestId,
        event,
        delivery,
        attempt: 1,
        async,
        enqueuedAt: Date.now(),
        logs: '',
      });
      if (type === 'Event') {
        enqueue(inv(1, true));
        if (options.duplicate?.(event) === true)
          later(options.duplicateDelayMs ?? 2000, () => enqueue(inv(2, true)));
        res.writeHead(202, { 'x-amzn-requestid': requestId }).end();
        return;
      }
      if (busy() >= limit) {
        return sendError(res, 429, 'TooManyRequestsException', 'Rate Exceeded.', {
          Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
        });
      }
      inFlight++;
      const outcome = await execute(inv(1, false)).finally(() => {
        inFlight--;
        dispatch();
      });
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-amzn-requestid': requestId,
      };
      if (outcome.kind !== 'returned') headers['x-amz-function-error'] = 'Unhandled';
      res.writeHead(200, headers);
      res.end(
        JSON.stringify(outcome.kind === 'returned' ? (outcome.value ?? null) : describeFailure(outcome)),
      );
      return;
    }
    return sendError(res, 404, 'UnknownOperationException', `no route for ${req.method} ${path}`);
  }

  function denied(res: ServerResponse, action: string): void {
    sendError(
      res,
      403,
      'AccessDeniedException',
      `User is not authorized to perform: ${action} on resource: ${functionArn}`,
    );
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    fn,
    invocations,
    environmentsStarted: () => nextEnvironmentId - 1,
    maxConcurrent: () => maxInFlight,
    liveProcesses: () =>
      environments.filter((e) => e.proc.exitCode === null && e.proc.signalCode === null).length,
    idle() {
      if (quiet()) return Promise.resolve();
      return new Promise((resolve) => {
        const check = () => {
          if (quiet()) {
            events.off('changed', check);
            resolve();
          }
        };
        events.on('changed', check);
      });
    },
    warm() {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          const live = environments.filter((e) => e.state !== 'dead');
          if (live.some((e) => e.state === 'idle' && e.pendingNext !== undefined)) {
            events.off('changed', check);
            resolve();
          } else if (live.length === 0) {
            events.off('changed', check);
            reject(new Error('no warm environment: every environment has exited'));
          }
        };
        events.on('changed', check);
        check();
      });
    },
    async close() {
      closed = true;
      const exits = environments
        .filter((e) => e.proc.exitCode === null && e.proc.signalCode === null)
        .map((e) => new Promise<void>((resolve) => e.proc.once('exit', () => resolve())));
      for (const env of environments) kill(env);
      await Promise.all(exits);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}

/** What Lambda answers a synchronous caller for a failed invocation. */
function describeFailure(outcome: InvocationOutcome): { errorType: string; errorMessage: string } {
  switch (outcome.kind) {
    case 'threw':
    case 'init-error':
      return { errorType: outcome.errorType, errorMessage: outcome.errorMessage };
    case 'killed':
      return { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out' };
    case 'exited':
      return {
        errorType: 'Runtime.ExitError',
        errorMessage: `RequestId: Error: Runtime exited with error: ${outcome.signal === null ? `exit status ${outcome.code}` : `signal: ${outcome.signal}`}`,
      };
    default:
      return { errorType: 'Unknown', errorMessage: outcome.kind };
  }
}

function parseError(
  body: Buffer,
  header: string | string[] | undefined,
): { errorType: string; errorMessage: string } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errorType?: string; errorMessage?: string };
    return {
      errorType: parsed.errorType ?? String(header ?? 'Unknown'),
      errorMessage: parsed.errorMessage ?? '',
    };
  } catch {
    return { errorType: String(header ?? 'Unknown'), errorMessage: body.toString('utf8') };
  }
}

/** The access key id in a SigV4 `Authorization` header (`Credential=AKID/date/region/service/aws4_request`). */
export function accessKeyOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /Credential=([^/]+)\//.exec(auth) : null;
  return m?.[1];
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

function sendError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ Type: 'User', Message: message, message, ...extra }));
}

/** Every file name in `dir` (for tests that look for leftovers in an environment's /tmp). */
export function listDir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}
