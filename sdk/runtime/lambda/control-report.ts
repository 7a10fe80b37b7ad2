/**
 * What a rank running on Lambda tells its launcher, over the job's control queue
 * (`<prefix>-<jobId>-ctl`, an SQS standard queue).
 *
 * A standard queue delivers at least once and in any order, so every report carries the rank's
 * own sequence number, and the launcher releases each rank's reports in sequence order, once
 * (`ReportSequencer`): output lines come out in the order they were printed and `done` comes
 * after the last of them. Notices (`seq = -1`) are unsequenced and may repeat.
 *
 * Wire format: the message body is the base64 of the envelope encoded with the project codec
 * (so a rank's result is any structured-cloneable value, as on the other backends). An envelope
 * too large for one message goes to S3 under `payloads/<jobId>/reports/` and the body is a JSON
 * pointer to it.
 */
import { TsmpiError } from '../../base/errors.js';
import type { RankErrorInfo } from '../../base/rank-error-info.js';
import { decode, encode } from '../../codec/codec.js';
import type { PendingCallInfo } from '../pending-calls.js';
import type { RankStats } from '../run-rank.js';

/** Which stream an output line was printed on. */
export type OutputStream = 'stdout' | 'stderr';

export type { PendingCallInfo } from '../pending-calls.js';

/** One rank invocation's own counts, for the cost report. */
export interface InvocationUsage {
  /** Handler time so far, ms (what Lambda bills as duration, give or take the last report). */
  durationMs: number;
  /** Init (cold start) time of this execution environment, ms; 0 when warm. Billed since 2025. */
  initMs: number;
  /** Configured memory, MB. */
  memoryMb: number;
  /** Calls this invocation made outside the data path (control reports, claim, job download, spawns). */
  calls: Record<string, number>;
  /**
   * Set when the invocation is a node of several ranks: each of its ranks reports the node's
   * duration so far, and the cost report bills each node once, at the longest (see `cost-report.ts`).
   */
  node?: number;
}

export type RankReport =
  /**
   * The job is loaded; the rank runs it now. `remainingMs`: what the invocation had left when it
   * sent this (Lambda kills it then). `eventAgeMs`: send time minus `launchedAt`, across two clocks.
   */
  | { type: 'started'; remainingMs: number; memoryMb: number; cold: boolean; eventAgeMs: number }
  /** Lines printed by the job, in order. */
  | { type: 'output'; lines: [OutputStream, string][] }
  /** The job called `abort(errorcode)` on this rank; `stack`: where (see `abortReport`). */
  | { type: 'abort'; errorcode: number; stack?: string }
  | {
      type: 'done';
      value: unknown;
      computeMs: number;
      stats: RankStats;
      usage: InvocationUsage;
      /** Data messages this rank sent to each rank, by world rank (for `FinishedNotices`). */
      sentTo?: number[];
    }
  | {
      type: 'failed';
      error: RankErrorInfo;
      /** `lambda`: the Lambda deadline came; `job`: the job's --timeout did. */
      timeout?: 'lambda' | 'job';
      pending?: PendingCallInfo[];
      stats?: RankStats;
      usage: InvocationUsage;
    };

export type RankNotice =
  /** A second delivery of this rank's event: it found the rank claimed and ran nothing. */
  | { type: 'duplicate'; usage: InvocationUsage }
  /** The event could not be used (bad event, job not loadable before `started`). */
  | { type: 'rejected'; error: RankErrorInfo; usage: InvocationUsage };

export interface ReportEnvelope {
  v: 1;
  jobId: string;
  rank: number;
  /** Per-rank sequence number from 0; -1 for notices. */
  seq: number;
  report: RankReport | RankNotice;
}

/** The most of an abort's stack a report carries (a stack is a few hundred characters; a deep one is cut). */
export const MAX_ABORT_STACK_CHARS = 8_192;

/** The `abort` report of a rank whose job called `abort(errorcode)`, with where it did (cut to a bound). */
export function abortReport(errorcode: number, stack: string | undefined): RankReport {
  return stack === undefined
    ? { type: 'abort', errorcode }
    : { type: 'abort', errorcode, stack: stack.slice(0, MAX_ABORT_STACK_CHARS) };
}

/** Bodies above this many characters go to S3 (SQS allows 1 MiB; emulators count characters). */
export const MAX_INLINE_REPORT_CHARS = 900_000;

/** Encodes an envelope into codec bytes. Throws MPIError(ERR_TYPE) for a value that cannot be sent. */
export function encodeEnvelope(envelope: ReportEnvelope): Uint8Array {
  return encode(envelope);
}

export function envelopeBody(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export interface ReportPointer {
  tsmpi: 'report';
  bucket: string;
  key: string;
  bytes: number;
}

export function pointerBody(p: Omit<ReportPointer, 'tsmpi'>): string {
  return JSON.stringify({ tsmpi: 'report', bucket: p.bucket, key: p.key, bytes: p.bytes });
}

/** A control-queue message that is not a report of this job. */
export class BadReportError extends TsmpiError {
  constructor(message: string) {
    super('BAD_REPORT', message);
    this.name = 'BadReportError';
  }
}

/** Reads a message body: an envelope, or a pointer whose object the caller fetches and passes to `decodeEnvelope`. */
export function parseReportBody(body: string): { bytes: Uint8Array } | { pointer: ReportPointer } {
  if (body.startsWith('{')) {
    let p: Record<string, unknown>;
    try {
      p = JSON.parse(body) as Record<string, unknown>;
    } catch {
      throw new BadReportError('control message: unparsable JSON body');
    }
    if (
      p.tsmpi === 'report' &&
      typeof p.bucket === 'string' &&
      typeof p.key === 'string' &&
      typeof p.bytes === 'number'
    )
      return { pointer: { tsmpi: 'report', bucket: p.bucket, key: p.key, bytes: p.bytes } };
    throw new BadReportError('control message: a JSON body that is not a report pointer');
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new BadReportError('control message: body is not base64');
  return { bytes: new Uint8Array(Buffer.from(body, 'base64')) };
}

const REPORT_TYPES = new Set(['started', 'output', 'abort', 'done', 'failed']);
const NOTICE_TYPES = new Set(['duplicate', 'rejected']);

/** Decodes and checks an envelope (untrusted bytes: the codec never runs code). */
export function decodeEnvelope(bytes: Uint8Array, jobId: string, size: number): ReportEnvelope {
  let v: unknown;
  try {
    v = decode(bytes);
  } catch (err) {
    throw new BadReportError(`control message: not a report (${(err as Error).message})`);
  }
  const e = v as Partial<ReportEnvelope> | null;
  if (e === null || typeof e !== 'object' || e.v !== 1)
    throw new BadReportError('control message: not a version 1 report envelope');
  if (e.jobId !== jobId)
    throw new BadReportError(`control message: for job ${String(e.jobId)}, not ${jobId}`);
  if (typeof e.rank !== 'number' || !Number.isInteger(e.rank) || e.rank < 0 || e.rank >= size)
    throw new BadReportError(`control message: rank ${String(e.rank)} is outside the job (size ${size})`);
  if (typeof e.seq !== 'number' || !Number.isInteger(e.seq) || e.seq < -1)
    throw new BadReportError(`control message: bad sequence number ${String(e.seq)}`);
  const type = (e.report as { type?: unknown } | undefined)?.type;
  const known = e.seq === -1 ? NOTICE_TYPES : REPORT_TYPES;
  if (typeof type !== 'string' || !known.has(type))
    throw new BadReportError(
      `control message: unknown ${e.seq === -1 ? 'notice' : 'report'} type ${String(type)}`,
    );
  return e as ReportEnvelope;
}

/**
 * Releases each rank's reports in sequence order, each once, whatever order and however often
 * the queue delivers them. Reports wait (in a per-rank map) only while an earlier one is missing.
 */
export class ReportSequencer {
  readonly #next: number[];
  readonly #held: Map<number, RankReport>[];
  #duplicates = 0;

  constructor(size: number) {
    this.#next = new Array<number>(size).fill(0);
    this.#held = Array.from({ length: size }, () => new Map());
  }

  /** Duplicate deliveries dropped so far. */
  get duplicates(): number {
    return this.#duplicates;
  }

  /** Accepts one sequenced envelope; returns the reports it releases, in order. */
  accept(e: ReportEnvelope): RankReport[] {
    const next = this.#next[e.rank]!;
    const held = this.#held[e.rank]!;
    if (e.seq < next || held.has(e.seq)) {
      this.#duplicates++;
      return [];
    }
    held.set(e.seq, e.report as RankReport);
    const out: RankReport[] = [];
    let n = next;
    for (let r = held.get(n); r !== undefined; r = held.get(n)) {
      held.delete(n);
      out.push(r);
      n++;
    }
    this.#next[e.rank] = n;
    return out;
  }
}
