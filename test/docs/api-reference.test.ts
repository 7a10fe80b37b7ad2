/**
 * The API reference in docs/api is generated from the TSDoc of the public entry points
 * (`npm run docs`, TypeDoc) and committed, so it can be read in the repository and in the npm
 * package. This test regenerates it and fails when the committed copy differs: the reference
 * cannot drift from the code.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COMMITTED = path.join(ROOT, 'docs', 'api');
const TYPEDOC = path.join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');

function files(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p, base) : [path.relative(base, p)];
  });
}

describe('the API reference (docs/api)', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'tsmpi-api-docs-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('is what `npm run docs` generates from the current TSDoc', { timeout: 300_000 }, async () => {
    await promisify(execFile)(process.execPath, [TYPEDOC, '--out', out, '--logLevel', 'Error'], {
      cwd: ROOT,
    });
    const fresh = files(out).sort();
    const committed = files(COMMITTED).sort();
    const hint = 'docs/api is out of date: run `npm run docs` and commit docs/api';
    expect(committed, hint).toEqual(fresh);
    for (const f of fresh) {
      expect(readFileSync(path.join(COMMITTED, f), 'utf8'), `${hint} (${f} differs)`).toBe(
        readFileSync(path.join(out, f), 'utf8'),
      );
    }
  });
});
