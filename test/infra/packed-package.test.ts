/**
 * The construct as a user meets it: `npm pack` the package, install the tarball into a fresh CDK
 * app (with and without a lock file), `new TsmpiCloud(stack, 'Mpi')`, `cdk synth`. The functions
 * ship pre-bundled, so the synth needs neither esbuild nor a lock file, and the asset hashes are
 * the ones this repository synthesizes (the bytes come from the tarball, not from a bundler run).
 *
 * aws-cdk-lib and constructs are linked from this repository's node_modules (no download); the
 * tarball's own dependencies come from the npm cache or registry. Skipped, saying so, where npm
 * can reach neither.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TsmpiCloud } from '../../infra/tsmpi-cloud-construct.js';
import { CFN_LINT_SKIP_REASON, cfnLint } from '../helpers/cfn-lint.js';
import { testApp } from '../helpers/test-app.js';
import { cdkJsonContext, REPO_ROOT } from './infra-helpers.js';

const run = promisify(execFile);
const CDK = join(REPO_ROOT, 'node_modules/.bin/cdk');

const CONSUMER_APP = `
import { App, Stack } from 'aws-cdk-lib';
import { TsmpiCloud } from 'tsmpi-cloud/infra';
const app = new App();
new TsmpiCloud(new Stack(app, 'Consumer'), 'Mpi');
app.synth();
`;

interface LambdaResource {
  Type: string;
  Properties: {
    Handler: string;
    Runtime: string;
    Architectures: string[];
    Code: { S3Key: string };
    FunctionName: unknown;
    Environment?: { Variables: Record<string, unknown> };
  };
}

let dir = '';
let app = '';
let tarball = '';
let skipReason: string | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsmpi-packed-'));
  // `npm test` builds first; --ignore-scripts keeps `prepare` from rebuilding dist/ under other tests.
  expect(existsSync(join(REPO_ROOT, 'dist/functions/rank/index.mjs')), 'run `npm run build` first').toBe(
    true,
  );
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
    cwd: REPO_ROOT,
  });
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(dir, info!.filename);
  writeFileSync(join(dir, 'files.json'), JSON.stringify(info!.files.map((f) => f.path)));
  app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      private: true,
      type: 'module',
      dependencies: {
        'aws-cdk-lib': `file:${join(REPO_ROOT, 'node_modules/aws-cdk-lib')}`,
        constructs: `file:${join(REPO_ROOT, 'node_modules/constructs')}`,
      },
    }),
  );
  writeFileSync(join(app, 'app.mjs'), CONSUMER_APP);
  try {
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], {
      cwd: app,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const text = String((error as { stderr?: string }).stderr ?? error);
    // npm's own network failures only (its log lines read `npm error network ...`), so that a
    // broken tarball whose error merely mentions a network is a failure, not a skip.
    if (
      /ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|npm (?:ERR!|error) network/.test(text)
    ) {
      skipReason = `npm could not fetch the tarball's dependencies (no registry and no cache): ${text.split('\n')[0]}`;
      return;
    }
    throw error;
  }
}, 300_000);

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

async function synth(outName: string) {
  const outdir = join(app, outName);
  await run(CDK, ['synth', '--app', 'node app.mjs', '-o', outdir, '--no-notices', '--quiet'], {
    cwd: app,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CDK_DISABLE_VERSION_CHECK: '1' },
    maxBuffer: 16 * 1024 * 1024,
  });
  const file = join(outdir, 'Consumer.template.json');
  return {
    file,
    template: JSON.parse(readFileSync(file, 'utf8')) as { Resources: Record<string, LambdaResource> },
  };
}

function functions(template: { Resources: Record<string, LambdaResource> }) {
  return Object.entries(template.Resources)
    .filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && /^Mpi(Rank|Sweeper)Function/.test(id))
    .map(([id, r]) => ({ id: id.replace(/[0-9A-F]{8}$/, ''), ...r.Properties }));
}

/** The S3 keys (content hashes) of the rank and sweeper assets as this repository synthesizes them. */
function repositoryAssetKeys(): string[] {
  const stack = new Stack(testApp({ context: cdkJsonContext() }), 'Consumer');
  new TsmpiCloud(stack, 'Mpi');
  return functions(Template.fromStack(stack).toJSON() as { Resources: Record<string, LambdaResource> })
    .map((f) => f.Code.S3Key)
    .sort();
}

describe('the packed package in a fresh CDK app', () => {
  it('ships the functions pre-bundled, and no TypeScript handler that imports files it lacks', (ctx) => {
    if (skipReason !== undefined) ctx.skip(skipReason);
    const files = JSON.parse(readFileSync(join(dir, 'files.json'), 'utf8')) as string[];
    expect(files).toContain('dist/functions/rank/index.mjs');
    expect(files).toContain('dist/functions/sweeper/index.mjs');
    expect(files.filter((f) => f.startsWith('functions/'))).toEqual([]);
  });

  it('ships source maps that carry their sources, and not the repository’s own CDK app (it imports a devDependency)', (ctx) => {
    if (skipReason !== undefined) ctx.skip(skipReason);
    const files = JSON.parse(readFileSync(join(dir, 'files.json'), 'utf8')) as string[];
    expect(files.filter((f) => f.startsWith('dist/infra/app.'))).toEqual([]);
    const shipped = new Set(files);
    const pkg = join(app, 'node_modules/tsmpi-cloud');
    const unreadable: string[] = [];
    for (const f of files.filter((x) => x.endsWith('.js.map'))) {
      const map = JSON.parse(readFileSync(join(pkg, f), 'utf8')) as {
        sources: string[];
        sourcesContent?: unknown[];
      };
      map.sources.forEach((source, i) => {
        const inPackage = shipped.has(join(dirname(f), source));
        if (!inPackage && typeof map.sourcesContent?.[i] !== 'string') unreadable.push(`${f}: ${source}`);
      });
    }
    expect(unreadable).toEqual([]);
  });

  it('synthesizes with the lock file npm wrote: pre-bundled functions, the repository asset hashes', async (ctx) => {
    if (skipReason !== undefined) ctx.skip(skipReason);
    expect(existsSync(join(app, 'package-lock.json'))).toBe(true);
    const { template } = await synth('out-locked');
    const fns = functions(template);
    expect(fns.map((f) => f.id).sort()).toEqual(['MpiRankFunction', 'MpiSweeperFunction']);
    for (const f of fns) {
      expect(f).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    }
    const rank = fns.find((f) => f.id === 'MpiRankFunction')!;
    expect(Object.keys(rank.Environment?.Variables ?? {}).sort()).toEqual(
      ['NODE_OPTIONS', 'TSMPI_BUCKET', 'TSMPI_QUEUE_PREFIX', 'TSMPI_STACK'].sort(),
    );
    expect(fns.map((f) => f.Code.S3Key).sort()).toEqual(repositoryAssetKeys());
  }, 300_000);

  it('synthesizes without a lock file, to the same assets', async (ctx) => {
    if (skipReason !== undefined) ctx.skip(skipReason);
    rmSync(join(app, 'package-lock.json'), { force: true });
    const { template, file } = await synth('out-unlocked');
    expect(
      functions(template)
        .map((f) => f.Code.S3Key)
        .sort(),
    ).toEqual(repositoryAssetKeys());
    if (CFN_LINT_SKIP_REASON !== undefined) ctx.skip(CFN_LINT_SKIP_REASON);
    expect(await cfnLint([file])).toEqual([]);
  }, 300_000);
});
