import { describe, expect, it } from 'vitest';
import { didYouMean } from '../../../sdk/base/did-you-mean.js';
import { parseCommandLine } from '../../../sdk/cli/command-line.js';
import { rankOutput } from '../../../sdk/cli/rank-output.js';

describe('parseCommandLine', () => {
  it('takes a value that starts with a dash as the value (checked later), and splits off job arguments', () => {
    const line = parseCommandLine([
      'run',
      'pi',
      '--ranks',
      '-1',
      '-x',
      'A',
      '--env=B=2',
      '--',
      '--samples',
      '3',
    ]);
    expect(line.command).toBe('run');
    expect(line.positionals).toEqual(['pi']);
    expect(line.values.get('ranks')).toBe('-1');
    expect(line.values.get('env')).toEqual(['A', 'B=2']);
    expect(line.jobArgv).toEqual(['--samples', '3']);
  });

  it('accepts mpiexec spellings: -n, -np, -x', () => {
    expect(parseCommandLine(['run', 'pi', '-np', '4']).values.get('ranks')).toBe('4');
    expect(parseCommandLine(['run', 'pi', '-n', '4']).spelled.get('ranks')).toBe('-n');
  });

  it('says how to write a short option glued to its value (-n=2, -n2, -np4), as mpiexec users type it', () => {
    expect(() => parseCommandLine(['run', 'pi', '-n=2'])).toThrow(
      '`-n=2`: -n takes its value as the next word: `-n 2` (or `--ranks=2`) (see `tsmpi-cloud run --help`)',
    );
    expect(() => parseCommandLine(['run', 'pi', '-np4'])).toThrow(/`-np4`: -np takes its value .*`-np 4`/);
    expect(() => parseCommandLine(['doctor', '-n2'])).toThrow(/`-n 2` \(or `--ranks=2`\) \(see/);
    // Not for a command without that option, nor for flags.
    expect(() => parseCommandLine(['list', '-n=2'])).toThrow(/^unknown option `-n=2` for `list`/);
    expect(() => parseCommandLine(['run', 'pi', '-v=1'])).toThrow(/^unknown option `-v=1`/);
  });

  it("says where a job argument goes, keeping the user's other words, and knows the built-in jobs' own", () => {
    const fails = (argv: string[]) => {
      try {
        parseCommandLine(argv);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error(`parsed: ${argv.join(' ')}`);
    };
    expect(fails(['run', 'job.ts', '-n', '2', '--lines', '3', '--json'])).toContain(
      'job arguments go after `--`, e.g. `tsmpi-cloud run job.ts -n 2 --json -- --lines 3`',
    );
    expect(fails(['run', 'pi', '-n', '2', '--seed=4'])).toContain(
      "pi's own arguments go after `--`: `tsmpi-cloud run pi -n 2 -- --seed=4`",
    );
    expect(fails(['run', 'pi', '-n', '2', '--detail'])).toContain(
      "did you mean pi's argument `--details`? It goes after `--`: `tsmpi-cloud run pi -n 2 -- --details`",
    );
    // No command that would fail next: hello takes no job arguments.
    const hello = fails(['run', 'hello', '-n', '2', '--bogus']);
    expect(hello).toContain('unknown option `--bogus` for `run` (hello takes no job arguments)');
    expect(hello).not.toContain('-- --bogus');
    expect(fails(['run', 'pi', '--bogus'])).toContain(
      "(pi's own arguments, after `--`: --samples, --seed, --details)",
    );
  });

  it('says a string option needs a value, and where job arguments go', () => {
    expect(() => parseCommandLine(['run', 'pi', '--ranks'])).toThrow('--ranks needs a value: --ranks N');
    expect(() => parseCommandLine(['run', 'pi', '--ranks', '--', '--x'])).toThrow(/before `--`/);
  });

  it('refuses a single-value option given twice, naming it and both values, instead of taking the last', () => {
    expect(() => parseCommandLine(['run', 'pi', '--ranks', '2', '--ranks', '4'])).toThrow(
      '--ranks is given twice, as `--ranks 2` and as `--ranks 4`: give it once, with the value you mean (see `tsmpi-cloud run --help`)',
    );
    // Any spelling of it, = or not, and for every command.
    expect(() => parseCommandLine(['run', 'pi', '-n', '2', '--ranks=4'])).toThrow(
      /^--ranks is given twice, as `-n 2` and as `--ranks 4`/,
    );
    expect(() => parseCommandLine(['run', 'pi', '--backend', 'sqs', '--backend', 'sqs'])).toThrow(
      /^--backend is given twice, as `--backend sqs` and as `--backend sqs`/,
    );
    expect(() => parseCommandLine(['trace', 'view', 'f.json', '-o', 'a.html', '--output', 'b.html'])).toThrow(
      /^--output is given twice, as `-o a.html` and as `--output b.html`: .*`tsmpi-cloud trace --help`/,
    );
    // A flag on and off is the same question; given twice alike it says one thing.
    expect(() => parseCommandLine(['run', 'pi', '--json', '--json=false'])).toThrow(
      /^--json is given twice, as `--json` and as `--json=false`/,
    );
    expect(parseCommandLine(['run', 'pi', '--json', '--json=true']).values.get('json')).toBe(true);
    expect(parseCommandLine(['run', 'pi', '-v', '--verbose']).values.get('verbose')).toBe(true);
    // Repeatable options collect, and the job's own arguments after `--` are the job's business.
    const line = parseCommandLine(['run', 'pi', '-x', 'A', '-x', 'B', '--', '--ranks', '1', '--ranks', '2']);
    expect(line.values.get('env')).toEqual(['A', 'B']);
    expect(line.jobArgv).toEqual(['--ranks', '1', '--ranks', '2']);
  });

  it('suggests the closest known option, and a command for a job name', () => {
    expect(() => parseCommandLine(['run', 'pi', '--rank', '2'])).toThrow(/did you mean `--ranks`\?/);
    expect(() => parseCommandLine(['lsit'])).toThrow(/unknown command `lsit`.*did you mean `list`\?/);
    expect(() => parseCommandLine(['pi'])).toThrow(/to run a job: `tsmpi-cloud run pi`/);
  });
});

describe('didYouMean', () => {
  it('finds typos and swaps but not unrelated words', () => {
    expect(didYouMean('--jsno', ['--json', '--ranks'])).toBe('--json');
    expect(didYouMean('--tag-ouptut', ['--tag-output', '--timeout'])).toBe('--tag-output');
    expect(didYouMean('--frobnicate', ['--json', '--ranks'])).toBeUndefined();
  });

  it('prefers the closest of several prefixes, and suggests nothing for an empty word', () => {
    const jobs = ['pi', 'hello', 'pi-nonblocking'];
    expect(didYouMean('pi-nonblock', jobs)).toBe('pi-nonblocking');
    expect(didYouMean('pi-', jobs)).toBe('pi');
    expect(didYouMean('', jobs)).toBeUndefined();
    expect(didYouMean('--', ['--json'])).toBeUndefined();
  });
});

describe('rankOutput', () => {
  it('tags, timestamps and merges lines as asked', () => {
    const out: string[] = [];
    const err: string[] = [];
    const o = rankOutput({
      tag: true,
      timestamp: true,
      mergeStderr: true,
      stdout: (s) => out.push(s),
      stderr: (s) => err.push(s),
      now: () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
    });
    o.sink(3, 'stderr', 'oops');
    o.sink(0, 'stdout', 'hi');
    expect(out).toEqual(['2026-01-02T03:04:05.006Z [3] oops\n', '2026-01-02T03:04:05.006Z [0] hi\n']);
    expect(err).toEqual([]);
  });
});
