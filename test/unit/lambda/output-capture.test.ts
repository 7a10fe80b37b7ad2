import { afterEach, describe, expect, it } from 'vitest';
import { captureOutput, type OutputCapture } from '../../../sdk/runtime/lambda/output-capture.js';

let capture: OutputCapture | undefined;
afterEach(() => capture?.restore());

describe('captureOutput', () => {
  it('captures console.* and direct stream writes as lines, each once, and puts everything back', () => {
    const lines: [string, string][] = [];
    const log = console.log;
    const write = process.stdout.write;
    capture = captureOutput((stream, line) => lines.push([stream, line]), { passThrough: false });
    console.log('a %d', 1, { b: 2 });
    console.error('oops');
    process.stdout.write('partial ');
    process.stdout.write('line\nnext');
    process.stderr.write(Buffer.from('é\n'));
    capture.restore();
    expect(lines).toEqual([
      ['stdout', 'a 1 { b: 2 }'],
      ['stderr', 'oops'],
      ['stdout', 'partial line'],
      ['stderr', 'é'],
      ['stdout', 'next'],
    ]);
    expect(console.log).toBe(log);
    expect(process.stdout.write).toBe(write);
  });

  it('passes output through to the original destination, captured once', () => {
    const logged: unknown[][] = [];
    const written: string[] = [];
    const { log } = console;
    const { write } = process.stdout;
    // The originals: console.log as the Lambda runtime makes it (writing to process.stdout here).
    console.log = (...args: unknown[]) => {
      logged.push(args);
      process.stdout.write(`${args.join(' ')}\n`);
    };
    process.stdout.write = ((chunk: string) =>
      written.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      const lines: string[] = [];
      capture = captureOutput((_s, line) => lines.push(line));
      console.log('hello');
      process.stdout.write('direct\n');
      capture.restore();
      expect(lines).toEqual(['hello', 'direct']);
      expect(logged).toEqual([['hello']]);
      expect(written).toEqual(['hello\n', 'direct\n']);
    } finally {
      console.log = log;
      process.stdout.write = write;
    }
  });
});
