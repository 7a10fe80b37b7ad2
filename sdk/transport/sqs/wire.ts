import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import { SqsTransportError } from './errors.js';

/**
 * How a frame is laid out in an SQS message. SQS requires a non-empty body, so the body is a
 * one-letter marker and the frame travels as a Binary message attribute: no base64 in what SQS
 * counts against its size limit, and none in what the application sees.
 *
 *   body `f` + attribute `f` (Binary)   an inline frame
 *   body `e`                            an empty frame (a Binary attribute cannot be empty)
 *   body `{"tsmpi":"s3",...}`           a pointer to a frame offloaded to S3 (claim check)
 */
export const INLINE_BODY = 'f';
export const EMPTY_BODY = 'e';
export const FRAME_ATTRIBUTE = 'f';
const BINARY = 'Binary';

/** SQS's hard limit on one message, and on the sum of the messages of one batch. */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;
/** SQS's limit on entries per batch call. */
export const SQS_MAX_BATCH_ENTRIES = 10;
/** Kept free below the limit, so a frame that fits by a few bytes is not one that fails. */
export const SIZE_HEADROOM_BYTES = 512;

/**
 * How a Binary attribute counts against the size limit. AWS counts its bytes (`raw`); some
 * emulators count its base64 text (`base64`), which is a third larger.
 */
export type BinaryAccounting = 'raw' | 'base64';

export function base64Length(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

/** What an inline frame of `frameBytes` counts as against the SQS size limit. */
export function inlineMessageSize(frameBytes: number, accounting: BinaryAccounting): number {
  if (frameBytes === 0) return EMPTY_BODY.length;
  const value = accounting === 'raw' ? frameBytes : base64Length(frameBytes);
  return INLINE_BODY.length + FRAME_ATTRIBUTE.length + BINARY.length + value;
}

/** The largest frame that still travels inline. */
export function maxInlineFrameBytes(accounting: BinaryAccounting): number {
  const budget =
    SQS_MAX_MESSAGE_BYTES - SIZE_HEADROOM_BYTES - INLINE_BODY.length - FRAME_ATTRIBUTE.length - 6;
  return accounting === 'raw' ? budget : Math.floor(budget / 4) * 3;
}

export interface S3Pointer {
  bucket: string;
  key: string;
  bytes: number;
}

export function pointerBody(p: S3Pointer): string {
  return JSON.stringify({ tsmpi: 's3', bucket: p.bucket, key: p.key, bytes: p.bytes });
}

export function inlineAttributes(frame: Uint8Array): Record<string, MessageAttributeValue> | undefined {
  if (frame.length === 0) return undefined;
  return { [FRAME_ATTRIBUTE]: { DataType: BINARY, BinaryValue: frame } };
}

export type DecodedMessage = { kind: 'frame'; frame: Uint8Array } | { kind: 'pointer'; pointer: S3Pointer };

function badMessage(queue: string, why: string): SqsTransportError {
  return new SqsTransportError(
    'BAD_MESSAGE',
    `a message in ${queue} is not a tsmpi frame (${why}): something else writes to this job's queue`,
  );
}

/** Reads a received message back into a frame or an S3 pointer; `queue` names the queue in errors. */
export function decodeMessage(m: Message, queue: string): DecodedMessage {
  const body = m.Body ?? '';
  if (body === INLINE_BODY) {
    const attr = m.MessageAttributes?.[FRAME_ATTRIBUTE];
    const value = attr?.BinaryValue;
    if (attr?.DataType !== BINARY || !(value instanceof Uint8Array)) {
      throw badMessage(queue, `body "${INLINE_BODY}" without a Binary attribute "${FRAME_ATTRIBUTE}"`);
    }
    return { kind: 'frame', frame: value };
  }
  if (body === EMPTY_BODY) return { kind: 'frame', frame: new Uint8Array(0) };
  if (body.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw badMessage(queue, 'unparsable JSON body');
    }
    const p = parsed as Record<string, unknown>;
    if (
      p.tsmpi === 's3' &&
      typeof p.bucket === 'string' &&
      typeof p.key === 'string' &&
      typeof p.bytes === 'number' &&
      Number.isSafeInteger(p.bytes) &&
      p.bytes >= 0
    ) {
      return { kind: 'pointer', pointer: { bucket: p.bucket, key: p.key, bytes: p.bytes } };
    }
    throw badMessage(queue, 'JSON body that is not an S3 pointer');
  }
  throw badMessage(queue, `body ${JSON.stringify(body.slice(0, 40))}`);
}

/** A received message's size as SQS bills it: body plus attribute names, types and values. */
export function receivedMessageBytes(m: Message): number {
  let n = Buffer.byteLength(m.Body ?? '', 'utf8');
  for (const [name, a] of Object.entries(m.MessageAttributes ?? {})) {
    n += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(a.DataType ?? '', 'utf8');
    if (a.StringValue !== undefined) n += Buffer.byteLength(a.StringValue, 'utf8');
    if (a.BinaryValue !== undefined) n += a.BinaryValue.length;
  }
  return n;
}
