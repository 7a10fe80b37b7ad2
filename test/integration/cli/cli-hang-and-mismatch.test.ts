/**
 * A job that would hang on a rank that has returned, or whose ranks call different collectives,
 * fails at once saying which rank waits for what from whom (issue 11), as a user runs it.
 * `--timeout` only guards the tests: without the feature they would time out instead.
 */
import { describe, expect, it } from 'vitest';
import { ERR_OTHER } from '../../../sdk/index.js';
import { cli, FIXTURES } from '../../helpers/cli.js';

const job = (name: string) => `${FIXTURES}${name}`;
const GUARD = ['--timeout', '100'];

/** `root-mismatch.ts` on `ranks` ranks with its job arguments, as --json. */
const runRootMismatch = (ranks: string, jobArgs: string[]) =>
  cli(['run', job('root-mismatch.ts'), '--ranks', ranks, '--json', ...GUARD, '--', ...jobArgs]);

/** The --json error of a run that failed (exit 1). */
function failedWith(r: { code: number | null; stdout: string }) {
  expect(r.code).toBe(1);
  return JSON.parse(r.stdout).error;
}

describe('a receive from a rank that has returned', () => {
  it('fails the job naming the waiting rank, its call, and what the returned rank sent', async () => {
    const r = await cli(['run', job('recv-from-returned.ts'), '--ranks', '3', ...GUARD]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'the job failed on rank 1: rank 1 waits in recv(source=0, tag=5) for a message from rank 0, ' +
        'but rank 0 has returned (it sent rank 1 1 message, all received): the job would hang.',
    );
    expect(r.stderr).not.toContain('timed out');
  });

  it('--json carries the rank and the message', async () => {
    const r = await cli(['run', job('recv-from-returned.ts'), '--ranks', '2', '--json', ...GUARD]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.error.rank).toBe(1);
    expect(out.error.message).toMatch(/^rank 1 waits in recv\(source=0, tag=5\) .* rank 0 has returned/);
  });

  it('ANY_SOURCE: fails once every rank that could send has returned', async () => {
    const r = await cli(['run', job('recv-from-returned.ts'), '--ranks', '3', ...GUARD, '--', '--any']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'rank 1 waits in recv(source=ANY_SOURCE, tag=5), but every rank that could send it a message has returned ' +
        '(ranks 0, 2; they sent rank 1 1 message, all received): the job would hang.',
    );
  });

  it('ranks that return early with messages still to be received do not fail the job', async () => {
    const r = await cli(['run', job('returns-early.ts'), '--ranks', '4', '--json', ...GUARD]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).results).toEqual([18, 1, 2, 3]);
  });
});

describe('mismatched collectives', () => {
  it('bcast on one rank, reduce on the others: names both calls, not a closed transport', async () => {
    for (const ranks of ['2', '4']) {
      const r = await cli(['run', job('collective-mismatch.ts'), '--ranks', ranks, '--json', ...GUARD]);
      expect(r.code).toBe(1);
      const { error } = JSON.parse(r.stdout);
      expect(error.message).toMatch(
        /^collective mismatch on COMM_WORLD: rank \d called (bcast|reduce) \(collective #2\) while rank \d called (bcast|reduce) \(#2\)\. Every rank of a communicator must call the same collectives in the same order\.$/,
      );
      expect(error.message).toMatch(/bcast.*reduce|reduce.*bcast/);
      expect(error.message).toContain(`rank ${error.rank} called`);
      expect(error.message).not.toContain('transport');
    }
  });

  it.each([
    ['bcast', '2'],
    ['bcast', '4'],
    ['bcast', '8'],
    ['scatter', '4'],
  ])(
    '%s whose root differs on one rank (%s ranks) fails, naming the call and that its arguments differ',
    async (call, ranks) => {
      // Before, the job succeeded and the ranks returned different values.
      const error = failedWith(await runRootMismatch(ranks, ['--call', call]));
      expect(error.errorClass).toBe(ERR_OTHER);
      expect(error.message).toMatch(
        new RegExp(
          `^collective mismatch on COMM_WORLD: rank \\d sent rank ${error.rank} data of ${call} \\(collective #1\\), which rank ${error.rank} completed without it: the ranks called it with different arguments \\(a different root, or counts that do not match\\)\\.`,
        ),
      );
    },
  );

  it('gather whose root differs (each root waits for the others) fails without --timeout, naming both calls', async () => {
    // Before, it waited for ever (here: until the guard's timeout).
    const error = failedWith(await runRootMismatch('4', ['--call', 'gather']));
    expect(error).toMatchObject({ rank: 0, errorClass: ERR_OTHER });
    expect(error.message).toBe(
      'collective mismatch on COMM_WORLD: rank 0 called gather(root=0) (collective #1) while rank 1 called gather(root=1) (#1), and both wait in it. Every rank of a communicator must pass the same root to each collective.',
    );
  });

  it('a rank left waiting in a bcast the others completed with another root fails without --timeout', async () => {
    // 5 ranks, rank 4 roots its bcast at 1, the others at 0: rank 0 sends rank 4 its copy and the
    // others go on to the barrier, while rank 4 waits for a parent that never sends. It used to
    // wait until --timeout (here the guard's 100 s).
    const error = failedWith(await runRootMismatch('5', ['--bad', '4']));
    expect(error).toMatchObject({ rank: 4, errorClass: ERR_OTHER });
    expect(error.message).toBe(
      'collective mismatch on COMM_WORLD: rank 4 waits in bcast(root=1) (collective #1), which every other rank has completed: the ranks called it with different arguments (a different root, or counts that do not match). Every rank of a communicator must pass the same root, and counts that match, to each collective.',
    );
  });

  it('the same root everywhere runs as before (the check finds nothing in a correct job)', async () => {
    for (const call of ['bcast', 'scatter', 'gather']) {
      const r = await runRootMismatch('5', ['--call', call, '--bad', '-1']);
      expect([call, r.code]).toEqual([call, 0]);
    }
  });

  it('where no frame is exchanged (each rank only receives) the job fails without --timeout, naming the calls that do not match', async () => {
    // Rank 0 waits in bcast(root=1), rank 1 is the root of a reduce: neither sends. The launcher's
    // watch asks the ranks what they wait in and fails the job as a mismatch, instead of hanging.
    const r = await cli([
      'run',
      job('collective-mismatch.ts'),
      '--ranks',
      '2',
      '--json',
      '--',
      '--root',
      '1',
    ]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.error).toMatchObject({ rank: 0, errorClass: ERR_OTHER });
    expect(out.error.message).toBe(
      'collective mismatch on COMM_WORLD: rank 0 called bcast (collective #2) while rank 1 called reduce (#2), and both wait in it. Every rank of a communicator must call the same collectives in the same order.',
    );
  });
});
