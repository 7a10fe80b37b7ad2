import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ERR_ABORTED, ERR_OTHER, ERR_TIMEOUT, JobFailedError, MPIError } from '../../../sdk/base/errors.js';
import { JobSupervisor, type SupervisorHooks } from '../../../sdk/launch/job-supervisor.js';
import { collectiveMismatches, type PendingCallInfo } from '../../../sdk/runtime/pending-calls.js';
import type { RankStats } from '../../../sdk/runtime/run-rank.js';

/** A supervisor over `ranks` ranks, recording what it tells the backend and the user. */
function supervise(
  ranks: number,
  o: {
    timeoutMs?: number;
    threads?: boolean;
    ranksPerThread?: number;
    mismatchWatchMs?: number;
    deliveredOnSend?: boolean;
    signal?: AbortSignal;
    hooks?: Partial<SupervisorHooks>;
  } = {},
) {
  const calls: string[] = [];
  const output: string[] = [];
  const progress: { phase: string; started: number; finished: number }[] = [];
  const sup = new JobSupervisor({
    request: {
      ranks,
      timeoutMs: o.timeoutMs,
      onOutput: (rank, stream, line) => output.push(`${rank} ${stream} ${line}`),
      onProgress: ({ phase, started, finished }) => progress.push({ phase, started, finished }),
      ...(o.signal === undefined ? {} : { signal: o.signal }),
    },
    timeoutGraceMs: 500,
    ranksRunBeforeStarted: o.threads ?? true,
    ...(o.ranksPerThread === undefined ? {} : { ranksPerThread: o.ranksPerThread }),
    ...(o.mismatchWatchMs === undefined ? {} : { mismatchWatchMs: o.mismatchWatchMs }),
    ...(o.deliveredOnSend === undefined ? {} : { deliveredOnSend: o.deliveredOnSend }),
    hooks: {
      allStarted: () => calls.push('allStarted'),
      askPending: (withStats) => calls.push(withStats === false ? 'askPending without stats' : 'askPending'),
      stop: (f) => calls.push(`stop ${f.info.rank}`),
      ...o.hooks,
    },
  });
  let settled: 'resolved' | 'rejected' | undefined;
  sup.outcome.then(
    () => {
      settled = 'resolved';
    },
    () => {
      settled = 'rejected';
    },
  );
  sup.start();
  return { sup, calls, output, progress, settled: () => settled };
}

const stats = (messagesSent: number): RankStats => ({
  messagesSent,
  bytesSent: 10 * messagesSent,
  messagesDelivered: messagesSent,
  duplicatesDropped: 0,
});

async function failureOf(p: Promise<unknown>): Promise<JobFailedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(JobFailedError);
  return err as JobFailedError;
}

/** Lets the settling (teardown, then the outcome) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('JobSupervisor: one job, any backend', () => {
  it('a job whose ranks all finish and exit resolves with the results in rank order, the longest compute time and summed stats', async () => {
    const { sup, calls, progress } = supervise(3);
    for (const r of [2, 0, 1]) sup.update(r, { type: 'started' });
    expect(calls).toEqual(['allStarted']);
    sup.update(1, { type: 'done', value: 'b', computeMs: 30, stats: stats(1) });
    sup.update(0, { type: 'done', value: 'a', computeMs: 50, stats: stats(2) });
    sup.update(2, { type: 'done', value: 'c', computeMs: 10, stats: stats(3) });
    for (const r of [0, 1]) sup.update(r, { type: 'exited', error: { message: 'unused' } });
    expect(sup.settled).toBe(false); // rank 2 has not exited yet
    sup.update(2, { type: 'exited' });
    const run = await sup.outcome;
    expect(run.results).toEqual(['a', 'b', 'c']);
    expect(run.computeMs).toBe(50);
    expect(run.stats.messages).toBe(6);
    expect(run.stats.bytes).toBe(60);
    expect(run.firstStartedAt).toBeLessThanOrEqual(run.allStartedAt!);
    expect(progress.at(2)).toEqual({ phase: 'started', started: 3, finished: 0 });
    expect(progress.at(-1)).toEqual({ phase: 'finished', started: 3, finished: 3 });
    expect(calls).toEqual(['allStarted']); // no stop on success
  });

  it('the first failure is the job failure: the backend is told to stop once, later failures are ignored', async () => {
    const { sup, calls, settled } = supervise(3);
    for (const r of [0, 1, 2]) sup.update(r, { type: 'started' });
    sup.update(1, { type: 'failed', error: { rank: 1, message: 'boom', name: 'TypeError' } });
    sup.update(2, { type: 'failed', error: { rank: 2, message: 'second' } });
    sup.fail({ info: { rank: 0, message: 'third' } });
    expect(calls).toEqual(['allStarted', 'stop 1']);
    // Threads: the job settles once every rank has exited.
    sup.update(1, { type: 'exited' });
    sup.update(2, { type: 'exited' });
    await settle();
    expect(settled()).toBeUndefined();
    sup.update(0, { type: 'exited', error: { message: 'terminated' } });
    const err = await failureOf(sup.outcome);
    expect(err.rank).toBe(1);
    expect(err.message).toBe('rank 1 failed: boom');
    expect((err.cause as Error).name).toBe('TypeError');
  });

  it('a rank that only noticed an abort is reported as the aborting rank, with its code', async () => {
    const { sup } = supervise(3);
    sup.update(0, {
      type: 'failed',
      error: { rank: 0, message: 'aborted', errorClass: ERR_ABORTED, errorcode: 42, abortRank: 2 },
    });
    for (const r of [0, 1, 2]) sup.update(r, { type: 'exited' });
    const err = await failureOf(sup.outcome);
    expect(err.rank).toBe(2);
    expect(err.errorcode).toBe(42);
    expect((err.cause as Error).message).toBe('rank 2 called abort(42)');
    expect((err.cause as MPIError).errorClass).toBe(ERR_ABORTED);
  });

  it('abort(code) on a rank fails the job on that rank with ERR_ABORTED and the code', async () => {
    const { sup } = supervise(2);
    sup.update(1, { type: 'abort', errorcode: 7 });
    for (const r of [0, 1]) sup.update(r, { type: 'exited' });
    const err = await failureOf(sup.outcome);
    expect([err.rank, err.errorcode]).toEqual([1, 7]);
    expect(err.message).toBe('rank 1 failed: rank 1 called abort(7)');
    expect((err.cause as MPIError).errorClass).toBe(ERR_ABORTED);
  });

  it("abort(code) carries the rank's stack when the rank gave one (a string only)", async () => {
    const { sup } = supervise(2);
    const stack = 'MPIError: rank 1 called abort(7)\n    at job (my-job.ts:3:9)';
    sup.update(1, { type: 'abort', errorcode: 7, stack });
    for (const r of [0, 1]) sup.update(r, { type: 'exited' });
    expect(((await failureOf(sup.outcome)).cause as Error).stack).toBe(stack);
    const other = supervise(2).sup;
    other.update(0, { type: 'abort', errorcode: 1, stack: { not: 'a string' } as never });
    for (const r of [0, 1]) other.update(r, { type: 'exited' });
    expect(((await failureOf(other.outcome)).cause as Error).stack).not.toContain('not');
  });

  it('a rank that exits before finishing fails the job with the reason its backend gave; after finishing it does not', async () => {
    const { sup } = supervise(2);
    sup.update(0, { type: 'done', value: 0, computeMs: 1, stats: stats(0) });
    sup.update(0, { type: 'exited', error: { message: 'not this one' } });
    expect(sup.failure).toBeUndefined();
    sup.update(1, { type: 'exited', error: { message: 'rank 1 exited with code 3' } });
    const err = await failureOf(sup.outcome);
    expect(err.rank).toBe(1);
    expect(err.message).toBe('rank 1 failed: rank 1 exited with code 3');
  });

  it('output goes to the sink as it comes, even after the job settled', async () => {
    const { sup, output } = supervise(1);
    sup.update(0, { type: 'output', stream: 'stdout', line: 'hello' });
    sup.fail({ info: { rank: 0, message: 'x' } });
    sup.update(0, { type: 'exited' });
    await failureOf(sup.outcome);
    sup.update(0, { type: 'output', stream: 'stderr', line: 'late' });
    expect(output).toEqual(['0 stdout hello', '0 stderr late']);
  });

  it('rejects an update for a rank outside the job, naming the rank', () => {
    const { sup } = supervise(2);
    expect(() => sup.update(2, { type: 'started' })).toThrow('Expected a rank in [0, 2), got `2`');
  });

  describe('interrupts', () => {
    it('an interrupt fails the job on rank 0, saying all ranks were stopped', async () => {
      const ctl = new AbortController();
      const { sup, calls } = supervise(2, { signal: ctl.signal });
      ctl.abort();
      expect(calls).toEqual(['stop 0']);
      for (const r of [0, 1]) sup.update(r, { type: 'exited' });
      const err = await failureOf(sup.outcome);
      expect((err.cause as Error).message).toBe(
        'the job was interrupted (signal received); all ranks were stopped',
      );
    });

    it('a signal already aborted at the start fails the job at once', () => {
      const ctl = new AbortController();
      ctl.abort();
      const { sup } = supervise(1, { signal: ctl.signal });
      expect(sup.failure?.info.message).toMatch(/^the job was interrupted/);
      sup.update(0, { type: 'exited' });
    });
  });

  describe('timeouts', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('says that ranks of a thread did not answer because one of them computes, where ranks share threads', () => {
      const { sup } = supervise(5, { timeoutMs: 1_000, ranksPerThread: 2 });
      for (const r of [0, 1, 2, 3, 4]) sup.update(r, { type: 'started' });
      vi.advanceTimersByTime(1_000);
      // Thread 0 (ranks 0, 1) does not answer: one of its ranks spins. Threads 1 and 2 do.
      for (const r of [2, 3, 4])
        sup.update(r, { type: 'pending', pending: [{ call: 'barrier', forMs: 900 }] });
      vi.advanceTimersByTime(500);
      const shared = (r: number) =>
        `  rank ${r}: did not answer: it shares a worker thread with ranks 0-1, and one of them is busy ` +
        'computing (not in an MPI call, not awaiting), which keeps the others from running\n';
      expect(sup.failure?.info.message).toBe(
        'the job timed out after 1.0 s:\n' +
          shared(0) +
          shared(1) +
          '  ranks 2-4: waiting in barrier for 0.9 s',
      );
    });

    it('says busy computing of a rank alone in its thread (the last thread, where ranks do not divide evenly)', () => {
      const { sup } = supervise(5, { timeoutMs: 1_000, ranksPerThread: 2 });
      for (const r of [0, 1, 2, 3, 4]) sup.update(r, { type: 'started' });
      vi.advanceTimersByTime(1_000);
      for (const r of [0, 1, 2, 3]) sup.update(r, { type: 'pending', pending: [] });
      vi.advanceTimersByTime(500);
      expect(sup.failure?.info.message).toContain(
        '  rank 4: busy computing (not in an MPI call), did not answer',
      );
    });

    it('the mismatch watch fails the job at once when two ranks wait in different collectives of one number, and only then', async () => {
      const { sup, calls } = supervise(3, { mismatchWatchMs: 2_000 });
      for (const r of [0, 1, 2]) sup.update(r, { type: 'started' });
      const bcast = {
        call: 'bcast(root=1)',
        forMs: 5,
        collective: { comm: 'COMM_WORLD', seq: 2, name: 'bcast' },
      };
      const reduce = {
        ...bcast,
        call: 'reduce(op=SUM, root=1)',
        collective: { ...bcast.collective, name: 'reduce' },
      };
      // First look: the ranks agree (or compute and do not answer): nothing happens, it looks again.
      vi.advanceTimersByTime(2_000);
      sup.update(0, { type: 'pending', pending: [bcast] });
      sup.update(1, { type: 'pending', pending: [bcast] });
      vi.advanceTimersByTime(250);
      expect(sup.failure).toBeUndefined();
      // Second look: a stale answer of rank 1 does not count; this round's do.
      vi.advanceTimersByTime(2_000);
      expect(calls).toEqual(['allStarted', 'askPending without stats', 'askPending without stats']);
      sup.update(0, { type: 'pending', pending: [bcast] });
      vi.advanceTimersByTime(250);
      expect(sup.failure).toBeUndefined();
      vi.advanceTimersByTime(2_000);
      sup.update(0, { type: 'pending', pending: [bcast] });
      sup.update(2, { type: 'pending', pending: [{ call: 'recv(source=0, tag=1)', forMs: 9 }, reduce] });
      vi.advanceTimersByTime(250);
      const message =
        'collective mismatch on COMM_WORLD: rank 0 called bcast (collective #2) while rank 2 called reduce (#2), and both wait in it. Every rank of a communicator must call the same collectives in the same order.';
      expect(sup.failure?.info).toEqual({ rank: 0, message, errorClass: ERR_OTHER });
      expect(calls.at(-1)).toBe('stop 0');
      for (const r of [0, 1, 2]) sup.update(r, { type: 'exited' });
      const err = await failureOf(sup.outcome);
      expect(err.cause).toBeInstanceOf(MPIError);
      expect((err.cause as MPIError).errorClass).toBe(ERR_OTHER);
    });

    it('the mismatch watch fails the job when ranks wait in one rooted collective with different roots', async () => {
      const { sup } = supervise(3, { mismatchWatchMs: 2_000 });
      for (const r of [0, 1, 2]) sup.update(r, { type: 'started' });
      const gather = (root: number) => ({
        call: `gather(root=${root})`,
        forMs: 5,
        collective: { comm: 'COMM_WORLD', seq: 1, name: 'gather' },
      });
      // The same root everywhere (and a label without a root) is no mismatch.
      vi.advanceTimersByTime(2_000);
      sup.update(0, { type: 'pending', pending: [gather(0)] });
      sup.update(1, { type: 'pending', pending: [gather(0)] });
      sup.update(2, { type: 'pending', pending: [{ ...gather(0), call: 'gather' }] });
      vi.advanceTimersByTime(250);
      expect(sup.failure).toBeUndefined();
      vi.advanceTimersByTime(2_000);
      sup.update(0, { type: 'pending', pending: [gather(0)] });
      sup.update(1, { type: 'pending', pending: [gather(1)] });
      vi.advanceTimersByTime(250);
      expect(sup.failure?.info).toEqual({
        rank: 0,
        message:
          'collective mismatch on COMM_WORLD: rank 0 called gather(root=0) (collective #1) while rank 1 called gather(root=1) (#1), and both wait in it. Every rank of a communicator must pass the same root to each collective.',
        errorClass: ERR_OTHER,
      });
      expect(collectiveMismatches([[gather(0)], [gather(1)], [{ ...gather(0), call: 'gather' }]])).toEqual([
        'collective #1 on COMM_WORLD does not match: rank 0 called gather(root=0), rank 1 called gather(root=1), rank 2 called gather',
      ]);
      // A first call that names no root does not hide two that differ.
      expect(collectiveMismatches([[{ ...gather(0), call: 'gather' }], [gather(0)], [gather(2)]])).toEqual([
        'collective #1 on COMM_WORLD does not match: rank 0 called gather, rank 1 called gather(root=0), rank 2 called gather(root=2)',
      ]);
      for (const r of [0, 1, 2]) sup.update(r, { type: 'exited' });
      await failureOf(sup.outcome);
    });

    it('with deliveredOnSend, fails a rank left in a COMM_WORLD collective every other rank completed, seen in two looks in a row', async () => {
      const { sup } = supervise(3, { mismatchWatchMs: 2_000, deliveredOnSend: true });
      for (const r of [0, 1, 2]) sup.update(r, { type: 'started' });
      const coll = (name: string, seq: number, comm = 'COMM_WORLD') => ({
        call: name === 'bcast' ? 'bcast(root=1)' : 'barrier()',
        forMs: 5,
        collective: { comm, seq, name },
      });
      const look = (answers: Record<number, PendingCallInfo[]>) => {
        vi.advanceTimersByTime(2_000);
        for (const [r, pending] of Object.entries(answers))
          sup.update(Number(r), { type: 'pending', pending });
        vi.advanceTimersByTime(250);
      };
      // A rank that did not answer may be anywhere: nothing is concluded.
      look({ 0: [coll('bcast', 4)], 1: [coll('barrier', 5)] });
      look({ 0: [coll('bcast', 4)], 1: [coll('barrier', 5)] });
      expect(sup.failure).toBeUndefined();
      // A rank in a point-to-point call may not have reached #4 yet; a sub-communicator's #5 says nothing either.
      look({
        0: [coll('bcast', 4)],
        1: [coll('barrier', 5)],
        2: [{ call: 'recv(source=0, tag=1)', forMs: 1 }],
      });
      look({ 0: [coll('bcast', 4)], 1: [coll('barrier', 5)], 2: [coll('barrier', 5, 'communicator w.1')] });
      expect(sup.failure).toBeUndefined();
      // One look is not enough (a frame may be on its way between two answers); two in a row are.
      look({ 0: [coll('bcast', 4)], 1: [coll('barrier', 5)], 2: [coll('barrier', 5)] });
      expect(sup.failure).toBeUndefined();
      sup.update(2, { type: 'done', value: 2, computeMs: 1, stats: stats(0) });
      look({ 0: [coll('bcast', 4)], 1: [coll('barrier', 5)] });
      expect(sup.failure?.info).toEqual({
        rank: 0,
        message:
          'collective mismatch on COMM_WORLD: rank 0 waits in bcast(root=1) (collective #4), which every other rank has completed: the ranks called it with different arguments (a different root, or counts that do not match). Every rank of a communicator must pass the same root, and counts that match, to each collective.',
        errorClass: ERR_OTHER,
      });
      for (const r of [0, 1, 2]) sup.update(r, { type: 'exited' });
      await failureOf(sup.outcome);
    });

    it('without deliveredOnSend (over SQS, a message may be on its way) the same looks fail nothing', () => {
      const { sup } = supervise(2, { mismatchWatchMs: 2_000 });
      for (const r of [0, 1]) sup.update(r, { type: 'started' });
      for (let i = 0; i < 3; i++) {
        vi.advanceTimersByTime(2_000);
        sup.update(0, {
          type: 'pending',
          pending: [
            { call: 'bcast(root=1)', forMs: 5, collective: { comm: 'COMM_WORLD', seq: 4, name: 'bcast' } },
          ],
        });
        sup.update(1, {
          type: 'pending',
          pending: [
            { call: 'barrier()', forMs: 5, collective: { comm: 'COMM_WORLD', seq: 5, name: 'barrier' } },
          ],
        });
        vi.advanceTimersByTime(250);
      }
      expect(sup.failure).toBeUndefined();
    });

    it('the timeout report names three or more ranks in a row doing the same in one line, their times as a range', async () => {
      const { sup } = supervise(9, { timeoutMs: 2_000 });
      for (let r = 0; r < 9; r++) sup.update(r, { type: 'started' });
      for (const r of [7, 8]) sup.update(r, { type: 'done', value: r, computeMs: 1, stats: stats(0) });
      vi.advanceTimersByTime(2_000);
      const barrier = (forMs: number) => ({
        call: 'barrier()',
        forMs,
        collective: { comm: 'COMM_WORLD', seq: 2, name: 'barrier' },
      });
      sup.update(0, { type: 'pending', pending: [{ call: 'recv(source=1, tag=7)', forMs: 1_960 }] });
      for (const [r, ms] of [
        [1, 1_940],
        [2, 1_990],
        [3, 1_700],
        [4, 1_990],
      ] as const)
        sup.update(r, { type: 'pending', pending: [barrier(ms)] });
      sup.update(5, { type: 'pending', pending: [] });
      sup.update(6, { type: 'pending', pending: [barrier(1_990)] });
      vi.advanceTimersByTime(500);
      expect(sup.failure?.info.message).toBe(
        'the job timed out after 2.0 s:\n' +
          '  rank 0: waiting in recv(source=1, tag=7) for 2.0 s\n' +
          '  ranks 1-4: waiting in barrier() (collective #2 on COMM_WORLD) for 1.7-2.0 s\n' +
          '  rank 5: running, not blocked in an MPI call\n' +
          '  rank 6: waiting in barrier() (collective #2 on COMM_WORLD) for 2.0 s\n' +
          '  rank 7: finished\n' +
          '  rank 8: finished',
      );
      for (let r = 0; r < 9; r++) sup.update(r, { type: 'exited' });
      await failureOf(sup.outcome);
    });

    it('at --timeout asks every rank what it waits in, then fails with one line per rank', async () => {
      const { sup, calls } = supervise(4, { timeoutMs: 2_000 });
      for (const r of [0, 1, 2, 3]) sup.update(r, { type: 'started' });
      sup.update(3, { type: 'done', value: 3, computeMs: 1, stats: stats(0) });
      vi.advanceTimersByTime(2_000);
      expect(calls).toEqual(['allStarted', 'askPending']);
      sup.update(0, {
        type: 'pending',
        pending: [
          { call: 'recv(source=1, tag=7)', forMs: 1_234 },
          { call: 'barrier', forMs: 50 },
        ],
      });
      sup.update(1, { type: 'pending', pending: [] });
      vi.advanceTimersByTime(499);
      expect(sup.failure).toBeUndefined();
      vi.advanceTimersByTime(1);
      const expected =
        'the job timed out after 2.0 s:\n' +
        '  rank 0: waiting in recv(source=1, tag=7) for 1.2 s, barrier for 0.1 s\n' +
        '  rank 1: running, not blocked in an MPI call\n' +
        '  rank 2: busy computing (not in an MPI call), did not answer\n' +
        '  rank 3: finished';
      expect(sup.failure?.info).toEqual({ rank: 0, message: expected, errorClass: ERR_TIMEOUT });
      for (const r of [0, 1, 2, 3]) sup.update(r, { type: 'exited' });
      const err = await failureOf(sup.outcome);
      expect(err.cause).toBeInstanceOf(MPIError);
      expect((err.cause as MPIError).errorClass).toBe(ERR_TIMEOUT);
      expect((err.cause as Error).message).toBe(expected);
    });

    it('names the collectives of one number that do not match among what ranks wait in', async () => {
      const { sup } = supervise(3, { timeoutMs: 1_000 });
      for (const r of [0, 1, 2]) sup.update(r, { type: 'started' });
      vi.advanceTimersByTime(1_000);
      const coll = (name: string) => ({ comm: 'COMM_WORLD', seq: 2, name });
      sup.update(0, {
        type: 'pending',
        pending: [{ call: 'bcast(root=1)', forMs: 800, collective: coll('bcast') }],
      });
      sup.update(1, {
        type: 'pending',
        pending: [{ call: 'reduce(op=SUM, root=1)', forMs: 800, collective: coll('reduce') }],
      });
      sup.update(2, {
        type: 'pending',
        pending: [{ call: 'reduce(op=SUM, root=1)', forMs: 800, collective: coll('reduce') }],
      });
      vi.advanceTimersByTime(500);
      expect(sup.failure?.info.message).toBe(
        'the job timed out after 1.0 s:\n' +
          '  rank 0: waiting in bcast(root=1) (collective #2 on COMM_WORLD) for 0.8 s\n' +
          '  rank 1: waiting in reduce(op=SUM, root=1) (collective #2 on COMM_WORLD) for 0.8 s\n' +
          '  rank 2: waiting in reduce(op=SUM, root=1) (collective #2 on COMM_WORLD) for 0.8 s\n' +
          '  collective #2 on COMM_WORLD does not match: rank 0 called bcast, rank 1 called reduce, rank 2 called reduce',
      );
      for (const r of [0, 1, 2]) sup.update(r, { type: 'exited' });
      await failureOf(sup.outcome);
    });

    it('a rank stopping at the job deadline starts the report early; ranks that never started are named so (Lambda)', async () => {
      const { sup, calls } = supervise(3, { timeoutMs: 60_000, threads: false });
      sup.update(0, { type: 'started' });
      sup.update(1, { type: 'started' });
      sup.update(0, {
        type: 'failed',
        error: { rank: 0, message: 'stopped at the time limit' },
        timeout: 'job',
        pending: [{ call: 'bcast(root=1)', forMs: 900 }],
      });
      sup.update(0, { type: 'exited' });
      expect(sup.failure).toBeUndefined(); // not a failure of its own: the job times out
      expect(calls).toEqual(['askPending']);
      vi.advanceTimersByTime(500);
      expect(sup.failure?.info.message).toBe(
        'the job timed out after 60.0 s:\n' +
          '  rank 0: waiting in bcast(root=1) for 0.9 s\n' +
          '  rank 1: busy computing (not in an MPI call), did not answer\n' +
          '  rank 2: had not started',
      );
      // Lambda: a rank that never started is not waited for.
      sup.update(1, { type: 'exited' });
      await failureOf(sup.outcome);
      expect(vi.getTimerCount()).toBe(0); // the --timeout timer died with the job
    });

    it('settleNow ends a failed job without waiting for ranks that did not say they stopped', async () => {
      const { sup } = supervise(2, {
        threads: false,
        hooks: { stop: () => sup.after(5_000, () => sup.settleNow()) },
      });
      sup.update(0, { type: 'started' });
      sup.update(1, { type: 'started' });
      sup.update(1, { type: 'abort', errorcode: 3 });
      vi.advanceTimersByTime(4_999);
      expect(sup.settled).toBe(false);
      vi.advanceTimersByTime(1);
      expect(sup.settled).toBe(true);
      expect((await failureOf(sup.outcome)).errorcode).toBe(3);
    });

    it('ranks that finish in the report grace after --timeout still fail the job, at once', async () => {
      const { sup, calls } = supervise(2, { timeoutMs: 1_000 });
      for (const r of [0, 1]) sup.update(r, { type: 'started' });
      vi.advanceTimersByTime(1_000);
      expect(calls).toEqual(['allStarted', 'askPending']);
      for (const r of [0, 1]) {
        sup.update(r, { type: 'done', value: r, computeMs: 1, stats: stats(0) });
        sup.update(r, { type: 'exited' });
      }
      const err = await failureOf(sup.outcome);
      expect(err.cause).toBeInstanceOf(MPIError);
      expect((err.cause as MPIError).errorClass).toBe(ERR_TIMEOUT);
      expect((err.cause as Error).message).toBe(
        'the job timed out after 1.0 s: its ranks all finished, but only after that (raise --timeout to let it complete)',
      );
      expect(vi.getTimerCount()).toBe(0); // the grace's timer died with the job
    });

    it('a job whose ranks all returned before --timeout succeeds while their exits are still pending', async () => {
      const { sup, calls } = supervise(2, { timeoutMs: 1_000 });
      for (const r of [0, 1]) sup.update(r, { type: 'started' });
      for (const r of [0, 1]) sup.update(r, { type: 'done', value: r, computeMs: 1, stats: stats(0) });
      vi.advanceTimersByTime(1_000);
      expect(calls).toEqual(['allStarted']); // nobody is asked what it waits in
      for (const r of [0, 1]) sup.update(r, { type: 'exited' });
      expect((await sup.outcome).results).toEqual([0, 1]);
    });

    it('a job that finished before its --timeout leaves no timer behind and ignores late updates', async () => {
      const { sup, calls } = supervise(1, { timeoutMs: 1_000 });
      sup.update(0, { type: 'started' });
      sup.update(0, { type: 'done', value: 1, computeMs: 1, stats: stats(0) });
      sup.update(0, { type: 'exited' });
      expect(vi.getTimerCount()).toBe(0);
      sup.update(0, { type: 'abort', errorcode: 1 });
      sup.after(10, () => calls.push('late timer'));
      vi.advanceTimersByTime(5_000);
      expect((await sup.outcome).results).toEqual([1]);
      expect(calls).toEqual(['allStarted']);
    });
  });
});
