import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Vitest setup file: each test file synthesizes CDK apps into one temporary folder of its own,
 * removed when the file is done. Without it every `new App()` without an `outdir` leaves a
 * `cdk.outXXXXXX` folder (megabytes of staged assets) in the system temp dir for good.
 * aws-cdk-lib's App reads `CDK_OUTDIR` when no `outdir` is given.
 *
 * With `CDK_OUTDIR` set, an App also synthesizes itself again on the process's `beforeExit`
 * unless `autoSynth` is false: after the file is done, into a removed folder, and for an app a
 * test expected to fail validation, throwing outside any test (an unhandled error that fails
 * the run, only when the worker happens to exit that way). So tests make apps with `testApp()`
 * (./test-app.ts), and a file that left such a listener fails here, naming the fix.
 */
const dir = mkdtempSync(join(tmpdir(), 'tsmpi-test-cdk-out-'));
process.env.CDK_OUTDIR = dir;
const exitListeners = process.listenerCount('beforeExit');
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  const added = process.listenerCount('beforeExit') - exitListeners;
  if (added > 0) {
    throw new Error(
      `this test file left ${added} beforeExit listener(s), e.g. a CDK App made with \`new App()\` (it synthesizes again at exit while CDK_OUTDIR is set): make apps with testApp() from test/helpers/test-app.ts`,
    );
  }
});
