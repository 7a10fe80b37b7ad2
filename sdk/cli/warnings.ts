/** What tsmpi-cloud's own warnings start with (see `process.emitWarning` in the launchers). */
const OURS = 'tsmpi-cloud: ';

/**
 * Prints tsmpi-cloud's own process warnings (a job's queues or payloads that could not be
 * deleted) as the CLI's other messages, `tsmpi-cloud: warning: ...`, instead of Node's
 * `(node:PID) Warning: tsmpi-cloud: ...` and its `--trace-warnings` hint. Other warnings still go
 * to Node's own handlers. The library keeps `process.emitWarning`: an app hears them through
 * `process.on('warning')`. Returns a function that puts Node's handlers back.
 *
 * @example
 * const restore = printOwnWarnings((s) => process.stderr.write(s));
 */
export function printOwnWarnings(write: (text: string) => void): () => void {
  const nodes = process.listeners('warning');
  const ours = (w: Error) => {
    if (w.message.startsWith(OURS)) write(`${OURS}warning: ${w.message.slice(OURS.length)}\n`);
    else for (const l of nodes) l(w);
  };
  process.removeAllListeners('warning');
  process.on('warning', ours);
  return () => {
    process.removeListener('warning', ours);
    for (const l of nodes) process.on('warning', l);
  };
}
