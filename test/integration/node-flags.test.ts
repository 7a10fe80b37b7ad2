/**
 * Node flags on the command line reach the local ranks without breaking them: process-wide flags
 * (V8's, `--v8-pool-size`) are ones a worker may not be given, `--input-type` and `-e` concern the
 * main script only.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/tsmpi-cloud.js', import.meta.url));
const SDK = new URL('../../dist/sdk/index.js', import.meta.url).href;

describe('node flags and the local ranks', () => {
  it.each([['--single-threaded-gc'], ['--v8-pool-size=8'], ['--stack-trace-limit=50']])(
    '`node %s tsmpi-cloud run hello` runs every rank',
    (flag) => {
      const out = execFileSync(process.execPath, [flag, BIN, 'run', 'hello', '--ranks', '3'], {
        encoding: 'utf8',
      });
      expect(out.trim().split('\n').sort()).toEqual([0, 1, 2].map((r) => `Hello from process ${r} out of 3`));
    },
  );

  it('run() from `node --input-type=module -e` beside a process-wide flag', () => {
    const script = `import { run } from ${JSON.stringify(SDK)};
const res = await run('scatter-gather', { ranks: 4, onOutput: () => {} });
console.log(JSON.stringify(res.result));`;
    const out = execFileSync(
      process.execPath,
      ['--stack-trace-limit=50', '--enable-source-maps', '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toEqual([1, 3, 5, 7]);
  });
});
