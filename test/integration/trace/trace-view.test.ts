import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from '../../../dist/sdk/index.js';
import { MAX_TRACE_BYTES } from '../../../dist/sdk/launch/trace/trace-view.js';
import { cli } from '../../helpers/cli.js';
import { type TraceFile, traceCounts } from './trace-helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const OUT = fileURLToPath(new URL('../../../test-output/trace-view/', import.meta.url));
const hasChromium = existsSync(CHROMIUM);

/** Runs headless Chromium on `url` with extra flags; resolves with its stdout. */
function chromium(url: string, flags: string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'tsmpi-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${profile}`,
    ...flags,
    url,
  ];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, args, { timeout: 150_000, maxBuffer: 64 << 20 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
}

describe.skipIf(!hasChromium)(
  hasChromium
    ? 'trace view in headless Chromium'
    : `trace view in headless Chromium (skipped: ${CHROMIUM} is not installed)`,
  () => {
    it('shows a track per rank, an arrow per message, the profile table, and no script errors', async () => {
      mkdirSync(OUT, { recursive: true });
      const file = join(OUT, 't.json');
      await run('pi-nonblocking', {
        ranks: 8,
        trace: file,
        profile: true,
        args: { samples: 80000, seed: 7 },
        onOutput: () => {},
      });
      const t = JSON.parse(readFileSync(file, 'utf8')) as TraceFile;
      const expected = traceCounts(t);
      const html = join(OUT, 'view.html');
      const r = await cli(['trace', 'view', file, '-o', html]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(html);
      const page = readFileSync(html, 'utf8');
      expect(page).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);

      const url = pathToFileURL(html).href;
      const dom = await chromium(url, ['--dump-dom', '--virtual-time-budget=10000']);
      const status = /<div id="status"([^>]*)>/.exec(dom)?.[1] ?? '';
      const attr = (name: string) => new RegExp(`data-${name}="([^"]*)"`).exec(status)?.[1];
      expect(attr('ready')).toBe('true');
      expect(attr('errors')).toBe('0');
      expect(Number(attr('tracks'))).toBe(8);
      expect(Number(attr('flows'))).toBe(expected.flows);
      expect(expected.flows).toBe(7);
      expect(dom.match(/<g class="track" data-rank="\d+"/g)?.length).toBe(8);
      expect(dom.match(/<line [^>]*class="flow"/g)?.length).toBe(7);
      expect(dom).toContain('<table id="profile-calls">');
      expect(dom).toContain('Ireduce');

      const shot = join(OUT, 'view.png');
      await chromium(url, [`--screenshot=${shot}`, '--window-size=1200,800', '--virtual-time-budget=10000']);
      expect(statSync(shot).size).toBeGreaterThan(1000);
    }, 400_000);
  },
);

describe('trace view: bad input', () => {
  it('names a missing file and how to make one', async () => {
    const r = await cli(['trace', 'view', '/nonexistent/t.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read trace file `/nonexistent/t.json`');
    expect(r.stderr).toContain('run --trace');
  });

  it('refuses a file larger than one page can hold, naming its size and Perfetto UI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsmpi-view-big-'));
    const file = join(dir, 'big.json');
    // Sparse: no disk is used. It failed as "cannot read trace file ... write one with run --trace".
    writeFileSync(file, '');
    truncateSync(file, MAX_TRACE_BYTES + 1);
    const r = await cli(['trace', 'view', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`\`${file}\` is ${Math.round((MAX_TRACE_BYTES + 1) / 2 ** 20)} MiB`);
    expect(r.stderr).toContain('https://ui.perfetto.dev');
    expect(existsSync(`${file}.html`)).toBe(false);
  });
});

describe('trace view: input forms and the output path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsmpi-view-'));

  it('refuses to write the page over the trace itself, and leaves the trace as it was', async () => {
    const file = join(dir, 't.json');
    const text = JSON.stringify({ traceEvents: [] });
    writeFileSync(file, text);
    const r = await cli(['trace', 'view', file, '-o', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is the trace file itself');
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it("takes the trace-event format's array form (a bare array of events)", async () => {
    const file = join(dir, 'array.json');
    writeFileSync(
      file,
      JSON.stringify([
        { name: 'send', ph: 'X', pid: 0, tid: 0, ts: 0, dur: 5 },
        { name: 'thread_name', ph: 'M', pid: 0, tid: 0, args: { name: 'rank 0' } },
      ]),
    );
    const r = await cli(['trace', 'view', file]);
    expect(r.code).toBe(0);
    expect(readFileSync(`${file}.html`, 'utf8')).toContain('"traceEvents":[{"name":"send"');
  });

  it.each([
    ['an array of numbers', [1, 2, 3], '3 events'],
    [
      'another tool’s events, no rank tracks',
      { traceEvents: [{ ph: 'X', name: 'x', pid: 1, tid: 1, ts: 0, dur: 1 }] },
      '1 event,',
    ],
  ])('refuses %s: the page would show no ranks', async (_, content, count) => {
    const file = join(dir, 'not-ours.json');
    writeFileSync(file, JSON.stringify(content));
    const r = await cli(['trace', 'view', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`has no rank tracks (${count}`);
    expect(r.stderr).toContain('it is not a trace written by `tsmpi-cloud run --trace FILE`');
  });
});
