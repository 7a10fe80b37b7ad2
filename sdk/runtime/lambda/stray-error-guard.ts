import { AsyncLocalStorage } from 'node:async_hooks';

/** How a stray error reached the process. */
export type StrayErrorKind = 'rejection' | 'exception';

/** One invocation's claim on the errors raised by the work it started. */
export interface InvocationScope {
  readonly jobId: string;
  readonly rank: number;
  /** Runs `fn` so that everything it starts (promises, timers) belongs to this invocation. */
  run<T>(fn: () => T): T;
  /** Whether the caller is leftover work of another invocation (not this one's, nor no one's). */
  isForeign(): boolean;
  /** From now on, errors of this invocation's leftovers are logged and swallowed. */
  end(): void;
}

/**
 * The process-level fence of the rank function against errors nothing handles.
 *
 * AWS's runtime interface client for Node (aws-lambda-ric 4) registers no process listener: a
 * rejection or exception nothing handles ends the execution environment at once, posting nothing
 * to the Runtime API, so the rank never reports (the launcher would wait for its deadline) or, if
 * it was left behind by an earlier invocation, the next job's rank dies with it. (Source: the npm
 * package aws-lambda-ric 4.0.2, whose index.mjs has no `process.on` at all; the 3.x line,
 * github.com/aws/aws-lambda-nodejs-runtime-interface-client src/index.mjs at v3.3.0, registered
 * both listeners, posting the error to the Runtime API and exiting. The managed nodejs24.x
 * runtime's own copy is not published; the guard is right under either: it handles what reaches
 * it, and with 3.x's listeners also present the environment still ends, as it would without us.)
 *
 * Installed once per process at module init, before any job code runs. An error is attributed
 * by the async context it was raised in (Node emits both events in the context of the failing
 * promise or callback):
 * - raised by work of the running invocation, or by no invocation while one runs: that
 *   invocation's `onError` (the rank reports the failure, as a rank that threw does);
 * - raised by leftovers of an invocation that has ended, or between invocations: logged and
 *   swallowed, so it cannot end the environment or fail a later job.
 *
 * @example
 * const guard = StrayErrorGuard.install((line) => console.log(line));
 * const scope = guard.enter({ jobId, rank, onError: (err, kind) => stop(err, kind) });
 * try { await scope.run(() => runTheJob()); } finally { scope.end(); }
 */
export class StrayErrorGuard {
  static #installed: StrayErrorGuard | undefined;
  readonly #als = new AsyncLocalStorage<Scope>();
  #current: Scope | undefined;
  readonly #log: (line: string) => void;

  private constructor(log: (line: string) => void) {
    this.#log = log;
    process.on('unhandledRejection', (reason) => this.#stray(reason, 'rejection'));
    process.on('uncaughtException', (error) => this.#stray(error, 'exception'));
  }

  /** The guard of this process (a worker thread has its own), installing it on first call. */
  static install(log: (line: string) => void): StrayErrorGuard {
    StrayErrorGuard.#installed ??= new StrayErrorGuard(log);
    return StrayErrorGuard.#installed;
  }

  /** Starts an invocation's scope; only one is current at a time (one invocation per environment). */
  enter(o: {
    jobId: string;
    rank: number;
    onError: (error: unknown, kind: StrayErrorKind) => void;
  }): InvocationScope {
    const scope = new Scope(o.jobId, o.rank, o.onError, this.#als, () => {
      if (this.#current === scope) this.#current = undefined;
    });
    this.#current = scope;
    return scope;
  }

  #stray(error: unknown, kind: StrayErrorKind): void {
    const origin = this.#als.getStore();
    const target = origin ?? this.#current;
    if (target !== undefined && !target.ended) {
      target.onError(error, kind);
      return;
    }
    this.#log(
      JSON.stringify({
        event: 'stray-error-contained',
        kind,
        ...(origin === undefined ? {} : { fromJobId: origin.jobId, fromRank: origin.rank }),
        message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      }),
    );
  }
}

class Scope implements InvocationScope {
  ended = false;
  readonly jobId: string;
  readonly rank: number;
  readonly onError: (error: unknown, kind: StrayErrorKind) => void;
  readonly #als: AsyncLocalStorage<Scope>;
  readonly #onEnd: () => void;

  constructor(
    jobId: string,
    rank: number,
    onError: (error: unknown, kind: StrayErrorKind) => void,
    als: AsyncLocalStorage<Scope>,
    onEnd: () => void,
  ) {
    this.jobId = jobId;
    this.rank = rank;
    this.onError = onError;
    this.#als = als;
    this.#onEnd = onEnd;
  }

  run<T>(fn: () => T): T {
    return this.#als.run(this, fn);
  }

  isForeign(): boolean {
    const store = this.#als.getStore();
    return store !== undefined && store !== this;
  }

  end(): void {
    this.ended = true;
    this.#onEnd();
  }
}
