/**
 * The provider side of a Lambda-backed CloudFormation custom resource: recognizing its requests
 * and answering them, as the CloudFormation User Guide describes ("Custom resource request
 * objects", "Custom resource response objects"):
 *
 * - CloudFormation invokes the function with a request (`RequestType` Create, Update or Delete,
 *   and a pre-signed Amazon S3 `ResponseURL`) and then waits for a JSON document PUT to that URL.
 *   With no answer it waits until the resource's `ServiceTimeout` (3,600 s by default) and fails
 *   the stack operation, so every request is answered, whatever happened.
 * - The answer copies `StackId`, `RequestId` and `LogicalResourceId`, gives a non-empty
 *   `PhysicalResourceId` that stays the same for the life of the resource (a different one on
 *   Update is a replacement: CloudFormation then sends a Delete for the old one), a `Reason` when
 *   it is FAILED, and may not exceed 4,096 bytes in all.
 * - The URL is pre-signed for a PUT with no content type. Where the signature covers the content
 *   type (Signature Version 2 URLs sign it), a request that sends `Content-Type: application/json`
 *   no longer matches and S3 answers 403 SignatureDoesNotMatch; the guide's own `cfn-response`
 *   module sends an empty `content-type`, and so does this (a Signature Version 4 URL that signs
 *   only the host accepts either).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { TsmpiError } from '../sdk/base/errors.js';
import { type RetryPolicy, retry } from '../sdk/base/retry.js';

export type CustomResourceEvent = CloudFormationCustomResourceEvent;

/** What a provider decided about one request. */
export interface CustomResourceOutcome {
  readonly status: 'SUCCESS' | 'FAILED';
  /** Why it FAILED (CloudFormation shows it in the stack's events); optional on SUCCESS. */
  readonly reason?: string;
  readonly physicalResourceId: string;
  /** Attributes for `Fn::GetAtt`. */
  readonly data?: Readonly<Record<string, string | number>>;
}

/** The total size CloudFormation accepts for an answer. */
export const MAX_RESPONSE_BYTES = 4096;

/** Whether `event` is a CloudFormation custom-resource request (not, e.g., a scheduled event). */
export function isCustomResourceEvent(event: unknown): event is CustomResourceEvent {
  if (typeof event !== 'object' || event === null) return false;
  const e = event as Record<string, unknown>;
  return (
    (e.RequestType === 'Create' || e.RequestType === 'Update' || e.RequestType === 'Delete') &&
    typeof e.ResponseURL === 'string' &&
    typeof e.StackId === 'string' &&
    typeof e.RequestId === 'string' &&
    typeof e.LogicalResourceId === 'string'
  );
}

/**
 * The JSON document that answers `event`, within {@link MAX_RESPONSE_BYTES}: an over-long reason
 * is cut (it is the only part of unbounded length here), ending with "…".
 */
export function responseBody(event: CustomResourceEvent, outcome: CustomResourceOutcome): string {
  const doc = (reason: string | undefined) =>
    JSON.stringify({
      Status: outcome.status,
      ...(reason === undefined ? {} : { Reason: reason }),
      PhysicalResourceId: outcome.physicalResourceId,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      NoEcho: false,
      ...(outcome.data === undefined ? {} : { Data: outcome.data }),
    });
  const reason = outcome.reason ?? (outcome.status === 'FAILED' ? 'failed (no reason given)' : undefined);
  const body = doc(reason);
  if (reason === undefined || Buffer.byteLength(body) <= MAX_RESPONSE_BYTES) return body;
  // The longest head of the reason that fits, found by halving (escaping and UTF-8 make a
  // character cost 1 to 6 bytes).
  let lo = 0;
  let hi = reason.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (Buffer.byteLength(doc(`${reason.slice(0, mid)}…`)) <= MAX_RESPONSE_BYTES) lo = mid;
    else hi = mid - 1;
  }
  // Not between the two halves of a surrogate pair (a character outside the BMP).
  const code = reason.charCodeAt(lo - 1);
  if (code >= 0xd800 && code <= 0xdbff) lo -= 1;
  return doc(`${reason.slice(0, lo)}…`);
}

/** The answer could not be delivered (CloudFormation then fails the operation at its timeout). */
export class CustomResourceResponseError extends TsmpiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CUSTOM_RESOURCE_RESPONSE', message, options);
    this.name = 'CustomResourceResponseError';
  }
}

/** A PUT that failed with an HTTP status (`status`), or without one (network). */
class PutFailed extends Error {
  readonly status: number | undefined;
  constructor(message: string, status: number | undefined) {
    super(message);
    this.status = status;
  }
}

/** How long one PUT of an answer may take before it counts as failed (and is tried again). */
export const PUT_TIMEOUT_MS = 10_000;

/**
 * Retries of an answer's PUT: S3 may answer 503 Slow Down, which wants a pause of seconds. With
 * {@link PUT_TIMEOUT_MS} the worst case is about 45 s, which the sweeper keeps in hand before its
 * timeout (`ANSWER_MARGIN_MS`).
 */
export const RESPONSE_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 4_000,
});

/** How {@link respond} delivers (tests shorten the pauses or replace the PUT). */
export interface RespondOptions {
  readonly put?: (url: string, body: string) => Promise<void>;
  readonly policy?: RetryPolicy;
}

/** PUTs `body` to `url` with an empty content type; resolves on 2xx, else rejects with `PutFailed`. */
export function putResponse(url: string, body: string, timeoutMs = PUT_TIMEOUT_MS): Promise<void> {
  const target = new URL(url);
  const send = target.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise<void>((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'PUT',
        headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < 500) text += chunk;
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new PutFailed(`HTTP ${status}${text === '' ? '' : `: ${text.slice(0, 300)}`}`, status));
        });
        res.on('error', (e) => reject(new PutFailed(e.message, undefined)));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(new PutFailed(e.message, undefined)));
    req.end(body);
  });
}

/** Network failures, throttling and server errors are worth another try; a 403 or 404 is not. */
function transient(err: unknown): boolean {
  if (!(err instanceof PutFailed)) return false;
  return err.status === undefined || err.status === 429 || err.status >= 500;
}

/**
 * Answers `event` with `outcome`, retrying transient failures of the PUT (network, 429, 5xx).
 * Rejects with {@link CustomResourceResponseError}, naming the resource and request, if it cannot
 * be delivered.
 */
export async function respond(
  event: CustomResourceEvent,
  outcome: CustomResourceOutcome,
  options: RespondOptions = {},
): Promise<void> {
  const body = responseBody(event, outcome);
  const put = options.put ?? putResponse;
  const what = `${event.LogicalResourceId} (${event.RequestType})`;
  await retry(() => put(event.ResponseURL, body), {
    policy: options.policy ?? RESPONSE_RETRY_POLICY,
    shouldRetry: transient,
    exhausted: (attempts, err) =>
      new CustomResourceResponseError(
        `Could not answer CloudFormation for ${what} after ${attempts} attempts: ${(err as Error).message}`,
        { cause: err },
      ),
  }).catch((err: unknown) => {
    if (err instanceof CustomResourceResponseError) throw err;
    const refused = err instanceof PutFailed && err.status !== undefined;
    throw new CustomResourceResponseError(
      refused
        ? `CloudFormation's response URL refused the answer for ${what}: ${(err as Error).message}`
        : `Could not answer CloudFormation for ${what}: ${(err as Error).message}`,
      { cause: err },
    );
  });
}
