import { describe, expect, it } from 'vitest';
import {
  LAMBDA_ARM_USD_PER_GB_SECOND,
  LAMBDA_USD_PER_REQUEST,
  lambdaGbSeconds,
  S3_USD_PER_GET,
  S3_USD_PER_PUT,
  SQS_STANDARD_USD_PER_REQUEST,
} from '../../../sdk/base/prices.js';
import { costReport } from '../../../sdk/launch/lambda/cost-report.js';

describe('the aws cost report', () => {
  it('bills Lambda by requests and GB-seconds (init included), SQS and S3 by request, at the published prices', () => {
    expect(lambdaGbSeconds(1000, 1024)).toBe(1);
    expect(lambdaGbSeconds(0.2, 2048)).toBeCloseTo(0.002, 9); // rounded up to 1 ms
    const r = costReport({
      invocations: 3,
      usages: [
        {
          durationMs: 1500,
          initMs: 500,
          memoryMb: 1024,
          calls: { SendMessage: 4, GetObject: 1, CreateQueue: 1 },
        },
        { durationMs: 1000, initMs: 0, memoryMb: 1024, calls: { SendMessage: 2 } },
      ],
      unreported: [{ billedMs: 3000, memoryMb: 1024 }],
      perRank: [
        {
          messagesSent: 1,
          bytesSent: 1,
          messagesDelivered: 1,
          duplicatesDropped: 0,
          transport: {
            calls: { SendMessageBatch: 5, ReceiveMessage: 9, PutObject: 2 },
            messagesSent: 1,
            bytesSent: 1,
            messagesReceived: 1,
            sqsBilledRequests: 20,
          },
        },
      ],
      launcherCalls: { CreateQueue: 4, DeleteQueue: 7, Invoke: 3, PutObject: 1, HeadObject: 1 },
    });
    expect(r.lambda).toEqual({
      requests: 3,
      gbSeconds: 6,
      usd: 3 * LAMBDA_USD_PER_REQUEST + 6 * LAMBDA_ARM_USD_PER_GB_SECOND,
    });
    expect(r.sqs.requests).toBe(4 + 7 + 4 + 1 + 2 + 20);
    expect(r.s3).toMatchObject({ puts: 3, gets: 2 });
    expect(r.sqs.usd).toBeCloseTo(38 * SQS_STANDARD_USD_PER_REQUEST, 15);
    expect(r.totalUsd).toBeCloseTo(r.lambda.usd + r.sqs.usd + 3 * S3_USD_PER_PUT + 2 * S3_USD_PER_GET, 15);
  });
  it('bills a node of several ranks once: its longest reported duration × its memory', () => {
    const rank = (durationMs: number, node: number, calls: Record<string, number> = {}) => ({
      durationMs,
      initMs: 500,
      memoryMb: 2048,
      calls,
      node,
    });
    const r = costReport({
      invocations: 2,
      // Node 0's three ranks report 1.0, 1.5 and 1.2 s of the same invocation; node 1 one rank.
      usages: [rank(1000, 0), rank(1500, 0, { SendMessage: 3 }), rank(1200, 0), rank(500, 1)],
      unreported: [],
      perRank: [],
      launcherCalls: {},
    });
    expect(r.lambda.gbSeconds).toBe(2 * (1.5 + 0.5) + 2 * (0.5 + 0.5));
    expect(r.lambda.requests).toBe(2);
    expect(r.sqs.requests).toBe(3);
  });
});
