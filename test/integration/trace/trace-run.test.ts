import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JobFailedError, run } from '../../../dist/sdk/index.js';
import { cli } from '../../helpers/cli.js';
import { useFauxqs } from '../../helpers/fauxqs.js';
import { sliceTotals, type TraceFile, traceCounts } from './trace-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tsmpi-trace-'));
const quiet = { onOutput: () => {} };
const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/jobs/${name}`, import.meta.url));
const fx = useFauxqs();

function expectProfileMatchesTrace(t: TraceFile, calls: { call: string; count: number; timeMs: number }[]) {
  const slices = sliceTotals(t);
  expect(calls.length).toBeGreaterThan(0);
  expect(new Set(calls.map((c) => c.call))).toEqual(new Set(slices.keys()));
  for (const c of calls) {
    const s = slices.get(c.call)!;
    expect(s.count).toBe(c.count);
    // Both sum the same events; each side rounds to 1 µs per value.
    expect(Math.abs(s.timeMs - c.timeMs)).toBeLessThanOrEqual(0.002 * (c.count + 1));
  }
}

describe('--trace and --profile', () => {
  it('run pi-nonblocking --ranks 8 --trace t.json --profile: every send flows to its receive; the profile totals match the trace', async () => {
    const file = join(dir, 't.json');
    const r = await cli([
      'run',
      'pi-nonblocking',
      '--ranks',
      '8',
      '--trace',
      file,
      '--profile',
      '--',
      '--samples',
      '80000',
      '--seed',
      '7',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('@--- MPI time per rank (ms) ---');
    expect(r.stdout).toContain('Ireduce');
    expect(r.stdout).toMatch(/pi-nonblocking\.ts:\d+/);
    const t = JSON.parse(readFileSync(file, 'utf8')) as TraceFile;
    const c = traceCounts(t);
    expect(c.tracks).toBe(8);
    // An 8-rank Ireduce tree sends 7 messages (with --seed given, no bcast of a seed).
    expect(c.sends).toBe(7);
    expect(c.receives).toBe(c.sends);
    expect(c.flows).toBe(c.sends);
    expect(c.flowStarts).toBe(c.sends);
    expect(t.otherData.sendsWithoutReceive).toBe(0);
    expect(t.otherData.receivesWithoutSend).toBe(0);
    expect(t.otherData.clockErrorBoundUs).toBeGreaterThan(0);
    expectProfileMatchesTrace(t, t.otherData.profile!.calls);
  });

  it('run({ trace, profile: true }): stats.profile per rank and call, the events taken out of perRank', async () => {
    const file = join(dir, 'api.json');
    const res = await run('send-recv', { ranks: 4, trace: file, profile: true, ...quiet });
    const p = res.stats.profile as {
      ranks: { rank: number; mpiPercent: number }[];
      perRank: { rank: number; call: string; count: number; bytes: number }[];
      calls: { call: string; count: number; timeMs: number; bytes: number }[];
    };
    expect(p.ranks.map((r) => r.rank)).toEqual([0, 1, 2, 3]);
    for (const r of p.ranks) expect(r.mpiPercent).toBeGreaterThanOrEqual(0);
    expect(p.perRank.length).toBeGreaterThan(0);
    for (const s of res.stats.perRank) expect(s).not.toHaveProperty('trace');
    const t = JSON.parse(readFileSync(file, 'utf8')) as TraceFile;
    const c = traceCounts(t);
    expect(c.sends).toBeGreaterThan(0);
    expect(c.receives).toBe(c.sends);
    expect(c.flows).toBe(c.sends);
    expectProfileMatchesTrace(t, p.calls);
  });

  it('an arrow ends in the receive that took its message, also when the message arrived before it was posted', async () => {
    const file = join(dir, 'late.json');
    const res = await run(fixture('late-receive.ts'), { ranks: 2, trace: file, ...quiet });
    expect(res.results[1]).toEqual(['first', 'second']);
    const t = JSON.parse(readFileSync(file, 'utf8')) as TraceFile;
    const calls = t.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'mpi' && e.tid === 1);
    const starts = new Map(t.traceEvents.filter((e) => e.ph === 's').map((e) => [String(e.id), e]));
    // The two user messages (tags 1 and 2; the barrier's frames are on its own context).
    const userSends = t.traceEvents.filter(
      (e) => e.cat === 'frame' && e.tid === 0 && e.name.startsWith('send') && e.args?.ctx === 'w',
    );
    expect(userSends).toHaveLength(2);
    const ends = t.traceEvents.filter(
      (e) => e.ph === 'f' && e.tid === 1 && userSends.some((s) => s.ts === starts.get(String(e.id))?.ts),
    );
    expect(ends).toHaveLength(2);
    // Each ends inside the call that took it (it used to end at its arrival, inside the barrier).
    const into = ends.map((f) => calls.find((c) => c.ts! <= f.ts! && f.ts! <= c.ts! + c.dur!)?.name).sort();
    expect(into).toEqual(['irecv', 'recv']);
  });

  it("records each rank's waits on its own track, also where ranks share a thread", async () => {
    // More ranks than cores: the local launcher puts two or more ranks in each worker thread.
    const ranks = availableParallelism() * 2 + 1;
    const file = join(dir, 'waits.json');
    const res = await run(fixture('waits.ts'), { ranks, trace: file, profile: true, ...quiet });
    const p = res.stats.profile as { perRank: { rank: number; call: string; count: number }[] };
    for (let rank = 0; rank < ranks; rank++) {
      const count = (call: string) => p.perRank.find((c) => c.rank === rank && c.call === call)?.count;
      expect([rank, count('wait'), count('waitall')]).toEqual([rank, 2, 1]);
    }
    const t = JSON.parse(readFileSync(file, 'utf8')) as TraceFile;
    const waits = t.traceEvents.filter((e) => e.ph === 'X' && e.name === 'wait');
    expect(new Set(waits.map((e) => e.tid))).toEqual(new Set(Array.from({ length: ranks }, (_, r) => r)));
  });

  it('a failed job writes the ranks that reported, on one time axis, whatever their numbers', async () => {
    const file = join(dir, 'failed.json');
    const err = await run(fixture('fails-after-allreduce.ts'), { ranks: 3, trace: file, ...quiet }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JobFailedError);
    const t = JSON.parse(readFileSync(file, 'utf8')) as TraceFile;
    // Rank 1 failed and reported its calls; ranks 0 and 2 were stopped while blocked in the barrier.
    expect(t.otherData.ranksTraced).toEqual([1]);
    expect(t.otherData.ranks).toBe(3);
    expect(Number.isFinite(t.otherData.epochStartUs)).toBe(true);
    const timed = t.traceEvents.filter((e) => e.ph !== 'M');
    expect(timed.length).toBeGreaterThan(0);
    for (const e of timed) expect(Number.isFinite(e.ts)).toBe(true);
  });

  it("a collective's bytes are all its rank sent in it, also after its first await", async () => {
    const file = join(dir, 'allreduce.json');
    await run(fixture('allreduce.ts'), { ranks: 4, trace: file, ...quiet });
    const t = JSON.parse(readFileSync(file, 'utf8')) as TraceFile;
    for (let rank = 0; rank < 4; rank++) {
      const slice = t.traceEvents.find((e) => e.ph === 'X' && e.name === 'allreduce' && e.tid === rank)!;
      const sends = t.traceEvents.filter(
        (e) => e.cat === 'frame' && e.name.startsWith('send') && e.tid === rank && e.args?.ctx !== 'w',
      );
      // Recursive doubling on 4 ranks: two exchanges, so two frames each.
      expect(sends).toHaveLength(2);
      const sent = sends.reduce((n, e) => n + (e.args!.bytes as number), 0);
      expect([rank, slice.args!.bytes]).toEqual([rank, sent]);
    }
  });

  it('--profile on a job that failed prints the profile of what the ranks that reported recorded', async () => {
    const r = await cli(['run', fixture('fails-after-allreduce.ts'), '--ranks', '3', '--profile']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the job failed on rank 1: boom on rank 1');
    expect(r.stderr).toContain(
      'the profile of what rank 1 recorded before the job stopped; not ranks 0, 2 (still running when it stopped):',
    );
    expect(r.stderr).toMatch(/\n1 +allreduce +1 /);
  });

  it('--json on a job that failed carries the partial profile in stats.profile and what was recorded in error.recorded', async () => {
    const file = join(dir, 'failed-json.json');
    const r = await cli([
      'run',
      fixture('fails-after-allreduce.ts'),
      '--ranks',
      '3',
      '--profile',
      '--trace',
      file,
      '--json',
    ]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.error.recorded).toEqual({ ranks: [1], trace: file });
    expect(out.stats.profile.ranks.map((x: { rank: number }) => x.rank)).toEqual([1]);
    expect(out.stats.profile.perRank).toContainEqual(
      expect.objectContaining({ rank: 1, call: 'allreduce', count: 1 }),
    );
    // Without --trace or --profile there is nothing recorded to report.
    const plain = JSON.parse(
      (await cli(['run', fixture('fails-after-allreduce.ts'), '--ranks', '3', '--json'])).stdout,
    );
    expect(plain.stats).toBeNull();
    expect(plain.error).not.toHaveProperty('recorded');
  });

  it("a collective overlapping another call of its rank does not count that call's bytes", async () => {
    const file = join(dir, 'overlap.json');
    await run(fixture('overlapping-calls.ts'), { ranks: 2, trace: file, ...quiet });
    const t = JSON.parse(readFileSync(file, 'utf8')) as TraceFile;
    const slice = (name: string) =>
      t.traceEvents.find((e) => e.ph === 'X' && e.name === name && e.tid === 0)!;
    // An object send: what it encoded, the array and a few bytes of codec header.
    expect(slice('send').args!.bytes).toBeGreaterThanOrEqual(800_000);
    expect(slice('send').args!.bytes).toBeLessThan(800_100);
    // The allreduce of one number sends a few bytes; the send's 800 KB are not its.
    expect(slice('allreduce').args!.bytes).toBeLessThan(1_000);
  });

  it('a wildcard receive is recorded with the source and tag of the message it took', async () => {
    const file = join(dir, 'wildcard.json');
    await run(fixture('wildcard-recv.ts'), { ranks: 2, trace: file, ...quiet });
    const t = JSON.parse(readFileSync(file, 'utf8')) as TraceFile;
    const recvs = t.traceEvents.filter((e) => e.ph === 'X' && e.name === 'recv' && e.tid === 0);
    expect(recvs.map((e) => e.args)).toMatchObject([
      { peer: 1, tag: 4 },
      { peer: 1, tag: 5 },
    ]);
  });

  it("a receive's bytes are its message's, not its buffer's; a non-blocking one's come when it completes", async () => {
    const file = join(dir, 'receive-bytes.json');
    await run(fixture('receive-bytes.ts'), { ranks: 2, trace: file, ...quiet });
    const t = JSON.parse(readFileSync(file, 'utf8')) as TraceFile;
    const slice = (tid: number, name: string) =>
      t.traceEvents.find((e) => e.ph === 'X' && e.tid === tid && e.name === name)!;
    expect(slice(0, 'Recv').args).toMatchObject({ peer: 1, tag: 1, bytes: 80 });
    expect(slice(0, 'Irecv').args).toMatchObject({ peer: 1, tag: 2, bytes: 5 });
    const irecv = slice(0, 'irecv').args!;
    expect([irecv.peer, irecv.tag]).toEqual([1, 3]);
    expect(irecv.bytes).toBeGreaterThan(1000); // the encoded string
    // A lowercase bcast of a TypedArray is an object call: the non-root sent nothing in it.
    expect(slice(1, 'bcast').args!.bytes).toBeUndefined();
    expect(slice(0, 'bcast').args!.bytes).toBeGreaterThan(8000);
  });

  it('names a communicator alike on every track, also where a rank was left out of an earlier split', async () => {
    const file = join(dir, 'split-then-dup.json');
    await run(fixture('split-then-dup.ts'), { ranks: 3, trace: file, ...quiet });
    const t = JSON.parse(readFileSync(file, 'utf8')) as TraceFile;
    const barriers = t.traceEvents.filter((e) => e.ph === 'X' && e.name === 'barrier');
    const byRank = (tid: number) => barriers.filter((e) => e.tid === tid).map((e) => e.args!.comm);
    expect([byRank(0), byRank(1), byRank(2)]).toEqual([['w.2'], ['w.1:c1', 'w.2'], ['w.1:c1', 'w.2']]);
  });

  it("names a split's parts apart by their color (both were w.1)", async () => {
    const file = join(dir, 'split-halves.json');
    await run(fixture('split-halves.ts'), { ranks: 4, trace: file, ...quiet });
    const t = JSON.parse(readFileSync(file, 'utf8')) as TraceFile;
    const comms = [0, 1, 2, 3].map(
      (tid) => t.traceEvents.find((e) => e.ph === 'X' && e.name === 'barrier' && e.tid === tid)?.args?.comm,
    );
    expect(comms).toEqual(['w.1:c0', 'w.1:c1', 'w.1:c0', 'w.1:c1']);
  });

  it("abort(code) writes the aborting rank's events: the abort itself carries them", async () => {
    const file = join(dir, 'aborted.json');
    const err = (await run(fixture('aborts.ts'), { ranks: 3, trace: file, ...quiet }).catch(
      (e: unknown) => e,
    )) as JobFailedError;
    expect(err.errorcode).toBe(42);
    const t = JSON.parse(readFileSync(file, 'utf8')) as TraceFile;
    expect(t.otherData.ranksTraced).toContain(2);
    // The abort call itself is on rank 2's track.
    expect(t.traceEvents.some((e) => e.ph === 'X' && e.name === 'abort' && e.tid === 2)).toBe(true);
  });

  it('--backend sqs: the ranks events come back through the same report; flows pair sends and receives', async () => {
    const file = join(dir, 'sqs.json');
    const res = await run('pi-nonblocking', {
      ranks: 4,
      backend: 'sqs',
      endpoint: fx.endpoint,
      args: { samples: 40000 },
      trace: file,
      profile: true,
      ...quiet,
    });
    const t = JSON.parse(readFileSync(file, 'utf8')) as TraceFile;
    const c = traceCounts(t);
    expect(c.tracks).toBe(4);
    expect(c.sends).toBeGreaterThan(0);
    expect(c.receives).toBe(c.sends);
    expect(c.flows).toBe(c.sends);
    expect(t.otherData.backend).toBe('sqs');
    expectProfileMatchesTrace(
      t,
      (res.stats.profile as { calls: { call: string; count: number; timeMs: number }[] }).calls,
    );
  });

  it('run({ profile: true }) alone: ranks send back their profile, not their events; it counts as a trace would', async () => {
    const alone = await run('send-recv', { ranks: 4, profile: true, ...quiet });
    for (const s of alone.stats.perRank) {
      expect(s).not.toHaveProperty('trace');
      expect(s).not.toHaveProperty('profile');
    }
    const traced = await run('send-recv', {
      ranks: 4,
      profile: true,
      trace: join(dir, 'alone.json'),
      ...quiet,
    });
    type P = {
      ranks: { rank: number }[];
      perRank: { rank: number; call: string; count: number; bytes: number }[];
      sites: { site: string; call: string; count: number }[];
    };
    const shape = (p: P) => ({
      ranks: p.ranks.map((r) => r.rank),
      perRank: p.perRank.map(({ rank, call, count, bytes }) => ({ rank, call, count, bytes })).sort(byKey),
      sites: p.sites.map(({ site, call, count }) => ({ site, call, count })).sort(byKey),
    });
    const byKey = (a: object, b: object) => JSON.stringify(a).localeCompare(JSON.stringify(b));
    const got = shape(alone.stats.profile as P);
    expect(got.perRank.length).toBeGreaterThan(0);
    expect(got.sites.length).toBeGreaterThan(0);
    expect(got).toEqual(shape(traced.stats.profile as P));
  });

  it('records nothing unless asked', async () => {
    const res = await run('send-recv', { ranks: 2, ...quiet });
    expect(res.stats).not.toHaveProperty('profile');
    for (const s of res.stats.perRank) expect(s).not.toHaveProperty('trace');
  });

  it('--profile --json puts the profile in stats.profile and the table on stderr', async () => {
    const r = await cli(['run', 'send-recv', '--ranks', '2', '--profile', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.stats.profile.calls.length).toBeGreaterThan(0);
    expect(r.stderr).toContain('@--- Calls, all ranks, by time ---');
  });

  it('run(): a trace path that could not be written is refused before the job runs', async () => {
    const lines: string[] = [];
    const onOutput = (_rank: number, _stream: string, line: string) => lines.push(line);
    await expect(run('hello', { ranks: 2, trace: '/nonexistent-tsmpi/t.json', onOutput })).rejects.toThrow(
      /Cannot write the trace to `\/nonexistent-tsmpi\/t.json`: folder `\/nonexistent-tsmpi` does not exist/,
    );
    await expect(run('hello', { ranks: 2, trace: dir, onOutput })).rejects.toThrow(
      new RegExp(`Expected \`trace\` to be a file path, got \`${dir}\`, a folder: e\\.g\\. trace: '`),
    );
    const job = join(dir, 'own.mjs');
    writeFileSync(
      job,
      "import { defineJob } from 'tsmpi-cloud';\nexport default defineJob(async () => 1);\n",
    );
    await expect(run(pathToFileURL(job), { ranks: 1, trace: job, onOutput })).rejects.toThrow(
      /it is the job file itself/,
    );
    expect(readFileSync(job, 'utf8')).toContain('defineJob');
    // No rank ran: none printed.
    expect(lines).toEqual([]);
  });

  // /dev/full: a path the checks before the run accept, whose writes fail (a disk that filled up).
  it.skipIf(!existsSync('/dev/full'))(
    'a trace that cannot be written after the job finished keeps its result: run() in the error, --json on stdout',
    async () => {
      const err = (await run('hello', { ranks: 2, trace: '/dev/full', ...quiet }).catch(
        (e: unknown) => e,
      )) as {
        code?: string;
        message: string;
        result?: { results: unknown[] };
      };
      expect(err.code).toBe('TRACE_NOT_WRITTEN');
      expect(err.message).toMatch(
        /^the job finished, but its trace could not be written to `\/dev\/full` \(ENOSPC/,
      );
      expect(err.result?.results).toHaveLength(2);
      const r = await cli(['run', 'pi', '--ranks', '2', '--trace', '/dev/full', '--json']);
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout);
      expect(out.ok).toBe(false);
      expect(out.result.pi).toBeGreaterThan(3);
      expect(out.error.code).toBe('TRACE_NOT_WRITTEN');
      expect(r.stderr).toContain(
        'tsmpi-cloud: the job finished, but its trace could not be written to `/dev/full`',
      );
    },
  );

  it('rejects a trace option that is not a path', async () => {
    await expect(run('hello', { ranks: 1, trace: 5 as unknown as string })).rejects.toThrow(
      /Expected `trace` to be the path of the trace file to write, got `5`/,
    );
  });
});
