import { describe, expect, it } from 'vitest';
import {
  abortReport,
  BadReportError,
  decodeEnvelope,
  encodeEnvelope,
  envelopeBody,
  MAX_ABORT_STACK_CHARS,
  parseReportBody,
  type RankReport,
  type ReportEnvelope,
  ReportSequencer,
} from '../../../sdk/runtime/lambda/control-report.js';

const usage = { durationMs: 5, initMs: 0, memoryMb: 1769, calls: {} };
const env = (rank: number, seq: number, report: ReportEnvelope['report']): ReportEnvelope => ({
  v: 1,
  jobId: 'j1',
  rank,
  seq,
  report,
});

function roundTrip(e: ReportEnvelope): ReportEnvelope {
  const parsed = parseReportBody(envelopeBody(encodeEnvelope(e)));
  if (!('bytes' in parsed)) throw new Error('expected inline bytes');
  return decodeEnvelope(parsed.bytes, 'j1', 4);
}

describe('control reports', () => {
  it('carry any structured-cloneable result through the queue body (codec, base64)', () => {
    const value = { big: 12n, arr: new Float64Array([1.5, 2]), m: new Map([[1, 'a']]) };
    const e = env(1, 3, {
      type: 'done',
      value,
      computeMs: 1,
      stats: { messagesSent: 0, bytesSent: 0, messagesDelivered: 0, duplicatesDropped: 0 },
      usage,
    });
    expect(roundTrip(e)).toEqual(e);
  });

  it("carry an abort's stack, cut to MAX_ABORT_STACK_CHARS", () => {
    const stack = `MPIError: rank 1 called abort(3)\n    at job (my-job.ts:3:9)`;
    expect(roundTrip(env(1, 0, abortReport(3, stack)))).toEqual(
      env(1, 0, { type: 'abort', errorcode: 3, stack }),
    );
    expect(abortReport(3, undefined)).toEqual({ type: 'abort', errorcode: 3 });
    const long = abortReport(3, 'x'.repeat(MAX_ABORT_STACK_CHARS + 10)) as { stack: string };
    expect(long.stack).toHaveLength(MAX_ABORT_STACK_CHARS);
  });

  it('refuse messages of another job, outside the job, or of unknown types', () => {
    const bytes = encodeEnvelope(env(1, 0, { type: 'abort', errorcode: 3 }));
    expect(() => decodeEnvelope(bytes, 'other', 4)).toThrow(/for job j1, not other/);
    expect(() => decodeEnvelope(bytes, 'j1', 1)).toThrow(/rank 1 is outside the job \(size 1\)/);
    const odd = encodeEnvelope({
      ...env(0, 0, { type: 'abort', errorcode: 1 }),
      report: { type: 'nope' } as never,
    });
    expect(() => decodeEnvelope(odd, 'j1', 4)).toThrow(BadReportError);
    expect(() => parseReportBody('not base64!')).toThrow(/not base64/);
    expect(
      parseReportBody('{"tsmpi":"report","bucket":"b","key":"payloads/j1/reports/0-1.bin","bytes":9}'),
    ).toEqual({
      pointer: { tsmpi: 'report', bucket: 'b', key: 'payloads/j1/reports/0-1.bin', bytes: 9 },
    });
  });

  it('are released per rank in sequence order, each once, whatever the queue does', () => {
    const s = new ReportSequencer(2);
    const out = (rank: number, seq: number) =>
      s
        .accept(env(rank, seq, { type: 'output', lines: [['stdout', `${rank}:${seq}`]] }))
        .map((r) => (r as Extract<RankReport, { type: 'output' }>).lines[0]![1]);
    expect(out(0, 2)).toEqual([]);
    expect(out(1, 0)).toEqual(['1:0']);
    expect(out(0, 1)).toEqual([]);
    expect(out(0, 2)).toEqual([]); // duplicate of a held one
    expect(out(0, 0)).toEqual(['0:0', '0:1', '0:2']);
    expect(out(0, 1)).toEqual([]); // duplicate of a released one
    expect(s.duplicates).toBe(2);
  });
});
