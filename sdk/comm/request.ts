import { describeValue } from '../base/describe-value.js';
import { SENT } from '../transport/transport.js';
import { UNDEFINED } from './constants.js';
import { fillStatus, type Status } from './status.js';

/** What a completed operation reports into a Status. */
export interface Completion<T> {
  value: T;
  source?: number;
  tag?: number;
  count?: number;
}

/** What a receive that failed on its message (ERR_TRUNCATE, ERR_TYPE) reports into a Status. */
export interface FailedOn {
  source: number;
  tag: number;
  count: number;
  /** The error class. */
  error: number;
}

type State<T> =
  | { kind: 'pending' }
  | { kind: 'done'; completion: Completion<T> }
  | { kind: 'failed'; error: unknown; on: FailedOn | undefined };

const PENDING = { kind: 'pending' } as const;

/** The value a request completes with: `RequestValue<Request<number>>` is `number`. */
export type RequestValue<R> = R extends Request<infer V> ? V : never;

/** The values of a list of requests, position by position (a tuple stays a tuple, with its types). */
export type RequestValues<R extends readonly Request<any>[]> = {
  -readonly [K in keyof R]: RequestValue<R[K]>;
};

/** Makes progress synchronously (drains the transport) so `test` can see arrived messages. */
export type Progress = () => void;

/**
 * A non-blocking operation in flight. `await req` works (it is PromiseLike); `wait`, `test` and the
 * statics follow mpi4py.
 *
 * Invariant: `#state` is set synchronously by whoever completes the operation, so `test()` reports a
 * completion as soon as the matching engine has seen it. `active` turns false only once a completion
 * has been reported to the caller, so a request that finished in the background is still reported by
 * `waitany`/`testany`.
 *
 * @example
 * const req = comm.irecv(0, 7); ...; const value = await req.wait(status);
 */
export class Request<T = unknown> implements PromiseLike<T> {
  #state: State<T> = PENDING;
  #reported = false;
  /** Settles with the completion; made when first awaited (a request nobody waits on makes none). */
  #promise: Promise<Completion<T>> | undefined;
  readonly #progress: Progress | undefined;
  #settle: ((c: Completion<T>) => void) | undefined;
  #fail: ((e: unknown) => void) | undefined;
  /** Set for a blocking call's request (see `forBlockingCall`): `wait` returns this. */
  #direct: Promise<T> | undefined;

  /** @internal Use the Comm methods to create requests. */
  constructor(progress?: Progress) {
    this.#progress = progress;
  }

  /** @internal A request whose outcome is the given promise's. */
  static fromPromise<T>(p: Promise<T>, progress?: Progress): Request<T> {
    const r = new Request<T>(progress);
    // A send handed off at once is complete now: `test()` says so without waiting for a tick.
    if (p === SENT) {
      r._complete({ value: undefined as T });
      return r;
    }
    p.then(
      (value) => r._complete({ value }),
      (err) => r._error(err),
    );
    return r;
  }

  /**
   * @internal The request of a blocking call, which only `wait()` ever sees (the caller awaits
   * it at once; no status, no `test`): `wait` returns `p` itself, so a blocking collective costs
   * no request bookkeeping (promises, closures) per call.
   */
  static forBlockingCall<T>(p: Promise<T>): Request<T> {
    const r = new Request<T>();
    r.#direct = p;
    return r;
  }

  /** @internal A request that is complete already. */
  static completed<T>(completion: Completion<T>): Request<T> {
    const r = new Request<T>();
    r._complete(completion);
    return r;
  }

  /** @internal */
  _complete(c: Completion<T>): void {
    if (this.#state.kind !== 'pending') return;
    this.#state = { kind: 'done', completion: c };
    this.#settle?.(c);
  }

  /** @internal `on`: the message a receive failed on, for the caller's status. */
  _error(err: unknown, on?: FailedOn): void {
    if (this.#state.kind !== 'pending') return;
    this.#state = { kind: 'failed', error: err, on };
    this.#fail?.(err);
  }

  /** The completion as a promise, made on first use. */
  #completion(): Promise<Completion<T>> {
    if (this.#promise !== undefined) return this.#promise;
    const s = this.#state;
    if (s.kind === 'done') this.#promise = Promise.resolve(s.completion);
    else if (s.kind === 'failed') this.#promise = Promise.reject(s.error);
    else
      this.#promise = new Promise<Completion<T>>((resolve, reject) => {
        this.#settle = resolve;
        this.#fail = reject;
      });
    return this.#promise;
  }

  /** @internal Whether the operation has finished (successfully or not), whether or not reported. */
  get _finished(): boolean {
    // Its state is never set (see `forBlockingCall`): fail loudly rather than wait for ever.
    if (this.#direct !== undefined) throw new Error("internal: a blocking call's request is only waited on");
    if (this.#state.kind === 'pending' && this.#progress) this.#progress();
    return this.#state.kind !== 'pending';
  }

  /**
   * @internal Resolves when finished, without reporting: with the completion (a receive's source,
   * tag and byte count) when it succeeded, else undefined.
   */
  get _settled(): Promise<Completion<T> | undefined> {
    if (this.#direct !== undefined) {
      return this.#direct.then(
        () => undefined,
        () => undefined,
      );
    }
    return this.#completion().then(
      (c) => c,
      () => undefined,
    );
  }

  /** True until a completion has been reported to the caller. */
  get active(): boolean {
    return !this.#reported;
  }

  /** Waits for completion, fills `status`, returns the value (again, if already reported). */
  wait(status?: Status | null): Promise<T> {
    if (this.#direct !== undefined) return this.#direct;
    return this.#completion().then(
      (c) => {
        this.#report(c, status);
        return c.value;
      },
      (err: unknown) => {
        const st = this.#state;
        this.#reportFailure(st.kind === 'failed' ? st.on : undefined, status);
        throw err;
      },
    );
  }

  /**
   * Synchronous: `[true, value]` if complete (reporting it), `[false, undefined]` otherwise. It
   * makes progress itself, so a point-to-point request completes in a loop that never yields
   * (`while (!req.test()[0]) work()`, mpi4py's `while not req.Test()`). A non-blocking
   * collective's algorithm runs in promise reactions: let them run between tests (`await null`
   * in the loop is enough).
   */
  test(status?: Status | null): [boolean, T | undefined] {
    if (!this._finished) return [false, undefined];
    return [true, this._reportNow(status)];
  }

  /**
   * mpi4py's `Wait()` (MPI_Wait), so the tutorial's `req.Wait()` ports as is: waits for
   * completion and fills `status` like `wait`, but resolves `true`, as mpi4py returns `True`;
   * `wait` gives the value.
   */
  async Wait(status?: Status | null): Promise<true> {
    await this.wait(status);
    return true;
  }

  /** mpi4py's `Test()` (MPI_Test): whether the request is complete (reporting it, as `test`). */
  Test(status?: Status | null): boolean {
    return this.test(status)[0];
  }

  /** @internal Reports a finished request: returns its value or throws its error. */
  _reportNow(status?: Status | null): T {
    const s = this.#state;
    this.#reported = true;
    if (s.kind === 'failed') {
      this.#reportFailure(s.on, status);
      throw s.error;
    }
    if (s.kind !== 'done') throw new Error('internal: reporting a pending request');
    this.#report(s.completion, status);
    return s.completion.value;
  }

  #report(c: Completion<T>, status: Status | null | undefined): void {
    this.#reported = true;
    if (status != null && c.source !== undefined) fillStatus(status, c.source, c.tag ?? 0, c.count ?? 0);
  }

  #reportFailure(on: FailedOn | undefined, status: Status | null | undefined): void {
    this.#reported = true;
    if (on !== undefined) fillStatus(status, on.source, on.tag, on.count, on.error);
  }

  // biome-ignore lint/suspicious/noThenProperty: a Request is PromiseLike on purpose, so `await req` works.
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.wait().then(onfulfilled, onrejected);
  }

  /**
   * Waits for all; values in order (a failure rejects with the first error). Requests of different
   * value types may be mixed: a tuple of requests gives a tuple of their values.
   *
   * @example
   * const [, got] = await Request.waitall([comm.isend(x, 1), comm.irecv<number>(1)]); // got: number
   */
  static async waitall<const R extends readonly Request<any>[]>(reqs: R): Promise<RequestValues<R>> {
    Request.#check(reqs, 'waitall');
    return Promise.all(reqs.map((r) => r.wait())) as Promise<RequestValues<R>>;
  }

  /** Waits for any active request: `[index, value]`, or `[UNDEFINED, undefined]` when none is active. */
  static async waitany<R extends Request<any>>(
    reqs: readonly R[],
  ): Promise<[number, RequestValue<R> | undefined]> {
    Request.#check(reqs, 'waitany');
    const active = reqs.map((r, i) => [r, i] as const).filter(([r]) => r.active);
    if (active.length === 0) return [UNDEFINED, undefined];
    for (;;) {
      for (const [r, i] of active) if (r._finished) return [i, r._reportNow()];
      await Promise.race(active.map(([r]) => r._settled));
    }
  }

  /** Waits until at least one active request finishes; returns the indices of all finished ones. */
  static async waitsome(reqs: readonly Request<any>[]): Promise<number[]> {
    Request.#check(reqs, 'waitsome');
    if (!reqs.some((r) => r.active)) return [];
    for (;;) {
      const done = Request.#collectFinished(reqs);
      if (done.length > 0) return done;
      await Promise.race(reqs.filter((r) => r.active).map((r) => r._settled));
    }
  }

  /** `[true, values]` if every request is complete (reporting them all), else `[false, undefined]`. */
  static testall<const R extends readonly Request<any>[]>(reqs: R): [boolean, RequestValues<R> | undefined] {
    Request.#check(reqs, 'testall');
    if (!reqs.every((r) => !r.active || r._finished)) return [false, undefined];
    return [true, reqs.map((r) => (r.active ? r._reportNow() : r.#valueIfDone())) as RequestValues<R>];
  }

  /** `[index, true, value]` for a finished one; `[UNDEFINED, false, undefined]` if none finished; `[UNDEFINED, true, undefined]` if none is active. */
  static testany<R extends Request<any>>(reqs: readonly R[]): [number, boolean, RequestValue<R> | undefined] {
    Request.#check(reqs, 'testany');
    let anyActive = false;
    for (let i = 0; i < reqs.length; i++) {
      const r = reqs[i]!;
      if (!r.active) continue;
      anyActive = true;
      if (r._finished) return [i, true, r._reportNow()];
    }
    return anyActive ? [UNDEFINED, false, undefined] : [UNDEFINED, true, undefined];
  }

  /** Indices of the active requests that are complete now (reported); `[]` when none is active. */
  static testsome(reqs: readonly Request<any>[]): number[] {
    Request.#check(reqs, 'testsome');
    return Request.#collectFinished(reqs);
  }

  /** mpi4py's `Waitall()`: waits for all (a failure rejects with the first error); resolves `true`. */
  static async Waitall(reqs: readonly Request<any>[]): Promise<true> {
    await Request.waitall(reqs);
    return true;
  }

  /** mpi4py's `Waitany()`: the index of a request that completed (`UNDEFINED` when none is active). */
  static async Waitany(reqs: readonly Request<any>[]): Promise<number> {
    return (await Request.waitany(reqs))[0];
  }

  /** mpi4py's `Waitsome()`: the indices of the requests that completed (`[]` when none is active). */
  static Waitsome(reqs: readonly Request<any>[]): Promise<number[]> {
    return Request.waitsome(reqs);
  }

  /** mpi4py's `Testall()`: whether every request is complete (reporting them all if so). */
  static Testall(reqs: readonly Request<any>[]): boolean {
    return Request.testall(reqs)[0];
  }

  /** mpi4py's `Testany()`: `[index, flag]`, as `testany` without the value. */
  static Testany(reqs: readonly Request<any>[]): [number, boolean] {
    const [index, flag] = Request.testany(reqs);
    return [index, flag];
  }

  /** mpi4py's `Testsome()`: the indices of the requests complete now (`[]` when none is active). */
  static Testsome(reqs: readonly Request<any>[]): number[] {
    return Request.testsome(reqs);
  }

  /** A TypeError naming the call and the bad element, as mpi4py's, rather than one from deep inside. */
  static #check(reqs: unknown, call: string): void {
    if (!Array.isArray(reqs)) {
      throw new TypeError(
        `Request.${call}: expected an array of Requests (from isend, irecv, ibcast, ...), got ${describeValue(reqs)}`,
      );
    }
    for (let i = 0; i < reqs.length; i++) {
      if (!(reqs[i] instanceof Request)) {
        throw new TypeError(
          `Request.${call}: expected an array of Requests (from isend, irecv, ibcast, ...), got ${describeValue(reqs[i])} at index ${i}${reqs[i] instanceof Promise ? ' (a Promise: pass the request the I*/i* method returned, not a promise made from it)' : ''}`,
        );
      }
    }
  }

  static #collectFinished(reqs: readonly Request<any>[]): number[] {
    const done: number[] = [];
    for (let i = 0; i < reqs.length; i++) {
      const r = reqs[i]!;
      if (r.active && r._finished) {
        r.#reported = true;
        done.push(i);
      }
    }
    // An error among them surfaces when its value is read with wait().
    return done;
  }

  #valueIfDone(): T | undefined {
    return this.#state.kind === 'done' ? this.#state.completion.value : undefined;
  }
}
