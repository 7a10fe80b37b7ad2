import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Command, OPTIONS, type OptionSpec } from '../../../sdk/cli/command-line.js';
import { helpText } from '../../../sdk/cli/help.js';

/** Options every command takes, which no synopsis spells out (they are in every option list). */
const EVERYWHERE = new Set(['help', 'version', 'verbose']);

function optionsOf(command: Command): OptionSpec[] {
  return OPTIONS.filter((o) => o.commands.includes(command) && !EVERYWHERE.has(o.name));
}

/** The options of `command` that `text` spells in none of their ways (`--output`, `-o`). */
function missing(command: Command, text: string): string[] {
  const words = new Set(text.split(/[\s[\]|]+/));
  return optionsOf(command)
    .filter((o) => ![`--${o.name}`, ...(o.short ?? [])].some((w) => words.has(w)))
    .map((o) => `--${o.name}`);
}

/** The `Usage:` block of a help text: its lines up to the first blank one. */
function usageBlock(text: string): string {
  const at = text.indexOf('Usage:\n');
  expect(at, 'help text has a Usage: block').toBeGreaterThanOrEqual(0);
  return text.slice(at).split('\n\n')[0]!;
}

/** The words of `block` that are options (`--ranks`), as written. */
function optionWords(block: string): Set<string> {
  return new Set(block.match(/--[a-z][a-z-]*/g) ?? []);
}

describe('help synopses', () => {
  it.each(['list', 'doctor', 'trace'] as const)(
    'the usage of `%s` names every option it takes',
    (command) => {
      expect(missing(command, usageBlock(helpText('0.0.0', command)))).toEqual([]);
    },
  );

  it('the overview gives the same doctor synopsis as `doctor --help`', () => {
    const line = (text: string) => {
      const block = usageBlock(text);
      const rest = block.slice(block.indexOf('tsmpi-cloud doctor'));
      const end = rest.indexOf('\n  tsmpi-cloud ');
      return (end === -1 ? rest : rest.slice(0, end)).replace(/\s+/g, ' ').trim();
    };
    expect(line(helpText('0.0.0'))).toBe(line(helpText('0.0.0', 'doctor')));
  });

  it("the README's CLI synopsis names every option of run and doctor, and no option that does not exist", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('## CLI\n');
    expect(start).toBeGreaterThanOrEqual(0);
    const fence = readme.slice(readme.indexOf('```\n', start) + 4);
    const block = fence.slice(0, fence.indexOf('```'));
    const runPart = block.slice(block.indexOf('tsmpi-cloud run'), block.indexOf('tsmpi-cloud list'));
    const doctorPart = block.slice(block.indexOf('tsmpi-cloud doctor'), block.indexOf('tsmpi-cloud trace'));
    expect(missing('run', runPart)).toEqual([]);
    expect(missing('doctor', doctorPart)).toEqual([]);
    const known = new Set(OPTIONS.map((o) => `--${o.name}`));
    expect([...optionWords(block)].filter((o) => !known.has(o))).toEqual([]);
  });

  it("each command's option texts are that command's own, not one text for all", () => {
    const jsonLine = (command: Command) =>
      helpText('0.0.0', command)
        .split('\n')
        .find((l) => l.trimStart().startsWith('--json'));
    const lines = (['run', 'list', 'doctor'] as const).map(jsonLine);
    expect(new Set(lines).size).toBe(3);
    for (const command of ['run', 'list', 'doctor', 'trace'] as const) {
      expect(helpText('0.0.0', command)).not.toMatch(/\b(run|list|doctor): /);
    }
  });
});
