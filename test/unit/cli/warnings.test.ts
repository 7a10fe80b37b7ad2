import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { printOwnWarnings } from '../../../sdk/cli/warnings.js';

describe('printOwnWarnings (the CLI)', () => {
  let restore: (() => void) | undefined;
  afterEach(() => restore?.());

  it("prints tsmpi-cloud's warnings as its other messages and hands others to Node's handlers; restore puts them back", async () => {
    const before = process.listeners('warning');
    const others: string[] = [];
    const node = (w: Error) => others.push(w.message);
    process.on('warning', node);
    const written: string[] = [];
    restore = printOwnWarnings((s) => written.push(s));
    const seen = once(process, 'warning');
    process.emitWarning('tsmpi-cloud: job j1 left queues behind: Throttled; delete what is left by hand');
    await seen;
    expect(written).toEqual([
      'tsmpi-cloud: warning: job j1 left queues behind: Throttled; delete what is left by hand\n',
    ]);
    expect(others).toEqual([]);
    const seen2 = once(process, 'warning');
    process.emitWarning('something else', 'DeprecationWarning');
    await seen2;
    expect(others).toEqual(['something else']);
    expect(written).toHaveLength(1);
    restore();
    restore = undefined;
    expect(process.listeners('warning')).toEqual([...before, node]);
    process.removeListener('warning', node);
  });
});
