import type { CallEvent } from '../base/rank-trace.js';
import type { Recorder } from '../base/trace-recorder.js';
import type { ChoiceLog } from '../collectives/choice-log.js';
import { Comm } from '../comm/comm.js';
import { Request } from '../comm/request.js';
import { Status } from '../comm/status.js';

interface Traced {
  rec: Recorder;
  log: ChoiceLog;
  /** Communicator name in the trace (`w`, `w.1`, ...). */
  name: string;
  children: number;
}

const traced = new WeakMap<object, Traced>();
/**
 * The recorder of the rank whose call made each Request (isend, irecv, ibcast, ...): Request calls
 * (wait, waitall, ...) are recorded on that rank's track, also where ranks share a thread.
 */
const requestRecorder = new WeakMap<object, Recorder>();
/** The one recorder of this isolate, for requests no traced call made; undefined if several. */
let sole: Recorder | undefined;
let recordersHere = 0;
let installed = false;

/** Calls that make a communicator (or, for a rank left out of a split, null). */
const COMM_MAKERS = new Set(['dup', 'Dup', 'split', 'Split', 'splitType', 'Split_type']);
/** Receives whose message is known only when they complete (its size is the call's bytes). */
const RECEIVES = new Set(['recv', 'Recv', 'irecv', 'Irecv']);
/** The buffer forms (`Send`, `Bcast`, ...): their bytes are their buffer's size. */
const BUFFER_CALL = /^[A-Z]/;
/** Methods that are not MPI calls (accessors, tuning) or too chatty to be slices. */
const NOT_CALLS = new Set(['constructor', 'Get_rank', 'Get_size', 'setTuning', 'iprobe']);
/** Argument index of the peer (point-to-point) or root (rooted collectives), and of the tag. */
const PEER: Record<string, [peer: number, tag: number]> = {
  send: [1, 2],
  isend: [1, 2],
  ssend: [1, 2],
  issend: [1, 2],
  Send: [1, 2],
  Isend: [1, 2],
  recv: [0, 1],
  irecv: [0, 1],
  probe: [0, 1],
  Recv: [1, 2],
  Irecv: [1, 2],
  sendrecv: [1, 2],
  Sendrecv: [1, 2],
  bcast: [1, -1],
  ibcast: [1, -1],
  scatter: [1, -1],
  iscatter: [1, -1],
  gather: [1, -1],
  igather: [1, -1],
  reduce: [2, -1],
  ireduce: [2, -1],
  Bcast: [1, -1],
  Ibcast: [1, -1],
  Reduce: [3, -1],
  Ireduce: [3, -1],
  Gather: [2, -1],
  Scatter: [2, -1],
};
/** Blocking receives whose Status argument (index) gives the message's size. */
const STATUS_ARG: Record<string, number> = { recv: 2, Recv: 3 };

/**
 * Starts recording the calls `comm` (a rank's world communicator) and its descendants make.
 * The first call in an isolate wraps Comm's and Request's methods once; a rank that does not
 * trace never calls this, so its calls run the original methods untouched.
 */
export function traceComm(comm: Comm, rec: Recorder, log: ChoiceLog): void {
  if (!installed) {
    installed = true;
    wrapComm();
    wrapRequest();
  }
  recordersHere++;
  sole = recordersHere === 1 ? rec : undefined;
  traced.set(comm, { rec, log, name: 'w', children: 0 });
}

/** Mapped call sites by generated position: the source-mapped stack is formatted once per site. */
const sites = new Map<string, string | undefined>();
/** Frames of the runtime: dist/sdk/ or the rank bundle (dist/rank/, but for its built-in jobs). */
const INTERNAL =
  /node:|\/sdk\/(trace|comm|runtime|collectives|channel)\/|\/dist\/rank\/(?!jobs\/)|\/node_modules\//;

/**
 * The user's `file:line` that made the current call. Raw V8 call sites are cheap; formatting a
 * stack through source maps is not, so it happens only the first time a position is seen.
 */
function callSite(): string | undefined {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  Error.prepareStackTrace = (_e, cs) => cs;
  Error.stackTraceLimit = 16;
  const holder: { stack?: unknown } = {};
  let frames: unknown;
  try {
    Error.captureStackTrace(holder);
    // The stack is formatted when first read: read it while the raw formatter is in place.
    frames = holder.stack;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  let key: string | undefined;
  if (!Array.isArray(frames)) return mappedCallSite();
  for (const c of frames as NodeJS.CallSite[]) {
    if (typeof c?.getFileName !== 'function') return mappedCallSite();
    const file = c.getFileName() ?? '';
    if (file === '' || INTERNAL.test(file)) continue;
    key = `${file}:${c.getLineNumber()}:${c.getColumnNumber()}`;
    break;
  }
  if (key === undefined) return undefined;
  if (sites.has(key)) return sites.get(key);
  const mapped = mappedCallSite();
  sites.set(key, mapped);
  return mapped;
}

function mappedCallSite(): string | undefined {
  const stack = new Error().stack;
  if (stack === undefined) return undefined;
  for (const line of stack.split('\n').slice(1)) {
    if (INTERNAL.test(line)) continue;
    const m = /\(?((?:file:\/\/)?[^()\s]+):(\d+):\d+\)?\s*$/.exec(line);
    if (m === null) continue;
    const file = m[1]!.replace(/^file:\/\//, '');
    const cwd = `${process.cwd()}/`;
    return `${file.startsWith(cwd) ? file.slice(cwd.length) : file.slice(file.lastIndexOf('/') + 1)}:${m[2]}`;
  }
  return undefined;
}

function isTypedArray(x: unknown): x is ArrayBufferView {
  return ArrayBuffer.isView(x);
}

function wrapComm(): void {
  const proto = Comm.prototype as unknown as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (NOT_CALLS.has(name)) continue;
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (d === undefined || typeof d.value !== 'function') continue;
    const original = d.value as (...args: unknown[]) => unknown;
    const [peerAt, tagAt] = PEER[name] ?? [-1, -1];
    const statusAt = STATUS_ARG[name];
    proto[name] = function (this: Comm, ...args: unknown[]): unknown {
      const t = traced.get(this);
      if (t === undefined || t.rec.inCall) return original.apply(this, args);
      const rec = t.rec;
      const e: CallEvent = { n: name, t0: performance.now(), ts: 0, t1: Number.NaN, c: t.name };
      if (peerAt >= 0 && typeof args[peerAt] === 'number') e.p = args[peerAt] as number;
      if (tagAt >= 0 && typeof args[tagAt] === 'number') e.tag = args[tagAt] as number;
      let status: Status | undefined;
      if (statusAt !== undefined) {
        // The receive's status (the caller's, or one of ours): what it took, for the slice.
        if (args[statusAt] instanceof Status) status = args[statusAt] as Status;
        else if (args[statusAt] == null) {
          status = new Status();
          while (args.length < statusAt) args.push(undefined);
          args[statusAt] = status;
        }
      }
      if (rec.sites) {
        const s = callSite();
        if (s !== undefined) e.s = s;
        // The stack capture (source maps on) is the tracer's cost, not the call's.
        e.t0 = performance.now();
      }
      const sentBefore = rec.bytesSent;
      const overlapsBefore = rec.overlaps;
      t.log.last = undefined;
      rec.inCall = true;
      let out: unknown;
      try {
        out = original.apply(this, args);
      } catch (err) {
        // Thrown synchronously: the slice ends here.
        rec.inCall = false;
        e.ts = e.t1 = performance.now();
        rec.call(e);
        throw err;
      }
      rec.inCall = false;
      e.ts = performance.now();
      if (t.log.last !== undefined) e.a = t.log.last;
      // Bytes: a receive's message size (its status, or its request's completion); a buffer
      // call's buffer size; else what the rank sent during the call: all of it, counted when it
      // settles (a collective sends after its awaits), if no other call of the rank was in flight
      // meanwhile, else what it sent at once.
      const receive = RECEIVES.has(name);
      const buf = receive || !BUFFER_CALL.test(name) ? undefined : args.find(isTypedArray);
      if (buf !== undefined) e.b = buf.byteLength;
      const sentAtOnce = rec.bytesSent - sentBefore;
      const alone = rec.inFlight === 0;
      if (!(out instanceof Promise)) {
        if (buf === undefined && sentAtOnce > 0) e.b = sentAtOnce;
        e.t1 = e.ts;
        const i = rec.call(e);
        if (out instanceof Request) {
          requestRecorder.set(out, rec);
          if (receive) {
            out._settled.then((c) => {
              if (c !== undefined && typeof c.count === 'number') rec.callReceived(i, c.count, c);
            });
          }
          // In flight until it completes: calls made meanwhile cannot tell its sends from theirs.
          if (!alone) rec.overlaps++;
          rec.inFlight++;
          const done = () => {
            rec.inFlight--;
          };
          out._settled.then(done, done);
        }
        return out;
      }
      const i = rec.call(e);
      if (!alone) rec.overlaps++;
      rec.inFlight++;
      const settle = (v: unknown) => {
        rec.inFlight--;
        const sent = alone && rec.overlaps === overlapsBefore ? rec.bytesSent - sentBefore : sentAtOnce;
        const bytes = status?.count ?? (sent > 0 ? sent : undefined);
        rec.callSettled(i, performance.now(), bytes, status);
        // Every rank numbers the communicators a call makes alike, also where it got none (null
        // from a split with color UNDEFINED): the same communicator has one name on every track.
        if (COMM_MAKERS.has(name) && (v === null || v instanceof Comm)) {
          const n = ++t.children;
          // A split's parts are different communicators made by one call: its color tells them
          // apart (`w.2:c1`); a rank's part has that name on every rank of it.
          const color =
            (name === 'split' || name === 'Split') && typeof args[0] === 'number' ? args[0] : undefined;
          if (v instanceof Comm) adopt(t, v, color === undefined ? `${n}` : `${n}:c${color}`);
        }
      };
      out.then(settle, settle);
      return out;
    };
  }
}

/**
 * A communicator made by a traced one (dup, split) is traced too, as the parent's `n`th (`w.2`),
 * with a split's color (`w.2:c1`).
 */
function adopt(parent: Traced, child: Comm, n: string): void {
  if (traced.has(child)) return;
  traced.set(child, { rec: parent.rec, log: parent.log, name: `${parent.name}.${n}`, children: 0 });
}

/** The recorder of the rank whose requests a Request call waits for (see `requestRecorder`). */
function waitRecorderOf(self: unknown, args: readonly unknown[]): Recorder | undefined {
  if (self instanceof Request) return requestRecorder.get(self) ?? sole;
  // waitall / waitany / waitsome: the first request a traced call made names the rank.
  const list = args[0];
  if (Array.isArray(list)) {
    for (const r of list) {
      const rec = typeof r === 'object' && r !== null ? requestRecorder.get(r) : undefined;
      if (rec !== undefined) return rec;
    }
  }
  return sole;
}

function wrapRequest(): void {
  const wrap = (target: Record<string, unknown>, name: string, label: string) => {
    const original = target[name] as (...args: unknown[]) => unknown;
    target[name] = function (this: unknown, ...args: unknown[]): unknown {
      const rec = waitRecorderOf(this, args);
      if (rec === undefined || rec.inCall) return original.apply(this, args);
      const e: CallEvent = { n: label, t0: performance.now(), ts: 0, t1: Number.NaN };
      if (rec.sites) {
        const s = callSite();
        if (s !== undefined) e.s = s;
        // The stack capture (source maps on) is the tracer's cost, not the call's.
        e.t0 = performance.now();
      }
      rec.inCall = true;
      let out: unknown;
      try {
        out = original.apply(this, args);
      } catch (err) {
        rec.inCall = false;
        e.ts = e.t1 = performance.now();
        rec.call(e);
        throw err;
      }
      rec.inCall = false;
      e.ts = performance.now();
      if (out instanceof Promise) {
        const i = rec.call(e);
        const settle = () => rec.callSettled(i, performance.now());
        out.then(settle, settle);
      } else {
        e.t1 = e.ts;
        rec.call(e);
      }
      return out;
    };
  };
  const proto = Request.prototype as unknown as Record<string, unknown>;
  wrap(proto, 'wait', 'wait');
  const statics = Request as unknown as Record<string, unknown>;
  wrap(statics, 'waitall', 'waitall');
  wrap(statics, 'waitany', 'waitany');
  wrap(statics, 'waitsome', 'waitsome');
}
