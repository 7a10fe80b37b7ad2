import type { Envelope } from '../channel/channel.js';
import { ANY_SOURCE, ANY_TAG } from './constants.js';

/** A receive or probe waiting for a message. `src` is a world rank or ANY_SOURCE; `allowed` limits ANY_SOURCE to a communicator's members. */
export interface Matcher {
  ctx: string;
  src: number;
  tag: number;
  allowed: ((worldSrc: number) => boolean) | undefined;
  /** The call waiting, as reports name it (`recv(source=0, tag=5)`); absent for internal receives. */
  call?: string;
}

/**
 * A posted receive or probe: the matcher, and what to call when a message matches. The engine
 * keeps the caller's object itself (one per receive, of one shape) and never copies it.
 */
export interface PostedRecv extends Matcher {
  resolve(msg: Envelope): void;
}

function matches(m: Matcher, msg: Envelope): boolean {
  return (
    (m.src === ANY_SOURCE ? m.allowed === undefined || m.allowed(msg.src) : m.src === msg.src) &&
    (m.tag === ANY_TAG ? msg.tag >= 0 : m.tag === msg.tag)
  );
}

/**
 * One source's unexpected messages on one context, oldest first, with the number each arrived
 * as (in the context), so ANY_SOURCE can take the oldest across sources. Two parallel arrays: no
 * allocation per message. The queue starts at `head`: taking the oldest message moves `head`
 * instead of shifting the arrays, which copies them whole (V8 cannot always trim an array's
 * start); a root that runs thousands of calls ahead of its children made every receive O(queue).
 */
interface SourceQueue {
  /** Entries before `head` are taken (cleared, so the messages can be collected). */
  msgs: (Envelope | undefined)[];
  arrivals: number[];
  head: number;
}

/** Taken entries at the front of a queue are dropped once they are this many and half of it. */
const COMPACT_FROM = 1024;

/** Removes entry `i` (an index at or after `q.head`) from `q`. */
function removeAt(q: SourceQueue, i: number): void {
  if (i !== q.head) {
    q.msgs.splice(i, 1);
    q.arrivals.splice(i, 1);
    return;
  }
  q.msgs[i] = undefined;
  const head = i + 1;
  if (head === q.msgs.length) {
    q.msgs.length = 0;
    q.arrivals.length = 0;
    q.head = 0;
  } else if (head >= COMPACT_FROM && head * 2 >= q.msgs.length) {
    q.msgs.splice(0, head);
    q.arrivals.splice(0, head);
    q.head = 0;
  } else q.head = head;
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
  for (let i = q.head; i < msgs.length; i++) {
    const tag = msgs[i]!.tag;
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
  readonly #posted = new Map<string, PostedRecv[]>();
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
      for (let i = 0; i < posted.length; i++) {
        const r = posted[i]!;
        if (matches(r, msg)) {
          posted.splice(i, 1);
          r.resolve(msg);
          return true;
        }
      }
    }
    let c = this.#unexpected.get(msg.ctx);
    if (c === undefined) this.#unexpected.set(msg.ctx, (c = { bySrc: new Map(), arrivals: 0, count: 0 }));
    let q = c.bySrc.get(msg.src);
    if (q === undefined) c.bySrc.set(msg.src, (q = { msgs: [], arrivals: [], head: 0 }));
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
      for (let i = q.head; i < q.msgs.length; i++) all.push({ msg: q.msgs[i]!, n: q.arrivals[i]! });
    return all.sort((a, b) => a.n - b.n).map((e) => e.msg);
  }

  /** Takes the oldest matching unexpected message, if any. */
  take(m: Matcher): Envelope | undefined {
    const i = this.#find(m);
    if (i < 0) return undefined;
    const q = this.#found!;
    const msg = q.msgs[i]!;
    removeAt(q, i);
    this.#foundIn!.count--;
    return msg;
  }

  /** Looks at the oldest matching unexpected message without taking it. */
  peek(m: Matcher): Envelope | undefined {
    const i = this.#find(m);
    return i < 0 ? undefined : this.#found!.msgs[i];
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
      if (q.msgs.length === q.head || (m.allowed !== undefined && !m.allowed(src))) continue;
      const i = firstByTag(m, q);
      if (i >= 0 && (best === undefined || q.arrivals[i]! < best.arrivals[bestIndex]!)) {
        best = q;
        bestIndex = i;
      }
    }
    this.#found = best;
    return bestIndex;
  }

  /** Posts a receive: its `resolve` runs synchronously when a matching message arrives. */
  post(entry: PostedRecv): void {
    let list = this.#posted.get(entry.ctx);
    if (list === undefined) this.#posted.set(entry.ctx, (list = []));
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
    this.#remove(this.#posted, entry);
    this.#remove(this.#probes, entry);
  }

  #remove(map: Map<string, PostedRecv[]>, entry: PostedRecv): void {
    const list = map.get(entry.ctx);
    if (list === undefined) return;
    const i = list.indexOf(entry);
    if (i >= 0) list.splice(i, 1);
  }

  /** Counts for the timeout report and for tests. */
  counts(): { unexpected: number; posted: number } {
    let unexpected = 0;
    let posted = 0;
    for (const c of this.#unexpected.values()) unexpected += c.count;
    for (const q of this.#posted.values()) posted += q.length;
    return { unexpected, posted };
  }
}
