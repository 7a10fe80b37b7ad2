/**
 * The CDK app exactly as `cdk synth` runs it: the `app` command of cdk.json, in a child
 * process, with the context and output directory the CLI would pass through the environment.
 * No credentials, no network, no Docker.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { STACK_OUTPUTS } from '../../infra/stack-outputs.js';
import { CFN_LINT_SKIP_REASON, cfnLint } from '../helpers/cfn-lint.js';
import { cdkJsonContext, FIXTURE_RANK_ENTRY, REPO_ROOT } from './infra-helpers.js';

const run = promisify(execFile);
const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
  app: string;
  notices?: boolean;
};
const outDirs: string[] = [];
afterAll(() => {
  for (const dir of outDirs) rmSync(dir, { recursive: true, force: true });
});

/** Runs cdk.json's `app` command; resolves with the cloud assembly directory. */
async function synthApp(context: Record<string, string>) {
  const outdir = mkdtempSync(join(tmpdir(), 'tsmpi-cdk-out-'));
  outDirs.push(outdir);
  const [command, ...args] = cdkJson.app.split(' ');
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CDK_OUTDIR: outdir,
    CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), ...context }),
  };
  const result = await run(command as string, args, { cwd: REPO_ROOT, env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? 1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
  return { outdir, ...result };
}

function template(outdir: string, stackName: string) {
  return JSON.parse(readFileSync(join(outdir, `${stackName}.template.json`), 'utf8')) as {
    Outputs: Record<string, { Value: unknown }>;
    Description?: string;
  };
}

describe('cdk.json', () => {
  it('runs the TypeScript app through esbuild, with no build step, and turns notices off (no network)', () => {
    expect(cdkJson.app).toBe('node --enable-source-maps infra/run-app.mjs infra/app.ts');
    expect(cdkJson.notices).toBe(false);
  });

  it('pins the recommended feature flags of the installed aws-cdk-lib', async () => {
    const { CURRENTLY_RECOMMENDED_FLAGS } = await import('aws-cdk-lib/cx-api');
    expect(cdkJsonContext()).toEqual(CURRENTLY_RECOMMENDED_FLAGS);
  });
});

describe('the app', () => {
  it('synthesizes stack TsmpiCloud offline, cdk-nag clean, with the outputs the CLI reads', async () => {
    const { code, stderr, outdir } = await synthApp({ rankEntry: FIXTURE_RANK_ENTRY });
    expect(stderr).not.toMatch(/docker/i);
    expect(code, stderr).toBe(0);
    const t = template(outdir, 'TsmpiCloud');
    expect(Object.keys(t.Outputs).sort()).toEqual(Object.values(STACK_OUTPUTS).sort());
    expect(t.Outputs.StackName?.Value).toBe('TsmpiCloud');
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
    // run-app.mjs removes its bundle afterwards.
    const cache = join(REPO_ROOT, 'node_modules/.cache/tsmpi-cloud');
    expect(existsSync(cache) ? readdirSync(cache).filter((f) => f.startsWith('cdk-app-')) : []).toEqual([]);
  }, 180_000);

  it('takes the stack name from the stackName context', async () => {
    const { code, stderr, outdir } = await synthApp({
      stackName: 'TsmpiStaging',
      rankEntry: FIXTURE_RANK_ENTRY,
    });
    expect(code, stderr).toBe(0);
    expect(template(outdir, 'TsmpiStaging').Outputs.StackName?.Value).toBe('TsmpiStaging');
  }, 180_000);

  it('rejects a stack name CloudFormation would refuse, saying why', async () => {
    const { code, stderr } = await synthApp({ stackName: 'tsmpi_cloud', rankEntry: FIXTURE_RANK_ENTRY });
    expect(code).not.toBe(0);
    expect(stderr).toContain('Expected context `stackName` to be a CloudFormation stack name');
  });

  // Both tests below read the default app's assembly; it is synthesized once.
  let defaultSynth: ReturnType<typeof synthApp> | undefined;
  const synthDefault = () => (defaultSynth ??= synthApp({}));

  it('deploys the pre-bundled rank and sweeper functions by default, rebuilt from the sources first', async () => {
    const { code, stderr, outdir } = await synthDefault();
    expect(code, stderr).toBe(0);
    const resources = (
      template(outdir, 'TsmpiCloud') as unknown as {
        Resources: Record<
          string,
          { Type: string; Properties: { Handler?: string; Code?: { S3Key?: string } } }
        >;
      }
    ).Resources;
    const fns = Object.entries(resources).filter(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && /^Tsmpi(Rank|Sweeper)Function/.test(id),
    );
    expect(fns).toHaveLength(2);
    for (const [id, fn] of fns) {
      expect(fn.Properties.Handler).toBe('index.handler');
      // The asset directory in the assembly is the bundle the build wrote, byte for byte; the rank
      // function's holds the worker its node invocations run their ranks in.
      const asset = join(outdir, `asset.${fn.Properties.Code?.S3Key?.replace(/\.zip$/, '')}`);
      expect(readdirSync(asset).sort()).toEqual(
        id.startsWith('TsmpiRankFunction')
          ? ['index.mjs', 'index.mjs.map', 'node-worker.mjs', 'node-worker.mjs.map']
          : ['index.mjs', 'index.mjs.map'],
      );
    }
  }, 180_000);

  it('writes templates cfn-lint accepts', async (ctx) => {
    if (CFN_LINT_SKIP_REASON !== undefined) ctx.skip(CFN_LINT_SKIP_REASON);
    const { code, stderr, outdir } = await synthDefault();
    expect(code, stderr).toBe(0);
    expect(await cfnLint([join(outdir, 'TsmpiCloud.template.json')])).toEqual([]);
  }, 180_000);

  it('fails the synth naming a rankEntry that does not exist', async () => {
    const { code, stderr } = await synthApp({ rankEntry: 'functions/no-such-handler.ts' });
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/`rankEntry` does not exist or is not a file: `.*functions\/no-such-handler\.ts`/);
  });
});
