import { S3Client } from '@aws-sdk/client-s3';
import {
  type Message,
  QueueDoesNotExist,
  RequestThrottled,
  type SendMessageBatchRequestEntry,
  SQSClient,
  SQSServiceException,
} from '@aws-sdk/client-sqs';
import { SqsTransport, type SqsTransportOptions } from '../../../../sdk/transport/sqs/sqs-transport.js';

export const URLS = ['https://sqs.test/000/q-0', 'https://sqs.test/000/q-1', 'https://sqs.test/000/q-2'];

const config = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };

export function newClients(): { sqs: SQSClient; s3: S3Client } {
  return { sqs: new SQSClient(config), s3: new S3Client(config) };
}

export function transport(sqs: SQSClient, extra: Partial<SqsTransportOptions> = {}): SqsTransport {
  return new SqsTransport({
    rank: 0,
    size: 3,
    queueUrls: URLS,
    sqs,
    jobId: 'job1',
    retry: { baseDelayMs: 0, maxDelayMs: 0, maxAttempts: 4 },
    closeGraceMs: 50,
    // QueueDoesNotExist is final at once here; the grace for new queues is tested over the rules layer.
    newQueueGraceMs: 0,
    ...extra,
  });
}

/** A SendMessageBatch response accepting every entry of `input`. */
export function acceptAll(input: { Entries?: SendMessageBatchRequestEntry[] }) {
  return {
    Successful: (input.Entries ?? []).map((e) => ({
      Id: e.Id,
      MessageId: `id-${e.Id}`,
      MD5OfMessageBody: '',
    })),
    Failed: [],
  };
}

export function throttled(): Error {
  return new RequestThrottled({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
}

export function serverError(): Error {
  return new SQSServiceException({
    name: 'InternalError',
    $fault: 'server',
    $metadata: { httpStatusCode: 500 },
    message: 'internal error',
  });
}

export function queueGone(): Error {
  return new QueueDoesNotExist({
    message: 'The specified queue does not exist.',
    $metadata: { httpStatusCode: 400 },
  });
}

/** A received message carrying `bytes` inline, as the transport writes it. */
export function inlineMessage(bytes: Uint8Array, handle: string): Message {
  return {
    MessageId: `m-${handle}`,
    ReceiptHandle: handle,
    Body: 'f',
    MessageAttributes: { f: { DataType: 'Binary', BinaryValue: bytes } },
  };
}

/** The frame bytes an entry of a SendMessageBatch request carries inline. */
export function entryFrame(e: SendMessageBatchRequestEntry): Uint8Array {
  if (e.MessageBody === 'e') return new Uint8Array(0);
  const v = e.MessageAttributes?.f?.BinaryValue;
  if (!(v instanceof Uint8Array)) throw new Error(`entry ${e.Id} carries no inline frame`);
  return v;
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A promise that never settles: a long poll that waits until it is aborted. */
export function forever<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}
