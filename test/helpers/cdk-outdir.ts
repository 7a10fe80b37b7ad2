import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Vitest setup file: each test file synthesizes CDK apps into one temporary folder of its own,
 * removed when the file is done. Without it every `new App()` without an `outdir` leaves a
 * `cdk.outXXXXXX` folder (megabytes of staged assets) in the system temp dir for good.
 * aws-cdk-lib's App reads `CDK_OUTDIR` when no `outdir` is given.
 */
const dir = mkdtempSync(join(tmpdir(), 'tsmpi-test-cdk-out-'));
process.env.CDK_OUTDIR = dir;
afterAll(() => rmSync(dir, { recursive: true, force: true }));
