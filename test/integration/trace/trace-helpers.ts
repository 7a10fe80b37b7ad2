/** The parts of a written trace that tests check: sends, receives, flows and call totals. */
export interface TraceEvent {
  name: string;
  ph: string;
  cat?: string;
  tid: number;
  ts?: number;
  dur?: number;
  id?: number | string;
  bp?: string;
  args?: Record<string, unknown>;
}

export interface TraceFile {
  traceEvents: TraceEvent[];
  otherData: Record<string, unknown> & {
    profile?: { calls: { call: string; count: number; timeMs: number; bytes: number }[] };
  };
}

export function traceCounts(t: TraceFile) {
  const frames = t.traceEvents.filter((e) => e.cat === 'frame');
  const sends = frames.filter((e) => e.name.startsWith('send')).length;
  const receives = frames.filter((e) => e.name.startsWith('recv')).length;
  const starts = new Map<string, TraceEvent>();
  for (const e of t.traceEvents) if (e.ph === 's') starts.set(String(e.id), e);
  let flows = 0;
  for (const e of t.traceEvents) {
    if (e.ph === 'f' && e.bp === 'e' && starts.has(String(e.id))) flows++;
  }
  const tracks = new Set(
    t.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.tid),
  );
  return { sends, receives, flows, flowStarts: starts.size, tracks: tracks.size };
}

/** Per call name, the count and summed duration (ms) of the trace's call slices. */
export function sliceTotals(t: TraceFile): Map<string, { count: number; timeMs: number }> {
  const m = new Map<string, { count: number; timeMs: number }>();
  for (const e of t.traceEvents) {
    if (e.ph !== 'X' || e.cat !== 'mpi') continue;
    const s = m.get(e.name) ?? { count: 0, timeMs: 0 };
    s.count++;
    s.timeMs += (e.dur ?? 0) / 1000;
    m.set(e.name, s);
  }
  return m;
}
