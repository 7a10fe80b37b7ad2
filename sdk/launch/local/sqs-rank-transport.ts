import type { MemoryFabric } from '../../transport/memory/memory-fabric.js';
import { NodePlan } from '../../transport/node/node-plan.js';
import { createSqsNodeRank } from '../../transport/node/sqs-nodes.js';
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
  if (spec.nodes !== undefined) return nodeRankTransport(spec, spec.nodes, rank, size, { sqs, s3 });
  const inner = new SqsTransport({
    rank,
    size,
    queueUrls: spec.queueUrls,
    sqs,
    jobId: spec.jobId,
    // No bucket (the launcher's was refused): frames over the SQS limit fail saying so.
    ...(spec.bucket === undefined ? {} : { s3, bucket: spec.bucket }),
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

/** A rank of a node: shared memory with its node-mates, the node queues to other nodes. */
function nodeRankTransport(
  spec: Extract<TransportSpec, { kind: 'sqs' }>,
  nodes: { ranksPerNode: number; fabrics: unknown[] },
  rank: number,
  size: number,
  clients: ReturnType<typeof createSqsClients>,
): Transport {
  const { sqs, s3 } = clients;
  return createSqsNodeRank({
    rank,
    plan: new NodePlan(size, nodes.ranksPerNode),
    fabrics: nodes.fabrics as MemoryFabric[],
    queues: {
      nodeUrls: spec.queueUrls,
      sqs,
      jobId: spec.jobId,
      ...(spec.bucket === undefined ? {} : { s3, bucket: spec.bucket }),
      ...(spec.latency === undefined ? {} : { latency: spec.latency }),
      binaryAccounting: spec.endpoint === undefined ? 'raw' : 'base64',
    },
    // The clients are this rank's own: gone with its transport, so the worker's loop can end.
    dispose: () => {
      sqs.destroy();
      s3.destroy();
    },
  });
}
