import { existsSync, lstatSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ChromeTrace,
  type TraceEvent,
  writeChromeTrace,
} from '../../../sdk/launch/trace/chrome-trace.js';

const dir = mkdtempSync(join(tmpdir(), 'tsmpi-trace-write-'));

function traceOf(n: number): ChromeTrace {
  const traceEvents: TraceEvent[] = [];
  for (let i = 0; i < n; i++) {
    traceEvents.push({
      name: `call ${i}`,
      cat: 'mpi',
      ph: 'X',
      pid: 0,
      tid: i % 3,
      ts: i * 1.5,
      dur: 1,
      args: { i },
    });
  }
  return { traceEvents, displayTimeUnit: 'ms', otherData: { ranks: 3, note: 'é "quoted"' } };
}

describe('writeChromeTrace', () => {
  it.each([
    [0, 1],
    [1, 1],
    [5, 1],
    [5, 2],
    [6, 3],
    [7, 8192],
  ])('writes %i events, %i per write, byte for byte as JSON.stringify', async (n, per) => {
    const file = join(dir, `t-${n}-${per}.json`);
    const trace = traceOf(n);
    await writeChromeTrace(file, trace, per);
    expect(readFileSync(file, 'utf8')).toBe(JSON.stringify(trace));
  });

  it('removes the half-written file when an event cannot be written', async () => {
    const file = join(dir, 'bad.json');
    const trace = traceOf(10);
    trace.traceEvents[7]!.args = { big: 1n };
    await expect(writeChromeTrace(file, trace, 2)).rejects.toThrow(/BigInt/);
    expect(existsSync(file)).toBe(false);
  });

  // Runs as root on CI: removing "the half-written file" must never remove a device.
  it.skipIf(!existsSync('/dev/full'))(
    'leaves a device it could not write to in place (/dev/full)',
    async () => {
      await expect(writeChromeTrace('/dev/full', traceOf(3))).rejects.toThrow(/ENOSPC/);
      expect(lstatSync('/dev/full').isCharacterDevice()).toBe(true);
    },
  );
});
