import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const GUARD = fileURLToPath(
  new URL('../../../dist/sdk/runtime/lambda/stray-error-guard.js', import.meta.url),
);

/**
 * In a child process (the guard's process listeners would take this worker's unhandled errors
 * from vitest): errors nothing handles, raised inside, after and outside an invocation.
 */
const SCRIPT = `
const { StrayErrorGuard } = await import(process.argv[1]);
const seen = [];
const guard = StrayErrorGuard.install((line) => seen.push(JSON.parse(line)));
const tick = () => new Promise((r) => setTimeout(r, 20));
const first = guard.enter({ jobId: 'a', rank: 1, onError: (e, kind) => seen.push({ to: 'a', kind, message: e.message }) });
first.run(() => {
  Promise.reject(new Error('rejected in a'));
  setTimeout(() => { throw new Error('thrown in a'); }, 0);
  setTimeout(() => Promise.reject(new Error('late from a')), 40);
});
await tick();
first.end();
const second = guard.enter({ jobId: 'b', rank: 2, onError: (e, kind) => seen.push({ to: 'b', kind, message: e.message }) });
await tick(); await tick();
Promise.reject(new Error('no context, b running'));
await tick();
second.end();
Promise.reject(new Error('between invocations'));
await tick();
console.log(JSON.stringify(seen));
`;

describe('StrayErrorGuard', () => {
  it('fails the invocation whose work raised the error; contains leftovers and errors between invocations', () => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', SCRIPT, GUARD], {
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual([
      { to: 'a', kind: 'rejection', message: 'rejected in a' },
      { to: 'a', kind: 'exception', message: 'thrown in a' },
      {
        event: 'stray-error-contained',
        kind: 'rejection',
        fromJobId: 'a',
        fromRank: 1,
        message: 'Error: late from a',
      },
      { to: 'b', kind: 'rejection', message: 'no context, b running' },
      { event: 'stray-error-contained', kind: 'rejection', message: 'Error: between invocations' },
    ]);
  });
});
