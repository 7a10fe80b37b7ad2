import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { OPTIONAL_STACK_OUTPUTS, STACK_OUTPUTS } from '../../../infra/stack-outputs.js';
import { DeploymentError, deploymentFromOutputs } from '../../../sdk/launch/lambda/deployment.js';
import { fanOutEvents } from '../../../sdk/launch/lambda/fan-out-events.js';
import { planFanOut } from '../../../sdk/launch/lambda/fan-out-model.js';
import { ConcurrencyError, checkConcurrency } from '../../../sdk/launch/lambda/preflight.js';
import { invokeRanks } from '../../../sdk/runtime/lambda/invoke-ranks.js';
import { NodePlan } from '../../../sdk/transport/node/node-plan.js';

// Copies of the rank function (`rankFunctionCopies`): the launcher spreads the invocations it
// makes round-robin over them, a tree head's subtree runs on the head's copy.

const PREFIX = 'tsmpi-1a2b3c4d';
const BASE = 'https://sqs.us-east-1.amazonaws.com/123456789012';
const NAMES = [`${PREFIX}-rank`, `${PREFIX}-rank-1`];
const queues = (n: number) => ({
  controlUrl: `${BASE}/${PREFIX}-j1-ctl`,
  queueUrls: Array.from({ length: n }, (_, i) => `${BASE}/${PREFIX}-j1-${i}`),
});
const outputs = {
  [STACK_OUTPUTS.rankFunctionName]: NAMES[0],
  [STACK_OUTPUTS.rankFunctionArn]: `arn:aws:lambda:us-east-1:1:function:${NAMES[0]}`,
  [STACK_OUTPUTS.bucketName]: 'bucket',
  [STACK_OUTPUTS.queuePrefix]: PREFIX,
  [STACK_OUTPUTS.region]: 'us-east-1',
  [STACK_OUTPUTS.stackName]: 'TsmpiCloud',
};

function events(ranks: number, k: number, plan: ReturnType<typeof planFanOut>, names?: string[]) {
  const nodes = new NodePlan(ranks, k);
  return fanOutEvents({
    req: { ranks, args: {}, timeoutMs: undefined },
    jobId: 'j1',
    job: { builtin: 'pi' },
    queuePrefix: PREFIX,
    queues: queues(nodes.nodes),
    plan,
    nodes,
    ...(names === undefined ? {} : { functionNames: names }),
  });
}

/** Invokes the launcher's events through `invokeRanks` against a mocked Lambda: FunctionName per rank. */
async function invoked(ev: ReturnType<typeof events>): Promise<Map<number, string>> {
  const lambda = new LambdaClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  const mock = mockClient(lambda);
  mock.on(InvokeCommand).resolves({ StatusCode: 202 });
  await invokeRanks({
    lambda,
    functionName: ev.functionFor,
    ranks: ev.ranks,
    eventFor: ev.eventFor,
    concurrency: 4,
  });
  const out = new Map<number, string>();
  for (const call of mock.commandCalls(InvokeCommand)) {
    const input = call.args[0].input;
    const event = JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)) as { rank: number };
    out.set(event.rank, input.FunctionName!);
  }
  return out;
}

describe('the stack outputs name the copies', () => {
  it('RankFunctionNames, when present, lists every copy with RankFunctionName first', () => {
    const d = deploymentFromOutputs(
      { ...outputs, [OPTIONAL_STACK_OUTPUTS.rankFunctionNames]: NAMES.join(',') },
      'TsmpiCloud',
      'outputs-file',
    );
    expect(d.rankFunctionNames).toEqual(NAMES);
    expect(d.rankFunctionName).toBe(NAMES[0]);
  });

  it('without it, the one rank function', () => {
    expect(deploymentFromOutputs(outputs, 'TsmpiCloud', 'outputs-file').rankFunctionNames).toEqual([
      NAMES[0],
    ]);
  });

  it('refuses a list that does not start with RankFunctionName or has an empty name', () => {
    for (const bad of [`${NAMES[1]},${NAMES[0]}`, `${NAMES[0]},`, '']) {
      expect(() =>
        deploymentFromOutputs(
          { ...outputs, [OPTIONAL_STACK_OUTPUTS.rankFunctionNames]: bad },
          'TsmpiCloud',
          'outputs-file',
        ),
      ).toThrow(DeploymentError);
    }
  });
});

describe('the launcher spreads its invocations over the copies', () => {
  it('client fan-out: nodes alternate between two copies', async () => {
    const ev = events(64, 6, planFanOut(11, { latencyMs: 5, functions: 2 }, 'client'), NAMES);
    const byRank = await invoked(ev);
    expect(byRank.size).toBe(11);
    expect([...byRank.entries()].sort((a, b) => a[0] - b[0])).toEqual(
      Array.from({ length: 11 }, (_, n) => [n * 6, NAMES[n % 2]]),
    );
  });

  it('tree fan-out: heads alternate, so each copy runs half the nodes (heads invoke on their own copy)', async () => {
    const plan = planFanOut(1667, { functions: 2 }, 'tree');
    expect(plan.heads % 2).toBe(0);
    const ev = events(10_000, 6, plan, NAMES);
    const byRank = await invoked(ev);
    expect([...byRank.keys()]).toEqual(ev.ranks);
    // What each head's subtree adds to its copy's load.
    const load = new Map(NAMES.map((n) => [n, 0]));
    for (const head of ev.ranks) {
      const spawn = ev.eventFor(head).spawn;
      const nodes = 1 + (spawn === undefined ? 0 : Math.ceil((spawn.to - spawn.from) / 6));
      load.set(byRank.get(head)!, load.get(byRank.get(head)!)! + nodes);
    }
    expect([...load.values()].reduce((a, b) => a + b)).toBe(1667);
    expect(Math.max(...load.values())).toBe(834);
  });

  it('with one function, every invocation goes to it', async () => {
    const ev = events(8, 1, planFanOut(8, { latencyMs: 5 }, 'client'), [NAMES[0]!]);
    expect(new Set((await invoked(ev)).values())).toEqual(new Set([NAMES[0]]));
  });
});

describe('the model spreads as the launcher does', () => {
  it('10,000 ranks at 6 per node: one function waits for a second scaling step, two copies do not', () => {
    const one = planFanOut(1667, { accountConcurrency: 2000 });
    const two = planFanOut(1667, { accountConcurrency: 2000, functions: 2 });
    const ms = (p: typeof one) => (p.strategy === 'tree' ? p.tree! : p.client).allStartedMs;
    expect(ms(one)).toBeGreaterThan(10_000);
    expect(ms(two)).toBeLessThan(2_000);
    expect(two.strategy).toBe('tree');
    expect(two.heads % 2).toBe(0);
    // Under one scaling step per function, copies change nothing for client fan-out.
    expect(planFanOut(500, { functions: 2 }).client).toEqual(planFanOut(500).client);
  });
});

describe('the concurrency preflight with copies', () => {
  const c = { accountLimit: 1000, unreserved: 900, latencyMs: 1 };
  it('a reservation is per copy: the busiest copy needs ceil(executions / copies)', () => {
    expect(() =>
      checkConcurrency(120, { ...c, reserved: 60, available: 60 }, { rankFunctionName: NAMES[0]! }, 1, 2),
    ).not.toThrow();
    expect(() =>
      checkConcurrency(122, { ...c, reserved: 60, available: 60 }, { rankFunctionName: NAMES[0]! }, 1, 2),
    ).toThrow(
      /122 ranks need 122 concurrent executions, 61 on each of 2 copies.*\(each copy\) has a reserved concurrency of 60/,
    );
  });

  it('the unreserved pool is the account’s, shared by every copy', () => {
    expect(() =>
      checkConcurrency(
        901,
        { ...c, reserved: undefined, available: 900 },
        { rankFunctionName: NAMES[0]! },
        1,
        2,
      ),
    ).toThrow(ConcurrencyError);
  });
});
