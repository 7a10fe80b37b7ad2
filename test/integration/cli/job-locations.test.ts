/**
 * A job file is bundled (with the packages it imports) into one temporary file, yet each module
 * still finds where it was: `import.meta.url`/`dirname`/`filename` of the job's own modules and
 * `__dirname`/`__filename` of a CommonJS package name their original files, so reading a file
 * next to the job, or a package loading its own data, works as it would unbundled.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.js';

/** A job folder: the job, a sibling helper and data file, a CommonJS and an ES package with data. */
function jobFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsmpi-locations-'));
  const write = (file: string, text: string) => {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  };
  write('data.txt', 'next to the job');
  write('lib/data.txt', 'next to the helper');
  write(
    'lib/helper.ts',
    [
      "import { readFileSync } from 'node:fs';",
      "export const helperData = readFileSync(new URL('./data.txt', import.meta.url), 'utf8');",
      'export const helperDir = import.meta.dirname;',
      '',
    ].join('\n'),
  );
  write('node_modules/cjs-data/package.json', JSON.stringify({ name: 'cjs-data', main: 'index.js' }));
  write('node_modules/cjs-data/data.txt', 'inside the CommonJS package');
  write(
    'node_modules/cjs-data/index.js',
    [
      '#!/usr/bin/env node',
      "'use strict';",
      "const fs = require('node:fs');",
      "const path = require('node:path');",
      "exports.data = fs.readFileSync(path.join(__dirname, 'data.txt'), 'utf8');",
      'exports.file = __filename;',
      '',
    ].join('\n'),
  );
  write(
    'node_modules/esm-data/package.json',
    JSON.stringify({ name: 'esm-data', type: 'module', exports: './index.js' }),
  );
  write('node_modules/esm-data/data.txt', 'inside the ES package');
  write(
    'node_modules/esm-data/index.js',
    [
      "import { readFileSync } from 'node:fs';",
      "import { dirname, join } from 'node:path';",
      "import { fileURLToPath } from 'node:url';",
      // A package's own __dirname, as ES packages commonly declare it, must stay its own.
      'const __dirname = dirname(fileURLToPath(import.meta.url));',
      "export const data = readFileSync(join(__dirname, 'data.txt'), 'utf8');",
      '',
    ].join('\n'),
  );
  write(
    'job.ts',
    [
      "import { readFileSync } from 'node:fs';",
      "import { defineJob } from 'tsmpi-cloud';",
      "import * as cjs from 'cjs-data';",
      "import { data as esm } from 'esm-data';",
      "import { helperData, helperDir } from './lib/helper.ts';",
      '',
      'export default defineJob(async () => ({',
      "  job: readFileSync(new URL('./data.txt', import.meta.url), 'utf8'),",
      '  jobFile: import.meta.filename,',
      '  helperData,',
      '  helperDir,',
      '  cjs: cjs.data,',
      '  cjsFile: cjs.file,',
      '  esm,',
      "  text: 'import.meta.url and __dirname in a string stay as written',",
      '}));',
      '',
    ].join('\n'),
  );
  return dir;
}

describe('a bundled job file keeps where each of its modules was', () => {
  it('import.meta of the job and its helpers, __dirname of a CommonJS package; a package’s own __dirname is left alone', async () => {
    const dir = jobFolder();
    const r = await cli(['run', join(dir, 'job.ts'), '--ranks', '2', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { results } = JSON.parse(r.stdout) as { results: unknown[] };
    const expected = {
      job: 'next to the job',
      jobFile: join(dir, 'job.ts'),
      helperData: 'next to the helper',
      helperDir: join(dir, 'lib'),
      cjs: 'inside the CommonJS package',
      cjsFile: join(dir, 'node_modules/cjs-data/index.js'),
      esm: 'inside the ES package',
      text: 'import.meta.url and __dirname in a string stay as written',
    };
    expect(results).toEqual([expected, expected]);
  });
});
