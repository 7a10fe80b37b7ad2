import { constants } from 'node:buffer';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from '../../base/errors.js';

/**
 * Writes `file`'s trace as one self-contained HTML page (`file.html`, or `out`): a timeline with a
 * row per rank, a bar per MPI call, an arrow per message, and the profile table. No network: the
 * trace, the script and the styles are inline. Returns the page's path.
 *
 * @example
 * await writeTraceView('t.json'); // t.json.html
 */
export async function writeTraceView(file: string, out = `${file}.html`): Promise<string> {
  if (resolve(out) === resolve(file)) {
    throw new UsageError(
      `\`-o ${out}\` is the trace file itself: the page would replace the trace; give another path, e.g. -o ${file}.html`,
    );
  }
  // The page holds the trace as one string, and V8 caps a string's length (~512 MiB): a larger
  // file failed as "cannot read ... write one with run --trace", which it already was.
  const bytes = await stat(file).then(
    (s) => (s.isFile() ? s.size : 0),
    () => 0,
  );
  if (bytes > MAX_TRACE_BYTES) {
    throw new UsageError(
      `\`${file}\` is ${mib(bytes)} MiB, more than one page can hold (${mib(MAX_TRACE_BYTES)} MiB): open it in https://ui.perfetto.dev (it loads large traces), or trace a shorter run`,
    );
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const isDir = (err as NodeJS.ErrnoException).code === 'EISDIR';
    throw new UsageError(
      `cannot read trace file \`${file}\`: ${(err as Error).message}${isDir ? '; give the trace file in it' : `; write one with \`run --trace ${file}\``}`,
    );
  }
  let trace: unknown;
  try {
    trace = JSON.parse(text);
  } catch {
    throw new UsageError(`\`${file}\` is not JSON: give a file written by \`tsmpi-cloud run --trace FILE\``);
  }
  // The trace-event format's other form: a bare array of events.
  if (Array.isArray(trace)) trace = { traceEvents: trace };
  if (
    trace === null ||
    typeof trace !== 'object' ||
    !Array.isArray((trace as { traceEvents?: unknown }).traceEvents)
  ) {
    throw new UsageError(
      `\`${file}\` has no traceEvents array (nor is it an array of events): give a file written by \`tsmpi-cloud run --trace FILE\``,
    );
  }
  // The page draws rank tracks: a file without any (another tool's trace, a stray array) would
  // show an empty page that says "0 ranks".
  const events = (trace as { traceEvents: unknown[] }).traceEvents;
  const rankTrack = (e: unknown) => {
    const ev = e as { ph?: unknown; name?: unknown; args?: { name?: unknown } } | null;
    return (
      typeof ev === 'object' &&
      ev !== null &&
      ev.ph === 'M' &&
      ev.name === 'thread_name' &&
      typeof ev.args?.name === 'string' &&
      /^rank \d+$/.test(ev.args.name)
    );
  };
  if (!events.some(rankTrack)) {
    throw new UsageError(
      `\`${file}\` has no rank tracks (${events.length} event${events.length === 1 ? '' : 's'}, none naming a rank): it is not a trace written by \`tsmpi-cloud run --trace FILE\``,
    );
  }
  try {
    await writeFile(out, traceViewHtml(JSON.stringify(trace)));
  } catch (err) {
    throw new UsageError(
      `cannot write the page \`${out}\`: ${(err as Error).message}; choose another path with -o`,
    );
  }
  return out;
}

/** Largest trace file `writeTraceView` takes: V8's longest string, less room for the page around it. */
export const MAX_TRACE_BYTES = constants.MAX_STRING_LENGTH - 1024 * 1024;

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

/** The page for a trace given as JSON text. `<` is escaped so the JSON cannot end its script tag. */
export function traceViewHtml(traceJson: string): string {
  const data = traceJson.replace(/</g, '\\u003c');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>tsmpi-cloud trace</title>
<style>
body{font:13px system-ui,sans-serif;margin:16px;color:#222}
svg{border:1px solid #ccc;background:#fafafa}
.slice{fill:#4a90d9;stroke:#2a5d8f;stroke-width:.5}
.slice.coll{fill:#e39b34;stroke:#9a6317}
.frame{fill:#333}
.flow{stroke:#c0392b;stroke-width:1;fill:none;marker-end:url(#arrow)}
.label{font-size:11px;fill:#333}
table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}
</style></head><body>
<h1>tsmpi-cloud trace</h1>
<div id="summary"></div>
<div id="timeline"></div>
<h2>Profile</h2>
<div id="profile"></div>
<div id="status" data-errors="0" data-ready="false"></div>
<script id="trace" type="application/json">${data}</script>
<script>
(function () {
  var errors = 0;
  var status = document.getElementById('status');
  function fail(msg) {
    errors++;
    status.dataset.errors = String(errors);
    status.textContent = 'errors: ' + errors + ' (' + msg + ')';
  }
  window.addEventListener('error', function (e) { fail(e.message); });
  var NS = 'http://www.w3.org/2000/svg';
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(tag, s, parent) { var e = document.createElement(tag); e.textContent = s; parent.appendChild(e); return e; }
  try {
    var trace = JSON.parse(document.getElementById('trace').textContent);
    var events = trace.traceEvents;
    var ranks = [];
    var end = 0;
    events.forEach(function (e) {
      if (e.ph === 'M' && e.name === 'thread_name' && ranks.indexOf(e.tid) < 0) ranks.push(e.tid);
      if (e.ph === 'X') end = Math.max(end, e.ts + (e.dur || 0));
    });
    ranks.sort(function (a, b) { return a - b; });
    var W = 1100, left = 70, rowH = 28, top = 10;
    var H = top + ranks.length * rowH + 20;
    var x = function (ts) { return left + (end > 0 ? (ts / end) * (W - left - 10) : 0); };
    var y = function (tid) { return top + ranks.indexOf(tid) * rowH; };
    var svg = el('svg', { width: W, height: H, id: 'timeline-svg' }, document.getElementById('timeline'));
    var defs = el('defs', {}, svg);
    var m = el('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' }, defs);
    el('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#c0392b' }, m);
    ranks.forEach(function (tid) {
      var g = el('g', { class: 'track', 'data-rank': tid }, svg);
      el('text', { x: 4, y: y(tid) + rowH / 2 + 4, class: 'label' }, g).textContent = 'rank ' + tid;
      el('line', { x1: left, x2: W - 10, y1: y(tid) + rowH - 2, y2: y(tid) + rowH - 2, stroke: '#ddd' }, g);
    });
    var slices = 0;
    events.forEach(function (e) {
      if (e.ph !== 'X') return;
      var g = svg.querySelector('g.track[data-rank="' + e.tid + '"]');
      if (!g) return;
      if (e.cat === 'mpi') {
        var r = el('rect', { x: x(e.ts), y: y(e.tid) + 4, width: Math.max(1, x(e.ts + e.dur) - x(e.ts)), height: rowH - 10,
          class: /^[a-z]*(send|recv|probe|wait)/i.test(e.name) ? 'slice' : 'slice coll' }, g);
        el('title', {}, r).textContent = e.name + ' ' + (e.dur / 1000).toFixed(3) + ' ms ' + JSON.stringify(e.args || {});
        slices++;
      } else if (e.cat === 'frame') {
        el('circle', { cx: x(e.ts), cy: y(e.tid) + rowH / 2, r: 1.5, class: 'frame' }, g);
      }
    });
    var starts = {};
    var flows = 0;
    var arrows = el('g', { id: 'flows' }, svg);
    events.forEach(function (e) { if (e.ph === 's') starts[e.id] = e; });
    events.forEach(function (e) {
      if (e.ph !== 'f' || !starts[e.id]) return;
      var s = starts[e.id];
      el('line', { x1: x(s.ts), y1: y(s.tid) + rowH / 2, x2: x(e.ts), y2: y(e.tid) + rowH / 2, class: 'flow' }, arrows);
      flows++;
    });
    var od = trace.otherData || {};
    text('p', ranks.length + ' ranks, ' + slices + ' calls, ' + flows + ' messages; ' + (end / 1000).toFixed(3) +
      ' ms; clocks: ' + (od.clockAlignment || 'unknown') + ' (error bound ' + od.clockErrorBoundUs + ' µs)', document.getElementById('summary'));
    var prof = od.profile;
    var pdiv = document.getElementById('profile');
    function table(id, head, rows) {
      var t = document.createElement('table');
      t.id = id;
      var tr = document.createElement('tr');
      head.forEach(function (h) { text('th', h, tr); });
      t.appendChild(tr);
      rows.forEach(function (r) {
        var row = document.createElement('tr');
        r.forEach(function (c) { text('td', String(c), row); });
        t.appendChild(row);
      });
      pdiv.appendChild(t);
    }
    if (prof) {
      table('profile-ranks', ['Rank', 'App (ms)', 'MPI (ms)', 'MPI %'], prof.ranks.map(function (r) { return [r.rank, r.appMs.toFixed(3), r.mpiMs.toFixed(3), r.mpiPercent.toFixed(2)]; }));
      table('profile-calls', ['Call', 'Count', 'Time (ms)', 'Bytes'], prof.calls.map(function (c) { return [c.call, c.count, c.timeMs.toFixed(3), c.bytes]; }));
      if (prof.sites.length) table('profile-sites', ['Site', 'Call', 'Count', 'Time (ms)'], prof.sites.map(function (s) { return [s.site, s.call, s.count, s.timeMs.toFixed(3)]; }));
    } else text('p', 'This trace has no profile.', pdiv);
    status.dataset.tracks = String(ranks.length);
    status.dataset.flows = String(flows);
    status.dataset.slices = String(slices);
  } catch (err) {
    fail(String(err && err.message || err));
  }
  status.dataset.ready = 'true';
})();
</script></body></html>
`;
}
