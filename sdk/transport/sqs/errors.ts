/**
 * Errors of the SQS transport. One class, told apart by `code`, so callers (the channel, the
 * launcher, the CLI) can react to "queue gone" or "bad credentials" without parsing messages.
 * The AWS error that caused it, when there is one, is kept as `cause`.
 */
import { TsmpiError } from '../../base/errors.js';

export type SqsTransportErrorCode =
  /** A rank's queue does not exist (deleted mid-job, swept, or never created). */
  | 'QUEUE_GONE'
  /** A call kept failing with throttling / 5xx / network errors until the retry budget ran out. */
  | 'RETRIES_EXHAUSTED'
  /** The SQS or S3 endpoint cannot be reached. */
  | 'UNREACHABLE'
  /** No AWS region is configured. */
  | 'NO_REGION'
  /** Credentials are missing, invalid or expired. */
  | 'BAD_CREDENTIALS'
  /** The credentials lack a permission. */
  | 'ACCESS_DENIED'
  /** A frame does not fit in an SQS message and no S3 bucket was configured to offload it. */
  | 'FRAME_TOO_LARGE'
  /** An offloaded payload is missing or does not match its pointer. */
  | 'PAYLOAD_LOST'
  /** A message in a rank's queue that this transport did not write. */
  | 'BAD_MESSAGE'
  /** The transport was closed. */
  | 'CLOSED'
  /** Anything else the AWS SDK reported. */
  | 'AWS';

export class SqsTransportError extends TsmpiError {
  declare readonly code: SqsTransportErrorCode;

  constructor(code: SqsTransportErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'SqsTransportError';
  }
}
