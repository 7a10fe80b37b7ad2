/**
 * Sorts whatever the AWS SDK (or the network under it) threw into the few kinds the transport
 * reacts to differently: retry it, report a missing queue, or explain a setup problem.
 */

export type AwsErrorKind =
  /** The call was aborted by our own AbortSignal. */
  | 'aborted'
  /** SQS `QueueDoesNotExist` (JSON protocol) / `AWS.SimpleQueueService.NonExistentQueue` (query). */
  | 'queue-gone'
  /** S3 `NoSuchKey`. */
  | 'no-such-key'
  /** Throttling or a service limit that clears by itself: retry with backoff. */
  | 'throttled'
  /** A 5xx from the service: retry with backoff. */
  | 'server'
  /** A connection reset or timeout mid-request: retry with backoff. */
  | 'transient-network'
  /** Nothing listens at the endpoint, or its name does not resolve. */
  | 'unreachable'
  /** The SDK found no region. */
  | 'no-region'
  /** Missing, invalid or expired credentials. */
  | 'credentials'
  /** The credentials are valid but lack a permission. */
  | 'access-denied'
  /** A message or batch over the SQS size limit. */
  | 'too-large'
  | 'other';

const THROTTLE_NAMES = new Set([
  'RequestThrottled',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'KmsThrottled',
  // ReceiveMessage: too many in-flight messages; clears as messages are deleted.
  'OverLimit',
]);

const SERVER_NAMES = new Set([
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'InternalServerError',
]);

const CREDENTIAL_NAMES = new Set([
  'CredentialsProviderError',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'IncompleteSignature',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidAccessKeyId',
  'MissingAuthenticationToken',
  'InvalidSecurity',
  'AuthFailure',
  'TokenRefreshRequired',
]);

const ACCESS_NAMES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'KmsAccessDenied',
  'AuthorizationError',
]);

const QUEUE_GONE_NAMES = new Set([
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'QueueDoesNotExistException',
  'NonExistentQueue',
]);

const TOO_LARGE_NAMES = new Set(['BatchRequestTooLong', 'MessageTooLong', 'EntityTooLarge']);

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);

// EAI_AGAIN: a DNS lookup that failed for now (not a name that does not exist).
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'ESOCKETTIMEDOUT',
  'EAI_AGAIN',
]);

const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  errors?: unknown;
  cause?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: { throttling?: unknown };
}

function asErrorLike(err: unknown): ErrorLike {
  return typeof err === 'object' && err !== null ? (err as ErrorLike) : {};
}

/** The system error code (`ECONNREFUSED`, ...) of `err`, of its `cause` or of an AggregateError's parts. */
export function networkCode(err: unknown, depth = 0): string | undefined {
  if (depth > 4) return undefined;
  const e = asErrorLike(err);
  if (typeof e.code === 'string' && /^E[A-Z_]+$/.test(e.code)) return e.code;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const c = networkCode(inner, depth + 1);
      if (c !== undefined) return c;
    }
  }
  if (e.cause !== undefined) return networkCode(e.cause, depth + 1);
  return undefined;
}

/** The HTTP status of an SDK service error, when it has one. */
export function httpStatus(err: unknown): number | undefined {
  const s = asErrorLike(err).$metadata?.httpStatusCode;
  return typeof s === 'number' ? s : undefined;
}

/** The error's name (`QueueDoesNotExist`, `RequestThrottled`, ...), or `''`. */
export function errorName(err: unknown): string {
  const n = asErrorLike(err).name;
  return typeof n === 'string' ? n : '';
}

export function classifyAwsError(err: unknown): AwsErrorKind {
  const e = asErrorLike(err);
  const name = errorName(err);
  const message = typeof e.message === 'string' ? e.message : '';
  const status = httpStatus(err);
  if (name === 'AbortError') return 'aborted';
  if (QUEUE_GONE_NAMES.has(name)) return 'queue-gone';
  if (name === 'NoSuchKey') return 'no-such-key';
  if (THROTTLE_NAMES.has(name) || e.$retryable?.throttling === true || status === 429) return 'throttled';
  if (TOO_LARGE_NAMES.has(name)) return 'too-large';
  if (CREDENTIAL_NAMES.has(name) || /could not load credentials|credential is missing/i.test(message)) {
    return 'credentials';
  }
  if (ACCESS_NAMES.has(name) || status === 403) return 'access-denied';
  if (/region is missing/i.test(message)) return 'no-region';
  const code = networkCode(err);
  if (code !== undefined && UNREACHABLE_CODES.has(code)) return 'unreachable';
  if ((code !== undefined && TRANSIENT_CODES.has(code)) || TRANSIENT_NAMES.has(name))
    return 'transient-network';
  if (/socket hang up/i.test(message)) return 'transient-network';
  if (SERVER_NAMES.has(name) || (status !== undefined && status >= 500) || e.$fault === 'server')
    return 'server';
  return 'other';
}

/** Kinds worth retrying with backoff: they clear by themselves. */
export function isRetryable(kind: AwsErrorKind): boolean {
  return kind === 'throttled' || kind === 'server' || kind === 'transient-network';
}
