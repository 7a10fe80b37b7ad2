/**
 * Test-only: runs `cfn-lint` (AWS's CloudFormation linter, preinstalled in this machine's Python;
 * not an npm dependency) over synthesized templates, so a property CloudFormation would reject at
 * deploy time fails a test instead of a `cdk deploy`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Rules ignored, each for a reason: W3005 flags the `DependsOn` on a function's own role, which
 * CDK writes on purpose (the role's default policy must exist before the function is created,
 * and CDK lists the role beside it); it is redundant, never wrong.
 */
export const IGNORED_CFN_LINT_RULES = ['W3005'] as const;

export interface CfnLintFinding {
  readonly rule: string;
  readonly level: string;
  readonly message: string;
  readonly path: string;
}

/** The `cfn-lint` version line, or undefined when it is not installed (then tests skip, saying so). */
export const CFN_LINT_VERSION: string | undefined = (() => {
  try {
    return execFileSync('cfn-lint', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n')[0];
  } catch {
    return undefined;
  }
})();

/** Why the cfn-lint tests skip on this machine (undefined when cfn-lint is available). */
export const CFN_LINT_SKIP_REASON =
  CFN_LINT_VERSION === undefined
    ? 'cfn-lint is not installed (pip install cfn-lint): the synthesized templates are not linted'
    : undefined;

/** Lints the templates; resolves with every finding (errors, warnings, informational) not ignored. */
export async function cfnLint(templates: readonly string[]): Promise<CfnLintFinding[]> {
  const args = ['--format', 'json', '--ignore-checks', ...IGNORED_CFN_LINT_RULES, '--', ...templates];
  // cfn-lint exits 2/4/8 (bit flags) when it finds errors/warnings/informational findings.
  const stdout = await run('cfn-lint', args, { maxBuffer: 16 * 1024 * 1024 }).then(
    (r) => r.stdout,
    (error: { code?: number; stdout?: string; stderr?: string }) => {
      if (typeof error.code === 'number' && error.code > 0 && error.code < 16 && error.stdout)
        return error.stdout;
      throw new Error(`cfn-lint failed (exit ${error.code}): ${error.stderr ?? ''}`);
    },
  );
  const raw = JSON.parse(stdout || '[]') as {
    Rule: { Id: string };
    Level: string;
    Message: string;
    Location: { Path: (string | number)[] };
  }[];
  return raw.map((f) => ({
    rule: f.Rule.Id,
    level: f.Level,
    message: f.Message,
    path: f.Location.Path.join('/'),
  }));
}
