import { createSqsClients } from '../../transport/sqs/clients.js';
import { SqsTransport } from '../../transport/sqs/sqs-transport.js';
import type { Transport, TransportStats } from '../../transport/transport.js';
import type { TransportSpec } from './worker-protocol.js';

/**
 * One rank's SQS transport, built inside its worker from the launcher's spec. The clients are the
 * rank's own; closing the transport destroys them so the worker's event loop can end.
 */
export function createSqsRankTransport(
  spec: Extract<TransportSpec, { kind: 'sqs' }>,
  rank: number,
  size: number,
): Transport {
  const clientOptions: Parameters<typeof createSqsClients>[0] = {};
  if (spec.endpoint !== undefined) clientOptions.endpoint = spec.endpoint;
  if (spec.region !== undefined) clientOptions.region = spec.region;
  const { sqs, s3 } = createSqsClients(clientOptions);
  const inner = new SqsTransport({
    rank,
    size,
    queueUrls: spec.queueUrls,
    sqs,
    s3,
    jobId: spec.jobId,
    ...(spec.bucket === undefined ? {} : { bucket: spec.bucket }),
    ...(spec.latency === undefined ? {} : { latency: spec.latency }),
    // Emulators count binary attributes as base64 against the size limit; AWS counts raw bytes.
    binaryAccounting: spec.endpoint === undefined ? 'raw' : 'base64',
  });
  return {
    kind: inner.kind,
    rank,
    size,
    send: (dst, frame) => inner.send(dst, frame),
    start: (onFrames, onError) => inner.start(onFrames, onError),
    async close() {
      try {
        await inner.close();
      } finally {
        sqs.destroy();
        s3.destroy();
      }
    },
    stats: (): TransportStats => inner.stats(),
  };
}
