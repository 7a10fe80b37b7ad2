import { FrontQueue } from '../base/front-queue.js';
import type { Envelope } from '../channel/channel.js';
import type { TypedArray } from './check.js';
import { ANY_SOURCE, ANY_TAG } from './constants.js';

/** A receive or probe waiting for a message. `src` is a world rank or ANY_SOURCE; `allowed` limits ANY_SOURCE to a communicator's members. */
export interface Matcher {
  ctx: string;
  src: number;
  tag: number;
  allowed: ((worldSrc: number) => boolean) | undefined;
  /** The call waiting, as reports name it (`recv(source=0, tag=5)`); absent for internal receives. */
  call?: string;
  /**
   * The buffer of a `Recv`/`Irecv`: a large message of the same TypedArray kind that fits may be
   * written straight into it as it arrives (see `Endpoint`'s placement). Absent otherwise.
   */
  into?: TypedArray | undefined;
}

/**
 * A posted receive or probe: the matcher, and what to call when a message matches. The engine
 * keeps the caller's object itself (one per receive, of one shape) and never copies it.
 */
export interface PostedRecv extends Matcher {
  resolve(msg: Envelope): void;
}

function matches(m: Matcher, msg: { readonly src: number; readonly tag: number }): boolean {
  return (
    (m.src === ANY_SOURCE ? m.allowed === undefined || m.allowed(msg.src) : m.src === msg.src) &&
    (m.tag === ANY_TAG ? msg.tag >= 0 : m.tag === msg.tag)
  );
}

/**
 * One source's unexpected messages on one context, oldest first, with the number each arrived
 * as (in the context), so ANY_SOURCE can take the oldest across sources. Two queues in lockstep
 * (same indices): no allocation per message. Taken from the front by an index (see FrontQueue):
 * a root that runs thousands of calls ahead of its children made every receive O(queue) with
 * `shift`.
 */
interface SourceQueue {
  msgs: FrontQueue<Envelope>;
  arrivals: FrontQueue<number>;
}

/** Removes entry `i` (in [start, end)) from `q`. */
function removeAt(q: SourceQueue, i: number): void {
  q.msgs.removeAt(i);
  q.arrivals.removeAt(i);
}

/** A context's unexpected messages: a queue per source, and the next arrival number. */
interface ContextQueues {
  bySrc: Map<number, SourceQueue>;
  arrivals: number;
  count: number;
}

/** The first index in `q` whose message `m` matches by tag (the source matches already), or -1. */
function firstByTag(m: Matcher, q: SourceQueue): number {
  const msgs = q.msgs;
  for (let i = msgs.start, end = msgs.end; i < end; i++) {
    const tag = msgs.at(i).tag;
    if (m.tag === ANY_TAG ? tag >= 0 : m.tag === tag) return i;
  }
  return -1;
}

/**
 * MPI message matching for one rank.
 *
 * Invariants: `#unexpected[ctx]` holds arrived, unmatched messages by source, each source's in
 * arrival order, and `#posted[ctx]` holds waiting receives in posting order. A message is matched
 * against the oldest matching posted receive; a new receive takes the oldest matching unexpected
 * message (of its source; for ANY_SOURCE, the one that arrived first). Since the channel releases
 * each source's messages in send order, these two rules give MPI's non-overtaking guarantee.
 * Probes see a message without taking it, and are served first.
 *
 * Queues by source keep a receive from one source from scanning what others sent: in a pipeline
 * of collectives, fast ranks run hundreds of calls ahead, and a single queue made every receive
 * from a slow one scan all of it.
 */
export class MatchingEngine {
  readonly #unexpected = new Map<string, ContextQueues>();
  /** Posted receives by context, oldest first (served from the front by an index, see FrontQueue). */
  readonly #posted = new Map<string, FrontQueue<PostedRecv>>();
  readonly #probes = new Map<string, PostedRecv[]>();
  /** Where `#find` found its message: the context's queues and the source's queue. */
  #foundIn: ContextQueues | undefined;
  #found: SourceQueue | undefined;

  /** A message released by the channel; false when no receive was waiting for it (it is kept). */
  deliver(msg: Envelope): boolean {
    const probes = this.#probes.get(msg.ctx);
    if (probes !== undefined && probes.length > 0) {
      for (let i = 0; i < probes.length; ) {
        const p = probes[i]!;
        if (matches(p, msg)) {
          probes.splice(i, 1);
          p.resolve(msg);
        } else i++;
      }
    }
    const posted = this.#posted.get(msg.ctx);
    if (posted !== undefined) {
      for (let i = posted.start, end = posted.end; i < end; i++) {
        const r = posted.at(i);
        if (matches(r, msg)) {
          posted.removeAt(i);
          r.resolve(msg);
          return true;
        }
      }
    }
    let c = this.#unexpected.get(msg.ctx);
    if (c === undefined) this.#unexpected.set(msg.ctx, (c = { bySrc: new Map(), arrivals: 0, count: 0 }));
    let q = c.bySrc.get(msg.src);
    if (q === undefined) c.bySrc.set(msg.src, (q = { msgs: new FrontQueue(), arrivals: new FrontQueue() }));
    q.msgs.push(msg);
    q.arrivals.push(c.arrivals++);
    c.count++;
    return false;
  }

  /** The arrived, unmatched messages of `ctx`, oldest first (a copy). */
  unexpectedIn(ctx: string): readonly Envelope[] {
    const c = this.#unexpected.get(ctx);
    if (c === undefined || c.count === 0) return [];
    const all: { msg: Envelope; n: number }[] = [];
    for (const q of c.bySrc.values())
      for (let i = q.msgs.start; i < q.msgs.end; i++) all.push({ msg: q.msgs.at(i), n: q.arrivals.at(i) });
    return all.sort((a, b) => a.n - b.n).map((e) => e.msg);
  }

  /**
   * An unexpected message of `ctx` with tag `tag` at the front of its source's queue, if any.
   * Fronts only (one look per source that ever ran ahead): cheap enough for every completed
   * collective, and a message found is certainly there, which is what the caller needs.
   */
  frontWithTag(ctx: string, tag: number): Envelope | undefined {
    const c = this.#unexpected.get(ctx);
    if (c === undefined || c.count === 0) return undefined;
    for (const q of c.bySrc.values()) {
      const msgs = q.msgs;
      if (msgs.size > 0 && msgs.at(msgs.start).tag === tag) return msgs.at(msgs.start);
    }
    return undefined;
  }

  /** Takes the oldest matching unexpected message, if any. */
  take(m: Matcher): Envelope | undefined {
    const i = this.#find(m);
    if (i < 0) return undefined;
    const q = this.#found!;
    const msg = q.msgs.at(i);
    removeAt(q, i);
    this.#foundIn!.count--;
    return msg;
  }

  /** Looks at the oldest matching unexpected message without taking it. */
  peek(m: Matcher): Envelope | undefined {
    const i = this.#find(m);
    return i < 0 ? undefined : this.#found!.msgs.at(i);
  }

  /**
   * Where the oldest unexpected message `m` matches is: its index in its source's queue, which
   * is left in `#found` (and its context's in `#foundIn`: no pair allocated per receive); -1 when
   * there is none.
   */
  #find(m: Matcher): number {
    const c = this.#unexpected.get(m.ctx);
    if (c === undefined || c.count === 0) return -1;
    this.#foundIn = c;
    if (m.src !== ANY_SOURCE) {
      const q = c.bySrc.get(m.src);
      if (q === undefined) return -1;
      this.#found = q;
      return firstByTag(m, q);
    }
    let best: SourceQueue | undefined;
    let bestIndex = -1;
    for (const [src, q] of c.bySrc) {
      if (q.msgs.size === 0 || (m.allowed !== undefined && !m.allowed(src))) continue;
      const i = firstByTag(m, q);
      if (i >= 0 && (best === undefined || q.arrivals.at(i) < best.arrivals.at(bestIndex))) {
        best = q;
        bestIndex = i;
      }
    }
    this.#found = best;
    return bestIndex;
  }

  /**
   * The posted receive a message of (`ctx`, `src`, `tag`) arriving now would go to, left posted;
   * null when a probe would see the message first; undefined when no receive waits for it.
   */
  firstPosted(ctx: string, src: number, tag: number): PostedRecv | null | undefined {
    const arrival = { src, tag };
    const probes = this.#probes.get(ctx);
    if (probes !== undefined) for (const p of probes) if (matches(p, arrival)) return null;
    const posted = this.#posted.get(ctx);
    if (posted === undefined) return undefined;
    for (let i = posted.start, end = posted.end; i < end; i++) {
      const r = posted.at(i);
      if (matches(r, arrival)) return r;
    }
    return undefined;
  }

  /** Posts a receive: its `resolve` runs synchronously when a matching message arrives. */
  post(entry: PostedRecv): void {
    let list = this.#posted.get(entry.ctx);
    if (list === undefined) this.#posted.set(entry.ctx, (list = new FrontQueue()));
    list.push(entry);
  }

  /** Posts a probe: its `resolve` runs when a matching message arrives (the message stays unexpected). */
  postProbe(entry: PostedRecv): void {
    let list = this.#probes.get(entry.ctx);
    if (list === undefined) this.#probes.set(entry.ctx, (list = []));
    list.push(entry);
  }

  /** Withdraws a posted receive or probe that was not served (no-op if it was). */
  cancel(entry: PostedRecv): void {
    const posted = this.#posted.get(entry.ctx);
    const i = posted === undefined ? -1 : posted.indexOf(entry);
    if (i >= 0) posted!.removeAt(i);
    const probes = this.#probes.get(entry.ctx);
    const j = probes === undefined ? -1 : probes.indexOf(entry);
    if (j >= 0) probes!.splice(j, 1);
  }

  /** Counts for the timeout report and for tests. */
  counts(): { unexpected: number; posted: number } {
    let unexpected = 0;
    let posted = 0;
    for (const c of this.#unexpected.values()) unexpected += c.count;
    for (const q of this.#posted.values()) posted += q.size;
    return { unexpected, posted };
  }
}
