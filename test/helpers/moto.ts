/**
 * TEST-ONLY: moto_server (moto 5, Python; preinstalled on this machine, not an npm dependency),
 * a second SQS/S3 implementation next to fauxqs. Tests that use it skip, saying so, where the
 * `moto_server` command is absent.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { EMULATOR_CREDENTIALS } from '../../sdk/base/emulator-defaults.js';

/** Why moto tests skip here, or undefined when `moto_server` runs. */
export const MOTO_SKIP_REASON: string | undefined = (() => {
  try {
    execFileSync('moto_server', ['--help'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'moto_server is not installed (pip install "moto[server]"): the moto runs are skipped';
  }
})();

/** The two SQS/S3 emulators a rules-layer test runs against (`describe.each`), moto's skip reason. */
export const EMULATORS: readonly { emulator: 'fauxqs' | 'moto'; skip: string | undefined }[] = [
  { emulator: 'fauxqs', skip: undefined },
  { emulator: 'moto', skip: MOTO_SKIP_REASON },
];

export interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts moto_server on a free port of 127.0.0.1; resolves once it answers. */
export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const proc: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const endpoint = `http://127.0.0.1:${port}`;
  // Readiness: moto logs "Running on" once it listens; fail if it exits first.
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (/Running on/.test(stderr)) {
        proc.stderr?.off('data', onData);
        resolve();
      }
    };
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`moto_server exited (${code}): ${stderr}`)));
  });
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

/** moto_server and a client of its CloudFormation API (stacks and their statuses). */
export async function startMotoCloudFormation(): Promise<{
  endpoint: string;
  cfn: CloudFormationClient;
  stop(): Promise<void>;
}> {
  const moto = await startMoto();
  const cfn = new CloudFormationClient({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { ...EMULATOR_CREDENTIALS },
  });
  return {
    endpoint: moto.endpoint,
    cfn,
    stop: async () => {
      cfn.destroy();
      await moto.stop();
    },
  };
}
