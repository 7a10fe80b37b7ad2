import { lstat, open, rm } from 'node:fs/promises';
import type { RankTrace } from '../../base/rank-trace.js';

/** How the ranks' clocks were put on one time axis, and how far off they may be. */
export interface ClockAlignment {
  method: string;
  /** Largest error between two ranks' timestamps, µs. */
  errorBoundUs: number;
}

/** One Chrome trace event (the subset this writer emits). */
export interface TraceEvent {
  name: string;
  ph: 'X' | 's' | 'f' | 'M';
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  id?: number | string;
  bp?: 'e';
  args?: Record<string, unknown>;
}

/** A Chrome trace-event file (JSON object format) that Perfetto UI and chrome://tracing open. */
export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, unknown>;
}

/** The category of call slices, of frame slices, and of flows (the trace viewer filters on them). */
export const CALL_CAT = 'mpi';
export const FRAME_CAT = 'frame';
export const FLOW_CAT = 'message';

/**
 * Writes the ranks' events as one trace: a track per rank (tid = rank) inside its node's process
 * (pid = node), an `X` slice per call and per frame, and a flow from each sent frame to where its
 * destination took it: the frame's release, or, for a message that waited unexpected, the moment
 * a receive took it. The pair shares (src, dst, seq), the channel's per-pair sequence.
 * `size` is the job's number of ranks: a failed job's `traces` may not have them all.
 *
 * @example
 * writeFileSync('t.json', JSON.stringify(chromeTrace(traces, { method: 'shared clock', errorBoundUs: 1 })));
 */
export function chromeTrace(
  traces: readonly RankTrace[],
  clock: ClockAlignment,
  meta: Record<string, unknown> = {},
  nodeOf: (rank: number) => number = () => 0,
  size: number = traces.reduce((n, t) => Math.max(n, t.rank + 1), 0),
): ChromeTrace {
  const baseOrigin = Math.min(...traces.map((t) => t.timeOriginMs));
  // Epoch µs relative to the earliest rank's origin: keeps sub-µs precision in a double. By rank:
  // a failed job's trace has only the ranks that reported, not always 0..k-1.
  const shift = new Map(traces.map((t) => [t.rank, (t.timeOriginMs - baseOrigin) * 1000]));
  let start = Number.POSITIVE_INFINITY;
  for (const t of traces) start = Math.min(start, shift.get(t.rank)! + t.jobStartMs * 1000);
  const us = (rank: number, ms: number) => round(shift.get(rank)! + ms * 1000 - start);
  const events: TraceEvent[] = [];
  const nodes = new Set<number>();
  for (const t of traces) {
    const pid = nodeOf(t.rank);
    nodes.add(pid);
    events.push({ name: 'thread_name', ph: 'M', pid, tid: t.rank, args: { name: `rank ${t.rank}` } });
    events.push({ name: 'thread_sort_index', ph: 'M', pid, tid: t.rank, args: { sort_index: t.rank } });
    for (const c of t.calls) {
      const args: Record<string, unknown> = {};
      if (c.p !== undefined) args.peer = c.p;
      if (c.tag !== undefined) args.tag = c.tag;
      if (c.b !== undefined) args.bytes = c.b;
      if (c.c !== undefined) args.comm = c.c;
      if (c.a !== undefined) args.algorithm = c.a;
      args.waitedUs = round((c.t1 - c.ts) * 1000);
      if (c.s !== undefined) args.site = c.s;
      events.push({
        name: c.n,
        cat: CALL_CAT,
        ph: 'X',
        pid,
        tid: t.rank,
        ts: us(t.rank, c.t0),
        dur: round((c.t1 - c.t0) * 1000),
        args,
      });
    }
  }
  for (const pid of nodes) {
    events.push({ name: 'process_name', ph: 'M', pid, tid: 0, args: { name: `node ${pid}` } });
  }
  // Sends by message id; each release looks its send up. Messages a receive took after they
  // waited unexpected: when it took them (the arrow ends in that call, not at the arrival).
  const sent = new Map<string, { rank: number; ts: number }>();
  const taken = new Map<string, number>();
  for (const t of traces) {
    for (const f of t.frames) {
      if (f.k === 2) {
        taken.set(messageKey(f.p, t.rank, f.q), f.t);
        continue;
      }
      const ts = us(t.rank, f.t);
      const pid = nodeOf(t.rank);
      const args = { peer: f.p, seq: f.q, ctx: f.c, tag: f.tag, bytes: f.b };
      events.push({
        name: f.k === 0 ? `send → ${f.p}` : `recv ← ${f.p}`,
        cat: FRAME_CAT,
        ph: 'X',
        pid,
        tid: t.rank,
        ts,
        dur: 0,
        args,
      });
      if (f.k === 0) sent.set(messageKey(t.rank, f.p, f.q), { rank: t.rank, ts });
    }
  }
  let flows = 0;
  let unmatched = 0;
  for (const t of traces) {
    for (const f of t.frames) {
      if (f.k !== 1) continue;
      const key = messageKey(f.p, t.rank, f.q);
      const s = sent.get(key);
      if (s === undefined) {
        unmatched++;
        continue;
      }
      sent.delete(key);
      const id = flowId(f.p, t.rank, f.q, size);
      events.push({
        name: 'message',
        cat: FLOW_CAT,
        ph: 's',
        id,
        pid: nodeOf(s.rank),
        tid: s.rank,
        ts: s.ts,
        bp: 'e',
      });
      events.push({
        name: 'message',
        cat: FLOW_CAT,
        ph: 'f',
        id,
        pid: nodeOf(t.rank),
        tid: t.rank,
        ts: us(t.rank, taken.get(key) ?? f.t),
        bp: 'e',
      });
      flows++;
    }
  }
  return {
    traceEvents: events,
    displayTimeUnit: 'ms',
    otherData: {
      ...meta,
      ranks: size,
      // The ranks whose events are here: all of them, unless the job failed before some reported.
      ranksTraced: traces.map((t) => t.rank),
      clockAlignment: clock.method,
      clockErrorBoundUs: clock.errorBoundUs,
      flows,
      receivesWithoutSend: unmatched,
      sendsWithoutReceive: sent.size,
      epochStartUs: round(baseOrigin * 1000 + start),
    },
  };
}

function messageKey(src: number, dst: number, seq: number): string {
  return `${src}>${dst}#${seq}`;
}

/** A number while it stays exact (worlds up to ~1400 ranks), else a string. */
function flowId(src: number, dst: number, seq: number, size: number): number | string {
  const id = (src * size + dst) * 2 ** 32 + seq;
  return Number.isSafeInteger(id) ? id : `${src}>${dst}#${seq}`;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Events serialized per write by `writeChromeTrace`. */
const EVENTS_PER_WRITE = 8192;

/**
 * Writes `trace` to `path` as `JSON.stringify(trace)` would, byte for byte, but a slice of events
 * at a time: a long job's trace (~770 bytes per message) passes V8's largest string (~512 MiB)
 * at some 700,000 messages, and one `JSON.stringify` then failed after the job had run.
 * A regular file left half-written by a failed write is removed.
 *
 * @example
 * await writeChromeTrace('t.json', chromeTrace(traces, { method: 'shared clock', errorBoundUs: 1 }));
 */
export async function writeChromeTrace(
  path: string,
  trace: ChromeTrace,
  eventsPerWrite: number = EVENTS_PER_WRITE,
): Promise<void> {
  const file = await open(path, 'w');
  try {
    const events = trace.traceEvents;
    await file.write('{"traceEvents":[');
    for (let i = 0; i < events.length; i += eventsPerWrite) {
      const slice = events.slice(i, i + eventsPerWrite).map((e) => JSON.stringify(e));
      await file.write((i === 0 ? '' : ',') + slice.join(','));
    }
    await file.write(
      `],"displayTimeUnit":${JSON.stringify(trace.displayTimeUnit)},"otherData":${JSON.stringify(trace.otherData)}}`,
    );
    await file.close();
  } catch (err) {
    await file.close().catch(() => {});
    // Only a regular file: never a device or pipe the user named (`/dev/full`).
    const isFile = await lstat(path).then(
      (s) => s.isFile(),
      () => false,
    );
    if (isFile) await rm(path, { force: true }).catch(() => {});
    throw err;
  }
}
