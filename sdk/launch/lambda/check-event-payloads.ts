import { UsageError } from '../../base/errors.js';
import type { FanOutEvents } from './fan-out-events.js';

/**
 * Lambda's payload quota for an asynchronous (`Event`) invocation: "For asynchronous invocations,
 * the maximum payload size is 1 MB" (Lambda API reference, Invoke; raised from 256 KB in 2025).
 * Lambda refuses a larger event with RequestEntityTooLargeException.
 */
export const ASYNC_PAYLOAD_LIMIT_BYTES = 1_048_576;

/**
 * Checks, before anything is invoked, that the event of every rank the launcher invokes fits
 * the async payload quota (a tree head's event is the largest its subtree sees). Throws a
 * UsageError saying what takes the room and what to do.
 */
export function checkEventPayloads(events: FanOutEvents, limit = ASYNC_PAYLOAD_LIMIT_BYTES): void {
  for (const rank of events.ranks) {
    const event = events.eventFor(rank);
    const bytes = Buffer.byteLength(JSON.stringify(event), 'utf8');
    if (bytes <= limit) continue;
    const argsBytes = Buffer.byteLength(JSON.stringify(event.args ?? event.argsCodec ?? {}), 'utf8');
    throw new UsageError(
      `the Lambda event of rank ${rank} is ${bytes} bytes, over the ${limit}-byte (1 MB) limit of an asynchronous invocation; ` +
        `the job's arguments take ${argsBytes} of them: pass large inputs another way (a file bundled with the job, or an S3 object the job reads) and keep the arguments small`,
    );
  }
}
