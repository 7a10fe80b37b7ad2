/** The signals that stop a run: Ctrl-C, `kill`/`timeout`/CI cancellation, a closed terminal. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The exit status a shell expects of a process a signal ended: 128 + the signal's number. */
const EXIT_STATUS: Record<StopSignal, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** What the job may leave when the user forces an exit before the teardown ends. */
const MAY_BE_LEFT =
  "the job's queues and payload objects (the stack's sweeper deletes old queues; `--backend sqs` leaves " +
  'them until you delete them), its temporary job bundle, and Lambda ranks that run on until their timeout';

/** The interrupts of one run, until `dispose`. */
export interface Interrupts {
  /** The first signal received, if any: the run's exit status is {@link Interrupts.exitStatus}. */
  readonly signal: StopSignal | undefined;
  /** 128 + the first signal's number (130 for SIGINT), or undefined. */
  readonly exitStatus: number | undefined;
  dispose(): void;
}

/**
 * Makes SIGINT, SIGTERM and SIGHUP all stop a run the same way: the first calls `stop` (the
 * launcher aborts the ranks and deletes the job's queues, objects and temporary files); a second
 * says the teardown goes on and does not cut it short; a third exits at once, saying what may be
 * left. Installed for the duration of one run.
 *
 * @example
 * const interrupts = handleInterrupts({ stderr: io.stderr, stop: () => ac.abort() });
 * try { await run(job, { signal: ac.signal }); } finally { interrupts.dispose(); }
 */
export function handleInterrupts(o: {
  stderr: (text: string) => void;
  stop: () => void;
  /** What stopping cleans up besides the ranks; default: the cloud backends' queues and objects. */
  cleanup?: string;
  /** Default `process.exit`. */
  exit?: (code: number) => void;
}): Interrupts {
  let first: StopSignal | undefined;
  let count = 0;
  const say = (text: string) => {
    try {
      o.stderr(text);
    } catch {
      // A closed terminal (SIGHUP) cannot be written to; the teardown must go on regardless.
    }
  };
  const on = (signal: StopSignal) => {
    count += 1;
    if (first === undefined) {
      first = signal;
      say(
        `\ntsmpi-cloud: interrupted (${signal}), stopping all ranks${o.cleanup === '' ? '' : ` and ${o.cleanup ?? "deleting the job's queues and objects"}`}...\n`,
      );
      o.stop();
      return;
    }
    if (count === 2) {
      say(
        `tsmpi-cloud: ${signal} while stopping: the teardown goes on (stopping the ranks, deleting what the job created); ` +
          'send another signal to exit at once, leaving it behind\n',
      );
      return;
    }
    say(`tsmpi-cloud: exiting before the teardown ended (${signal}); may be left: ${MAY_BE_LEFT}\n`);
    (o.exit ?? ((code: number) => process.exit(code)))(EXIT_STATUS[first]);
  };
  const listeners = STOP_SIGNALS.map((signal) => [signal, () => on(signal)] as const);
  for (const [signal, listener] of listeners) process.on(signal, listener);
  return {
    get signal() {
      return first;
    },
    get exitStatus() {
      return first === undefined ? undefined : EXIT_STATUS[first];
    },
    dispose() {
      for (const [signal, listener] of listeners) process.off(signal, listener);
    },
  };
}
