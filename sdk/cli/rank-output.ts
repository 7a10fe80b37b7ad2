import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { OutputSink } from '../launch/launcher.js';

export interface RankOutputOptions {
  /** `--tag-output`: `[rank] ` before each line. */
  tag?: boolean;
  /** `--timestamp-output`: the ISO time the line reached this process, before each line. */
  timestamp?: boolean;
  /** `--merge-stderr-to-stdout`: a rank's stderr lines go where its stdout lines go. */
  mergeStderr?: boolean;
  /** `--output-filename DIR`: lines go to `DIR/rank.<N>/stdout` and `.../stderr`, not to the terminal. */
  outputDir?: string;
  /** Where stdout lines go on the terminal (stderr under `--json`). */
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Wraps each terminal write (the progress line clears itself around it). */
  around?: (print: () => void) => void;
  /** The clock for timestamps (tests). */
  now?: () => Date;
}

/** An output sink for `run()` that applies mpiexec's output options; `close()` closes its files. */
export interface RankOutput {
  sink: OutputSink;
  close(): void;
}

/**
 * Routes rank output the way mpiexec does: tagged and/or timestamped lines, stderr merged into
 * stdout, or one file per rank and stream. Files are opened when a rank first prints to them and
 * written synchronously, so each file keeps its rank's line order.
 *
 * @example
 * const out = rankOutput({ tag: true, stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) });
 * await run('hello', { ranks: 2, onOutput: out.sink });
 * out.close();
 */
export function rankOutput(options: RankOutputOptions): RankOutput {
  const files = new Map<string, number>();
  const now = options.now ?? (() => new Date());
  const around = options.around ?? ((print: () => void) => print());
  const fileFor = (dir: string, rank: number, stream: 'stdout' | 'stderr'): number => {
    const key = `${rank}/${stream}`;
    let fd = files.get(key);
    if (fd === undefined) {
      const folder = path.join(dir, `rank.${rank}`);
      mkdirSync(folder, { recursive: true });
      fd = openSync(path.join(folder, stream), 'w');
      files.set(key, fd);
    }
    return fd;
  };
  const sink: OutputSink = (rank, stream, line) => {
    const to = options.mergeStderr ? 'stdout' : stream;
    const text = `${options.timestamp ? `${now().toISOString()} ` : ''}${options.tag ? `[${rank}] ` : ''}${line}\n`;
    if (options.outputDir !== undefined) {
      writeSync(fileFor(options.outputDir, rank, to), text);
      return;
    }
    around(() => (to === 'stdout' ? options.stdout : options.stderr)(text));
  };
  return {
    sink,
    close() {
      for (const fd of files.values()) closeSync(fd);
      files.clear();
    },
  };
}
