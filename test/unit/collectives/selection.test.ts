import { describe, expect, it } from 'vitest';
import type { CollectiveSummary } from '../../../sdk/collectives/choice-log.js';
import { SQS_PROFILE } from '../../../sdk/collectives/transport-profile.js';
import type { Comm } from '../../../sdk/comm/comm.js';
import { ERR_ARG, MPIError, Op, SUM } from '../../../sdk/index.js';
import { defineJob } from '../../../sdk/jobs/define-job.js';
import { aggregateStats } from '../../../sdk/launch/launcher.js';
import { defaultTuning, openRank, type RankOptions, runRank } from '../../../sdk/runtime/run-rank.js';
import { createLoopbackTransports } from '../../../sdk/transport/loopback/loopback-transport.js';
import type { Transport } from '../../../sdk/transport/transport.js';
import { runWorld } from '../../helpers/in-process-world.js';

const CONCAT = Op.create((a: string, b: string) => a + b, false);

/** Loopback transports that call themselves `sqs`, so the ranks get the SQS defaults (the cost model). */
function sqsLike(size: number): Transport[] {
  return createLoopbackTransports(size).map(
    (t): Transport => ({
      kind: 'sqs-loopback',
      rank: t.rank,
      size: t.size,
      send: (dst, frame) => t.send(dst, frame),
      start: (onFrames) => t.start(onFrames),
      poll: () => t.poll?.() ?? false,
      close: () => t.close(),
    }),
  );
}

const job = defineJob(async (comm: Comm) => {
  const a = await comm.allreduce(comm.rank, SUM);
  const b = await comm.bcast(comm.rank === 0 ? 'x' : null, 0);
  const r = await comm.reduce(String(comm.rank), CONCAT, 1);
  for (let i = 0; i < 3; i++) await comm.barrier();
  await comm.allreduce(
    Float64Array.from({ length: 4 }, () => comm.rank),
    SUM,
  );
  const half = await comm.split(comm.rank % 2);
  await half?.allreduce(1, SUM);
  return [a, b, r];
});

async function runJob(size: number, options: RankOptions) {
  const handles = sqsLike(size).map((t) => openRank(t, undefined, options));
  return Promise.all(handles.map((h) => runRank(h, job, {})));
}

describe('collective selection', () => {
  it('over SQS, the model picks; every rank picks the same algorithm for every call, and says so in stats', async () => {
    const outcomes = await runJob(8, {});
    const lists = outcomes.map((o) => o.stats.collectives);
    for (const l of lists) expect(l).toBeDefined();
    const picks = (l: (typeof lists)[number]) =>
      l!
        .filter((r) => r.size === 8)
        .map((r) => `${r.collective}:${r.algorithm}:${r.selectedBy}:${r.calls}`)
        .sort();
    for (const l of lists) expect(picks(l)).toEqual(picks(lists[0]));
    const stats = aggregateStats(outcomes.map((o) => o.stats));
    expect(stats.collectivesConsistent).toBe(true);
    const coll = stats.collectives as CollectiveSummary[];
    const barrier = coll.find((c) => c.collective === 'barrier' && c.size === 8)!;
    expect(barrier.calls).toBe(3);
    expect(barrier.selectedBy).toBe('balanced');
    expect(barrier.predicted!.timeMs).toBeGreaterThan(0);
    expect(barrier.predicted!.requests).toBeGreaterThan(0);
    expect(barrier.measuredMs).toBeGreaterThanOrEqual(0);
    // The split halves (4 ranks each) chose for their own size.
    expect(coll.some((c) => c.collective === 'allreduce' && c.size === 4)).toBe(true);
  });

  it('--optimize cost reaches the ranks and changes what the model optimizes', async () => {
    const outcomes = await runJob(8, { optimize: 'cost' });
    const stats = aggregateStats(outcomes.map((o) => o.stats));
    const coll = stats.collectives as { selectedBy: string }[];
    expect(coll.every((c) => c.selectedBy === 'cost')).toBe(true);
  });

  it("exscan and Exscan take exscan's override, not scan's, and are recorded as exscan", async () => {
    const exscans = defineJob(async (comm: Comm) => {
      comm.setTuning({ algorithm: { scan: { name: 'prefix', radix: 2 }, exscan: { name: 'linear' } } });
      const before = await comm.exscan(comm.rank + 1, SUM);
      const buf = new Float64Array(1);
      await comm.Exscan(Float64Array.from([comm.rank + 1]), buf, SUM);
      return [before, buf[0]];
    });
    const handles = sqsLike(3).map((t) => openRank(t, undefined, {}));
    const outcomes = await Promise.all(handles.map((h) => runRank(h, exscans, {})));
    outcomes.forEach((o, r) => {
      // Rank 0's Exscan leaves its recvbuf as it was.
      expect(o.value).toEqual(r === 0 ? [null, 0] : [(r * (r + 1)) / 2, (r * (r + 1)) / 2]);
      const records = o.stats.collectives!.map(
        (c) => `${c.collective}:${c.algorithm}:${c.selectedBy}:${c.calls}`,
      );
      expect(records).toEqual(['exscan:linear:override:2']);
    });
    // The linear chain ran (the doubling scan sends rank 2 a message from rank 0 too).
    expect(outcomes.map((o) => o.stats.messagesSent)).toEqual([2, 2, 0]);
  });

  it('defaults: the model (balanced) over SQS (with the injected latency), fixed binomial trees over memory', () => {
    expect(defaultTuning('sqs', 64)).toMatchObject({ optimize: 'balanced', profile: SQS_PROFILE });
    expect(defaultTuning('sqs', 64, { optimize: 'cost' }).optimize).toBe('cost');
    expect(defaultTuning('sqs', 64, { latency: { p50Ms: 5, p99Ms: 9 } }).profile?.callLatency).toEqual({
      p50Ms: 5,
      p99Ms: 9,
    });
    expect(defaultTuning('sqs', 64, { sharedCpus: 2 }).profile?.sharedCpus).toBe(2);
    expect(defaultTuning('memory', 64)).toMatchObject({
      optimize: null,
      radix: 2,
      allreduce: 'recursive-doubling',
    });
    expect(defaultTuning('memory', 64, { optimize: 'latency' }).optimize).toBe('latency');
  });

  it('a per-call override wins over the model, then the model takes over again once removed', async () => {
    const got = await runWorld(4, async (c) => {
      c.setTuning({ optimize: 'latency', profile: SQS_PROFILE });
      c.setTuning({ algorithm: { allreduce: { name: 'recursive', radix: 2 } } });
      const a = await c.allreduce(1, SUM);
      c.setTuning({ algorithm: { allreduce: null } });
      const b = await c.allreduce(2, SUM);
      return [a, b, c.tuning.algorithm.allreduce, c.tuning.optimize];
    });
    for (const g of got) expect(g).toEqual([4, 8, undefined, 'latency']);
  });

  it('setting radix fixes the trees (the model is off) unless optimize is set with it', async () => {
    await runWorld(2, (c) => {
      c.setTuning({ optimize: 'cost' });
      c.setTuning({ radix: 4 });
      expect(c.tuning.optimize).toBeNull();
      c.setTuning({ radix: 4, optimize: 'latency' });
      expect(c.tuning.optimize).toBe('latency');
    });
  });

  it('rejects bad tuning with ERR_ARG naming the option and the value', async () => {
    await runWorld(1, (c) => {
      const bad = (t: unknown, msg: RegExp) => {
        try {
          c.setTuning(t as never);
          expect.unreachable();
        } catch (e) {
          expect(e).toBeInstanceOf(MPIError);
          expect((e as MPIError).errorClass).toBe(ERR_ARG);
          expect((e as MPIError).message).toMatch(msg);
        }
      };
      bad({ optimize: 'fast' }, /optimize.*"fast"/);
      bad({ algorithm: { bcst: { name: 'knomial' } } }, /unknown collective `bcst`/);
      bad({ algorithm: { bcast: { name: 'bruck' } } }, /one of knomial, scatter-allgather, linear.*"bruck"/);
      bad({ algorithm: { bcast: { name: 'knomial', radix: 1 } } }, /radix.*integer >= 2.*`1`/);
      bad({ algorithm: { bcast: { name: 'knomial', k: 3 } } }, /unknown key `k`/);
      bad({ fast: true }, /unknown option `fast`/);
    });
  });
});
