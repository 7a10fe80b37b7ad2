import { describe, expect, it } from 'vitest';
import {
  estimateCostUsd,
  S3_USD_PER_GET,
  S3_USD_PER_PUT,
  SQS_STANDARD_USD_PER_REQUEST,
  sqsBilledRequests,
} from '../../../../sdk/base/prices.js';
import { backoffMs } from '../../../../sdk/base/retry.js';
import { seededRandom } from '../../../../sdk/base/seeded-random.js';
import { classifyAwsError } from '../../../../sdk/transport/sqs/aws-error-kind.js';
import { LogNormalLatency } from '../../../../sdk/transport/sqs/latency.js';
import { withRetries } from '../../../../sdk/transport/sqs/retry.js';
import {
  decodeMessage,
  inlineMessageSize,
  maxInlineFrameBytes,
  receivedMessageBytes,
  SQS_MAX_MESSAGE_BYTES,
} from '../../../../sdk/transport/sqs/wire.js';
import { newClients, throttled, transport, URLS } from './helpers.js';

describe('LogNormalLatency', () => {
  it('draws delays whose median and 99th percentile match the options', () => {
    const lat = new LogNormalLatency({ p50Ms: 20, p99Ms: 120 }, seededRandom(7));
    const draws = Array.from({ length: 40_000 }, () => lat.sample()).sort((a, b) => a - b);
    expect(draws[20_000]!).toBeGreaterThan(19);
    expect(draws[20_000]!).toBeLessThan(21);
    expect(draws[39_600]!).toBeGreaterThan(108);
    expect(draws[39_600]!).toBeLessThan(132);
  });

  it('rejects quantiles that do not describe a distribution', () => {
    expect(() => new LogNormalLatency({ p50Ms: 0, p99Ms: 5 })).toThrow(
      'Expected `latency.p50Ms` to be a number > 0',
    );
    expect(() => new LogNormalLatency({ p50Ms: 10, p99Ms: 5 })).toThrow(
      /`latency.p99Ms` to be a number >= p50Ms/,
    );
  });
});

describe('prices', () => {
  it('bills each started 64 KiB chunk of a request as one request', () => {
    expect(sqsBilledRequests(0)).toBe(1);
    expect(sqsBilledRequests(65_536)).toBe(1);
    expect(sqsBilledRequests(65_537)).toBe(2);
    expect(sqsBilledRequests(1_048_576)).toBe(16);
  });

  it('adds up SQS and S3 costs from the published prices', () => {
    expect(SQS_STANDARD_USD_PER_REQUEST * 1e6).toBeCloseTo(0.4, 10);
    expect(
      estimateCostUsd({ sqsBilledRequests: 1e6, s3Puts: 1000, s3Gets: 1000, s3Deletes: 1000 }),
    ).toBeCloseTo(0.4 + 1000 * S3_USD_PER_PUT + 1000 * S3_USD_PER_GET, 10);
  });
});

describe('wire format', () => {
  it('fits the largest inline frame in one message under either size accounting', () => {
    expect(inlineMessageSize(maxInlineFrameBytes('raw'), 'raw')).toBeLessThanOrEqual(
      SQS_MAX_MESSAGE_BYTES - 512,
    );
    expect(inlineMessageSize(maxInlineFrameBytes('base64'), 'base64')).toBeLessThanOrEqual(
      SQS_MAX_MESSAGE_BYTES - 512,
    );
    expect(maxInlineFrameBytes('raw')).toBeGreaterThan(1_040_000);
  });

  it('decodes its own messages and refuses anything else with BAD_MESSAGE', () => {
    const bytes = new Uint8Array([1, 2]);
    expect(
      decodeMessage({ Body: 'f', MessageAttributes: { f: { DataType: 'Binary', BinaryValue: bytes } } }, 'q'),
    ).toEqual({ kind: 'frame', frame: bytes });
    expect(decodeMessage({ Body: 'e' }, 'q')).toEqual({ kind: 'frame', frame: new Uint8Array(0) });
    for (const bad of [
      { Body: 'f' },
      { Body: '{"tsmpi":"s3","bucket":"b"}' },
      { Body: '{not json' },
      { Body: 'hello' },
      { Body: 'f', MessageAttributes: { f: { DataType: 'String', StringValue: 'x' } } },
    ]) {
      expect(() => decodeMessage(bad, 'the queue of rank 3')).toThrow(
        /a message in the queue of rank 3 is not a tsmpi frame/,
      );
    }
  });

  it('counts a received message as SQS bills it: raw binary bytes, not base64', () => {
    const m = {
      Body: 'f',
      MessageAttributes: { f: { DataType: 'Binary', BinaryValue: new Uint8Array(1000) } },
    };
    expect(receivedMessageBytes(m)).toBe(1 + 1 + 6 + 1000);
  });
});

describe('retry', () => {
  it('backs off exponentially with jitter, within the cap', () => {
    const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffMs(1, policy, () => 0)).toBe(50);
    expect(backoffMs(1, policy, () => 0.999)).toBeLessThan(100);
    expect(backoffMs(3, policy, () => 0)).toBe(200);
    expect(backoffMs(9, policy, () => 1)).toBe(1000);
  });

  it('rethrows a failure that is not retryable at once', async () => {
    let calls = 0;
    const denied = Object.assign(new Error('no'), { name: 'AccessDenied' });
    await expect(
      withRetries(
        () => {
          calls++;
          return Promise.reject(denied);
        },
        { policy: { maxAttempts: 5, baseDelayMs: 0, maxDelayMs: 0 }, what: 'x' },
      ),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);
  });

  it('classifies the failures the transport treats differently', () => {
    expect(classifyAwsError(throttled())).toBe('throttled');
    expect(classifyAwsError(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 503 } }))).toBe(
      'server',
    );
    expect(classifyAwsError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(
      'transient-network',
    );
    expect(classifyAwsError(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe('aborted');
  });
});

describe('SqsTransport options', () => {
  it('rejects unknown option keys, naming the key', () => {
    const { sqs } = newClients();
    expect(() => transport(sqs, { lateny: false } as never)).toThrow(/SqsTransport: unknown option `lateny`/);
  });

  it('rejects a bad rank, a queue list of the wrong length and S3 without a bucket', () => {
    const { sqs, s3 } = newClients();
    expect(() => transport(sqs, { rank: 3 })).toThrow(
      'Expected `rank` to be an integer in [0, 3), got `3` (number)',
    );
    expect(() => transport(sqs, { queueUrls: URLS.slice(0, 2) })).toThrow(
      'Expected `queueUrls` to be an array of 3 queue URLs (one per rank), got an array of 2',
    );
    expect(() => transport(sqs, { s3 })).toThrow('Expected `s3` and `bucket` together');
    expect(() => transport(sqs, { latency: { p50Ms: 5, p99Ms: 1 } })).toThrow(/latency.p99Ms/);
  });

  it('is of kind sqs and starts with empty stats', async () => {
    const { sqs } = newClients();
    const t = transport(sqs);
    expect(t.kind).toBe('sqs');
    expect(t.stats()).toMatchObject({
      calls: {},
      messagesSent: 0,
      bytesSent: 0,
      messagesReceived: 0,
      costUsd: 0,
    });
    await t.close();
  });
});
