import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

// scripts/build-stamp.mjs lets `prepare` skip a build dist/ already holds (the first
// `npx tsmpi-cloud` in a clone runs `prepare` again). It runs here on a small copy of the layout.
const script = path.resolve('scripts/build-stamp.mjs');
const OUTPUTS = [
  'dist/sdk/index.js',
  'dist/rank/launch/local/rank-worker.js',
  'dist/functions/rank/index.mjs',
  'dist/functions/sweeper/index.mjs',
];
const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function tree(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'tsmpi-stamp-'));
  roots.push(root);
  const put = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  put('sdk/a.ts', 'export const a = 1;\n');
  put('functions/rank.ts', 'export {};\n');
  put('package.json', '{}\n');
  for (const f of OUTPUTS) put(f, '');
  mkdirSync(path.join(root, 'scripts'));
  copyFileSync(script, path.join(root, 'scripts/build-stamp.mjs'));
  return root;
}

const stamp = (root: string, mode: string) =>
  spawnSync(process.execPath, [path.join(root, 'scripts/build-stamp.mjs'), mode], { encoding: 'utf8' });

describe('scripts/build-stamp.mjs', () => {
  it('check passes only after write, for the same sources and with every output present', () => {
    const root = tree();
    expect(stamp(root, 'check')).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('no build yet'),
    });
    expect(stamp(root, 'write').status).toBe(0);
    expect(stamp(root, 'check')).toMatchObject({
      status: 0,
      stderr: expect.stringContaining('skipping the build'),
    });

    writeFileSync(path.join(root, 'sdk/a.ts'), 'export const a = 2;\n');
    expect(stamp(root, 'check')).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('sources changed'),
    });
    expect(stamp(root, 'write').status).toBe(0);
    writeFileSync(path.join(root, 'sdk/b.ts'), '');
    expect(stamp(root, 'check').status).toBe(1); // a new file counts too

    expect(stamp(root, 'write').status).toBe(0);
    rmSync(path.join(root, 'dist/rank/launch/local/rank-worker.js'));
    expect(stamp(root, 'check')).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('dist/rank/launch/local/rank-worker.js is missing'),
    });
  });

  it('refuses an unknown mode, saying how to call it', () => {
    expect(stamp(tree(), 'verify')).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('write|check'),
    });
  });

  it('is what `prepare` runs before building', async () => {
    const pkg = (await import('../../../package.json', { with: { type: 'json' } })).default as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.prepare).toBe('node scripts/build-stamp.mjs check || npm run build');
    expect(pkg.scripts.build).toMatch(/&& node scripts\/build-stamp\.mjs write$/);
  });
});
