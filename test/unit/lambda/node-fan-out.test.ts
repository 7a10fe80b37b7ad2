import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { FrameKind, readFrame } from '../../../sdk/channel/frame.js';
import { abortRanks } from '../../../sdk/launch/lambda/abort-ranks.js';
import { fanOutEvents } from '../../../sdk/launch/lambda/fan-out-events.js';
import { planFanOut } from '../../../sdk/launch/lambda/fan-out-model.js';
import { parseRankEvent } from '../../../sdk/runtime/lambda/rank-event.js';
import { readAddress } from '../../../sdk/transport/node/node-address.js';
import { NodePlan } from '../../../sdk/transport/node/node-plan.js';
import { decodeMessage } from '../../../sdk/transport/sqs/wire.js';

const PREFIX = 'tsmpi-1a2b3c4d';
const BASE = 'https://sqs.us-east-1.amazonaws.com/123456789012';
const queues = (n: number) => ({
  controlUrl: `${BASE}/${PREFIX}-j1-ctl`,
  queueUrls: Array.from({ length: n }, (_, i) => `${BASE}/${PREFIX}-j1-${i}`),
});
const req = { ranks: 64, args: {}, timeoutMs: undefined };

describe('the fan-out of nodes (several ranks per invocation)', () => {
  it('invokes one event per node, naming its first rank and ranksPerNode; the events parse', () => {
    const nodes = new NodePlan(64, 6);
    const ev = fanOutEvents({
      req,
      jobId: 'j1',
      job: { builtin: 'pi' },
      queuePrefix: PREFIX,
      queues: queues(11),
      plan: planFanOut(11, { latencyMs: 5 }, 'client'),
      nodes,
    });
    expect(ev.ranks).toEqual(Array.from({ length: 11 }, (_, n) => n * 6));
    const last = parseRankEvent(ev.eventFor(60), PREFIX);
    expect(last).toMatchObject({ rank: 60, size: 64, ranksPerNode: 6 });
    expect(last.queueUrls).toBeUndefined();
  });

  it('a tree over nodes: heads spawn whole nodes, and together every node once', () => {
    const nodes = new NodePlan(64, 6);
    const ev = fanOutEvents({
      req,
      jobId: 'j1',
      job: { builtin: 'pi' },
      queuePrefix: PREFIX,
      queues: queues(11),
      plan: { ...planFanOut(11, { latencyMs: 5 }, 'tree'), heads: 3 },
      nodes,
    });
    expect(ev.ranks).toEqual([0, 6, 12]);
    const invoked = [...ev.ranks];
    for (const head of ev.ranks) {
      const e = parseRankEvent(ev.eventFor(head), PREFIX);
      const spawn = e.spawn!;
      for (let r = spawn.from; r < spawn.to; r += 6) invoked.push(r);
    }
    expect(invoked.sort((a, b) => a - b)).toEqual(Array.from({ length: 11 }, (_, n) => n * 6));
  });

  it('with one rank per node, the events are those of one rank per invocation (no ranksPerNode)', () => {
    const ev = fanOutEvents({
      req: { ...req, ranks: 4 },
      jobId: 'j1',
      job: { builtin: 'pi' },
      queuePrefix: PREFIX,
      queues: queues(4),
      plan: planFanOut(4, { latencyMs: 5 }, 'client'),
      nodes: new NodePlan(4, 1),
    });
    expect(ev.ranks).toEqual([0, 1, 2, 3]);
    expect(ev.eventFor(2)).not.toHaveProperty('ranksPerNode');
  });
});

describe('abortRanks over node queues', () => {
  it("puts one Abort frame per rank of a node in the node's queue, each addressed to its rank", async () => {
    const sqs = new SQSClient({ region: 'us-east-1' });
    const mock = mockClient(sqs);
    mock.on(SendMessageBatchCommand).resolves({});
    const nodes = new NodePlan(13, 12);
    const res = await abortRanks({ sqs, queueUrls: queues(2).queueUrls, src: 3, nodes });
    // Node 0: 12 ranks in two batches (at most 10 entries each); node 1: one rank.
    expect(res).toEqual({ sent: 3, failed: 0 });
    const sends = mock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    const dsts = sends.flatMap((s) =>
      s.Entries!.map((e) => {
        const decoded = decodeMessage({ Body: e.MessageBody, MessageAttributes: e.MessageAttributes }, 'q');
        if (decoded.kind !== 'frame') throw new Error('expected an inline frame');
        const addressed = readAddress(decoded.frame)!;
        expect(readFrame(addressed.frame)).toMatchObject({ src: 3, kind: FrameKind.Abort });
        return [s.QueueUrl!.endsWith('-0') ? 0 : 1, addressed.dst];
      }),
    );
    expect(dsts).toEqual([...Array.from({ length: 12 }, (_, r) => [0, r]), [1, 12]]);
    sqs.destroy();
  });

  it('sends again the entries a 200 answer lists as failed by the service, not those the sender caused', async () => {
    const sqs = new SQSClient({ region: 'us-east-1' });
    const mock = mockClient(sqs);
    const nodes = new NodePlan(3, 3);
    mock
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: 'abort1', SenderFault: false, Code: 'InternalError', Message: 'x' }] })
      .resolves({});
    expect(await abortRanks({ sqs, queueUrls: queues(1).queueUrls, src: 0, nodes })).toEqual({
      sent: 1,
      failed: 0,
    });
    const ids = mock
      .commandCalls(SendMessageBatchCommand)
      .map((c) => c.args[0].input.Entries!.map((e) => e.Id));
    expect(ids).toEqual([['abort0', 'abort1', 'abort2'], ['abort1']]);
    mock.reset();
    mock.on(SendMessageBatchCommand).resolves({
      Failed: [{ Id: 'abort2', SenderFault: true, Code: 'InvalidParameterValue', Message: 'x' }],
    });
    expect(await abortRanks({ sqs, queueUrls: queues(1).queueUrls, src: 0, nodes })).toEqual({
      sent: 0,
      failed: 1,
    });
    expect(mock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
    sqs.destroy();
  });
});
