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

interface PostedRecv extends Matcher {
  resolve(msg: Envelope): void;
}

/** A posted receive or probe: one object of one shape (no spread: it is made per receive). */
function posted(m: Matcher, resolve: (msg: Envelope) => void): PostedRecv {
  const entry: PostedRecv = { ctx: m.ctx, src: m.src, tag: m.tag, allowed: m.allowed, resolve };
  if (m.call !== undefined) entry.call = m.call;
  return entry;
}

function matches(m: Matcher, msg: Envelope): boolean {
  return (
    (m.src === ANY_SOURCE ? m.allowed === undefined || m.allowed(msg.src) : m.src === msg.src) &&
    (m.tag === ANY_TAG ? msg.tag >= 0 : m.tag === msg.tag)
  );
}

/**
 * MPI message matching for one rank.
 *
 * Invariants: `#unexpected[ctx]` holds arrived, unmatched messages in arrival order, and
 * `#posted[ctx]` holds waiting receives in posting order. A message is matched against the oldest
 * matching posted receive; a new receive takes the oldest matching unexpected message. Since the
 * channel releases each source's messages in send order, these two rules give MPI's
 * non-overtaking guarantee. Probes see a message without taking it, and are served first.
 */
export class MatchingEngine {
  readonly #unexpected = new Map<string, Envelope[]>();
  readonly #posted = new Map<string, PostedRecv[]>();
  readonly #probes = new Map<string, PostedRecv[]>();

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
    let q = this.#unexpected.get(msg.ctx);
    if (q === undefined) this.#unexpected.set(msg.ctx, (q = []));
    q.push(msg);
    return false;
  }

  /** The arrived, unmatched messages of `ctx`, oldest first (do not modify). */
  unexpectedIn(ctx: string): readonly Envelope[] {
    return this.#unexpected.get(ctx) ?? [];
  }

  /** Takes the oldest matching unexpected message, if any. */
  take(m: Matcher): Envelope | undefined {
    const q = this.#unexpected.get(m.ctx);
    if (q === undefined) return undefined;
    for (let i = 0; i < q.length; i++) {
      const msg = q[i]!;
      if (matches(m, msg)) {
        if (i === 0) q.shift();
        else q.splice(i, 1);
        return msg;
      }
    }
    return undefined;
  }

  /** Looks at the oldest matching unexpected message without taking it. */
  peek(m: Matcher): Envelope | undefined {
    const q = this.#unexpected.get(m.ctx);
    if (q === undefined) return undefined;
    for (const msg of q) if (matches(m, msg)) return msg;
    return undefined;
  }

  /** Posts a receive: `resolve` runs synchronously when a matching message arrives. */
  post(m: Matcher, resolve: (msg: Envelope) => void): () => void {
    const entry = posted(m, resolve);
    let list = this.#posted.get(m.ctx);
    if (list === undefined) this.#posted.set(m.ctx, (list = []));
    list.push(entry);
    return () => this.#remove(this.#posted, entry);
  }

  /** Posts a probe: `resolve` runs when a matching message arrives (the message stays unexpected). */
  postProbe(m: Matcher, resolve: (msg: Envelope) => void): () => void {
    const entry = posted(m, resolve);
    let list = this.#probes.get(m.ctx);
    if (list === undefined) this.#probes.set(m.ctx, (list = []));
    list.push(entry);
    return () => this.#remove(this.#probes, entry);
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
    for (const q of this.#unexpected.values()) unexpected += q.length;
    for (const q of this.#posted.values()) posted += q.length;
    return { unexpected, posted };
  }
}
