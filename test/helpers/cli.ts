import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/tsmpi-cloud.js', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('../fixtures/jobs/', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as a user would (a child process), collecting output; awaits its exit. */
export function cli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; unset?: readonly string[] } = {},
): Promise<CliResult> {
  const env = { ...process.env, ...options.env };
  for (const name of options.unset ?? []) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env,
      cwd: options.cwd ?? process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
