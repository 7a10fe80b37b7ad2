/**
 * The Lambda stand-in (test/helpers/lambda-service.ts) with AWS's runtime interface client
 * (aws-lambda-ric 4) in Node 24 processes: what a function meets on Lambda.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LAMBDA_RIC, LAMBDA_STANDIN_SKIP_REASON, NODE24 } from '../../helpers/aws-standin.js';
import {
  type LambdaFunctionSpec,
  type LambdaService,
  startLambdaService,
} from '../../helpers/lambda-service.js';

const PROBE = fileURLToPath(new URL('../../fixtures/lambda/probe/', import.meta.url));
const spec = (over: Partial<LambdaFunctionSpec> = {}): LambdaFunctionSpec => ({
  functionName: 'probe',
  runtime: 'nodejs24.x',
  handler: 'index.handler',
  memoryMb: 128,
  timeoutSeconds: 600,
  environment: {},
  codeDir: PROBE,
  maximumRetryAttempts: 0,
  maximumEventAgeSeconds: 60,
  credentials: { accessKeyId: 'AKIAPROBE', secretAccessKey: 'x' },
  ...over,
});

let svc: LambdaService | undefined;
afterEach(async () => {
  await svc?.close();
  expect(svc?.liveProcesses() ?? 0).toBe(0);
  svc = undefined;
});

async function start(over: Partial<LambdaFunctionSpec> = {}, retryDelaysMs: [number, number] = [0, 0]) {
  svc = await startLambdaService({ fn: spec(over), node: NODE24, ric: LAMBDA_RIC, retryDelaysMs });
  return svc;
}
async function invoke(s: LambdaService, event: unknown, type = 'RequestResponse') {
  const r = await fetch(`${s.url}/2015-03-31/functions/probe/invocations`, {
    method: 'POST',
    headers: { 'x-amz-invocation-type': type },
    body: JSON.stringify(event),
  });
  return {
    status: r.status,
    error: r.headers.get('x-amz-function-error'),
    body: (r.status === 202 ? null : await r.json()) as any,
  };
}

describe('the Lambda stand-in', () => {
  it('reuses a warm environment: same process, module state kept, its own /tmp', async (ctx) => {
    if (LAMBDA_STANDIN_SKIP_REASON !== undefined) ctx.skip(LAMBDA_STANDIN_SKIP_REASON);
    const s = await start();
    const a = await invoke(s, { do: 'echo' });
    await s.warm(); // invoked before it asks for its next event, Lambda would start another
    const b = await invoke(s, { do: 'echo' });
    expect(a.body.served).toBe(1);
    expect(b.body).toMatchObject({ served: 2, pid: a.body.pid, tmp: a.body.tmp });
    expect(s.invocations.map((i) => i.cold)).toEqual([true, false]);
  });

  it('reports a thrown error as Lambda does, and an init error', async (ctx) => {
    if (LAMBDA_STANDIN_SKIP_REASON !== undefined) ctx.skip(LAMBDA_STANDIN_SKIP_REASON);
    const s = await start();
    const r = await invoke(s, { do: 'throw' });
    expect(r).toMatchObject({ status: 200, error: 'Unhandled', body: { errorType: 'TypeError' } });
    await s.close();
    const bad = await start({ handler: 'missing.handler' });
    const init = await invoke(bad, {});
    expect(init.error).toBe('Unhandled');
    expect(bad.invocations[0]?.outcome?.kind).toBe('init-error');
  });

  it('kills an invocation at the function timeout, with its environment', async (ctx) => {
    if (LAMBDA_STANDIN_SKIP_REASON !== undefined) ctx.skip(LAMBDA_STANDIN_SKIP_REASON);
    const s = await start({ timeoutSeconds: 1 });
    const r = await invoke(s, { do: 'hang' });
    expect(r.body).toMatchObject({ errorType: 'Sandbox.Timedout' });
    const next = await invoke(s, { do: 'echo' });
    expect(next.body.served).toBe(1); // a fresh environment
  });

  it('under aws-lambda-ric 4, a rejection left behind by one invocation kills the next in that environment', async (ctx) => {
    if (LAMBDA_STANDIN_SKIP_REASON !== undefined) ctx.skip(LAMBDA_STANDIN_SKIP_REASON);
    // A function timeout well inside the test's: if the rejection never comes, `hang` ends as
    // Sandbox.Timedout and the assertion below says so.
    const s = await start({ timeoutSeconds: 30 });
    expect((await invoke(s, { do: 'reject-later' })).error).toBeNull();
    // Invoked before the environment asks for its next event, Lambda would start a new one.
    await s.warm();
    // The environment was frozen before the stray timer fired; it fires on the next thaw.
    const next = await invoke(s, { do: 'hang' });
    expect(s.invocations[1]?.cold).toBe(false);
    expect(next.body).toMatchObject({ errorType: 'Runtime.ExitError' });
    expect(s.invocations[1]?.logs).toContain('stray rejection');
  });

  it('queues async events at the concurrency limit, retries failures per the invoke config', async (ctx) => {
    if (LAMBDA_STANDIN_SKIP_REASON !== undefined) ctx.skip(LAMBDA_STANDIN_SKIP_REASON);
    const s = await start({ reservedConcurrency: 1, maximumRetryAttempts: 2 });
    expect((await invoke(s, { do: 'throw' }, 'Event')).status).toBe(202);
    expect((await invoke(s, { do: 'echo' }, 'Event')).status).toBe(202);
    await s.idle();
    expect(s.maxConcurrent()).toBe(1);
    const throws = s.invocations.filter((i) => i.event.do === 'throw');
    expect(throws.map((i) => i.attempt)).toEqual([1, 2, 3]);
    expect(new Set(throws.map((i) => i.requestId)).size).toBe(1);
  });

  it('drops an async event older than the maximum event age', async (ctx) => {
    if (LAMBDA_STANDIN_SKIP_REASON !== undefined) ctx.skip(LAMBDA_STANDIN_SKIP_REASON);
    const s = await start({ maximumEventAgeSeconds: 0, reservedConcurrency: 1 });
    // The only slot is taken by the first; the second waits in the queue and is older than 0 s.
    await invoke(s, { do: 'echo' }, 'Event');
    await invoke(s, { do: 'echo' }, 'Event');
    await s.idle();
    expect(s.invocations.some((i) => i.outcome?.kind === 'expired')).toBe(true);
  });

  it('refuses a synchronous invoke over the concurrency limit with 429', async (ctx) => {
    if (LAMBDA_STANDIN_SKIP_REASON !== undefined) ctx.skip(LAMBDA_STANDIN_SKIP_REASON);
    const s = await start({ reservedConcurrency: 1, timeoutSeconds: 2 });
    const hanging = invoke(s, { do: 'hang' });
    await new Promise<void>((resolve) => {
      const check = () => (s.invocations.length > 0 ? resolve() : setTimeout(check, 20));
      check();
    });
    expect((await invoke(s, { do: 'echo' })).status).toBe(429);
    await hanging;
  });

  it('refuses an async payload over 1 MB (Lambda quota) with 413', async (ctx) => {
    if (LAMBDA_STANDIN_SKIP_REASON !== undefined) ctx.skip(LAMBDA_STANDIN_SKIP_REASON);
    const s = await start();
    expect((await invoke(s, { pad: 'x'.repeat(1_100_000) }, 'Event')).status).toBe(413);
  });
});
