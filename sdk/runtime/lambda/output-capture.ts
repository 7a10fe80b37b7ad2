import { formatWithOptions } from 'node:util';
import { LineSplitter } from '../../base/line-splitter.js';
import type { OutputStream } from './control-report.js';

/** A running capture; `restore()` puts every patched function back and flushes a last partial line. */
export interface OutputCapture {
  restore(): void;
}

type ConsoleMethod = 'log' | 'info' | 'debug' | 'warn' | 'error' | 'trace';
const CONSOLE_STREAMS: Record<ConsoleMethod, OutputStream> = {
  log: 'stdout',
  info: 'stdout',
  debug: 'stdout',
  warn: 'stderr',
  error: 'stderr',
  trace: 'stderr',
};

/**
 * Captures what the job prints, line by line, for the launcher: `console.*` and direct writes to
 * `process.stdout` / `process.stderr`. Both are needed on Lambda, whose Node runtime replaces the
 * `console` methods with its own logger that writes to a telemetry file descriptor, bypassing
 * `process.stdout`.
 *
 * Everything still reaches the original destination (CloudWatch Logs on Lambda) unless
 * `passThrough` is false. A console call that the original method turns into a
 * `process.stdout.write` is captured once, not twice.
 *
 * Writes for which `accept()` is false (leftover work of an earlier invocation) are passed
 * through to the original destination only, never to `onLine`.
 *
 * Only one capture may be active at a time (Lambda runs one invocation per environment).
 */
export function captureOutput(
  onLine: (stream: OutputStream, line: string) => void,
  options: { passThrough?: boolean; accept?: () => boolean } = {},
): OutputCapture {
  const passThrough = options.passThrough ?? true;
  const accept = options.accept ?? (() => true);
  const splitters: Record<OutputStream, LineSplitter> = {
    stdout: new LineSplitter((line) => onLine('stdout', line)),
    stderr: new LineSplitter((line) => onLine('stderr', line)),
  };
  const utf8 = new TextEncoder();
  /** True while an original console method runs: its writes were captured already. */
  let inConsole = false;

  const savedWrites = { stdout: process.stdout.write, stderr: process.stderr.write };
  const patchWrite = (name: OutputStream) => {
    const stream = process[name];
    const original = savedWrites[name];
    stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      if (!inConsole && !accept())
        return (original as (...a: unknown[]) => boolean).call(stream, chunk, encoding, callback);
      if (!inConsole) {
        const bytes =
          typeof chunk === 'string'
            ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
            : (chunk as Uint8Array);
        splitters[name].push(bytes);
      }
      if (!passThrough && !inConsole) {
        const cb = typeof encoding === 'function' ? encoding : callback;
        if (typeof cb === 'function') queueMicrotask(() => (cb as () => void)());
        return true;
      }
      return (original as (...a: unknown[]) => boolean).call(stream, chunk, encoding, callback);
    }) as typeof stream.write;
  };
  patchWrite('stdout');
  patchWrite('stderr');

  const savedConsole = new Map<ConsoleMethod, (...args: unknown[]) => void>();
  for (const method of Object.keys(CONSOLE_STREAMS) as ConsoleMethod[]) {
    const original = console[method] as (...args: unknown[]) => void;
    savedConsole.set(method, original);
    const stream = CONSOLE_STREAMS[method];
    console[method] = (...args: unknown[]) => {
      if (!accept()) return void original.apply(console, args);
      let text = formatWithOptions({ colors: false }, ...args);
      if (method === 'trace') {
        const stack = new Error().stack?.split('\n').slice(2).join('\n') ?? '';
        text = `Trace${text === '' ? '' : `: ${text}`}\n${stack}`;
      }
      splitters[stream].push(utf8.encode(`${text}\n`));
      if (!passThrough) return;
      inConsole = true;
      try {
        original.apply(console, args);
      } finally {
        inConsole = false;
      }
    };
  }

  let restored = false;
  return {
    restore() {
      if (restored) return;
      restored = true;
      process.stdout.write = savedWrites.stdout;
      process.stderr.write = savedWrites.stderr;
      for (const [method, original] of savedConsole) console[method] = original as never;
      splitters.stdout.flush();
      splitters.stderr.flush();
    },
  };
}
