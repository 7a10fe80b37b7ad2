import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../../sdk/channel/channel.js';
import { ANY_SOURCE, ANY_TAG } from '../../../sdk/comm/constants.js';
import { type Matcher, MatchingEngine } from '../../../sdk/comm/matching-engine.js';

const msg = (src: number, tag: number, label: string, ctx = 'w'): Envelope => ({
  src,
  tag,
  ctx,
  payload: new TextEncoder().encode(label),
});
const label = (m: Envelope | undefined) =>
  m === undefined ? undefined : new TextDecoder().decode(m.payload);
const want = (src: number, tag: number, allowed?: (s: number) => boolean): Matcher => ({
  ctx: 'w',
  src,
  tag,
  allowed,
});

describe('MatchingEngine: unexpected messages', () => {
  it('takes the oldest of a source with that tag, past other tags and other sources', () => {
    const e = new MatchingEngine();
    for (const m of [msg(1, 5, 'a'), msg(2, 7, 'b'), msg(1, 7, 'c'), msg(1, 7, 'd'), msg(2, 5, 'e')]) {
      expect(e.deliver(m)).toBe(false);
    }
    expect(label(e.take(want(1, 7)))).toBe('c');
    expect(label(e.take(want(1, 7)))).toBe('d');
    expect(e.take(want(1, 7))).toBeUndefined();
    expect(label(e.take(want(2, 5)))).toBe('e');
    expect(e.counts().unexpected).toBe(2);
  });

  it('ANY_SOURCE takes the one that arrived first among the sources, ANY_TAG any user tag', () => {
    const e = new MatchingEngine();
    for (const m of [
      msg(3, 1, 'a'),
      msg(2, 2, 'b'),
      msg(1, 2, 'c'),
      msg(3, -4, 'internal'),
      msg(2, 1, 'd'),
    ]) {
      e.deliver(m);
    }
    expect(label(e.take(want(ANY_SOURCE, 2)))).toBe('b');
    expect(label(e.take(want(ANY_SOURCE, ANY_TAG)))).toBe('a');
    expect(label(e.take(want(ANY_SOURCE, ANY_TAG)))).toBe('c');
    expect(label(e.take(want(ANY_SOURCE, ANY_TAG)))).toBe('d');
    // A negative (internal) tag is never matched by ANY_TAG.
    expect(e.take(want(ANY_SOURCE, ANY_TAG))).toBeUndefined();
    expect(label(e.take(want(3, -4)))).toBe('internal');
  });

  it('ANY_SOURCE skips the sources a communicator does not have', () => {
    const e = new MatchingEngine();
    e.deliver(msg(4, 1, 'outside'));
    e.deliver(msg(5, 1, 'member'));
    expect(label(e.peek(want(ANY_SOURCE, 1, (s) => s === 5)))).toBe('member');
    expect(label(e.take(want(ANY_SOURCE, 1, (s) => s === 5)))).toBe('member');
    expect(e.take(want(ANY_SOURCE, 1, (s) => s === 5))).toBeUndefined();
  });

  it('peek leaves the message; unexpectedIn lists a context in arrival order', () => {
    const e = new MatchingEngine();
    for (const m of [msg(2, 1, 'a'), msg(1, 1, 'b'), msg(2, 1, 'c'), msg(1, 1, 'other', 'x')]) e.deliver(m);
    expect(label(e.peek(want(1, 1)))).toBe('b');
    expect(label(e.peek(want(1, 1)))).toBe('b');
    expect(e.unexpectedIn('w').map(label)).toEqual(['a', 'b', 'c']);
    expect(e.unexpectedIn('x').map(label)).toEqual(['other']);
    expect(e.unexpectedIn('none')).toEqual([]);
    expect(label(e.take(want(2, 1)))).toBe('a');
    expect(e.unexpectedIn('w').map(label)).toEqual(['b', 'c']);
  });

  it('a posted receive takes a message before it is kept', () => {
    const e = new MatchingEngine();
    const got: string[] = [];
    e.post({ ...want(1, 3), resolve: (m) => got.push(label(m)!) });
    expect(e.deliver(msg(1, 2, 'kept'))).toBe(false);
    expect(e.deliver(msg(1, 3, 'taken'))).toBe(true);
    expect(got).toEqual(['taken']);
    expect(e.counts()).toEqual({ unexpected: 1, posted: 0 });
  });

  it('thousands of posted receives are served in posting order, past a cancelled one and a tag match deeper in', () => {
    // The posted list is served from its front by an index; this crosses its compaction point.
    const e = new MatchingEngine();
    const got: [number, string][] = [];
    const entries = Array.from({ length: 3000 }, (_, i) => ({
      ...want(1, i === 2500 ? 9 : 3),
      resolve: (m: Envelope) => got.push([i, label(m)!]),
    }));
    for (const entry of entries) e.post(entry);
    e.cancel(entries[1500]!);
    expect(e.deliver(msg(1, 9, 'nine'))).toBe(true);
    for (let k = 0; k < 2998; k++) expect(e.deliver(msg(1, 3, `m${k}`))).toBe(true);
    expect(e.deliver(msg(1, 3, 'unexpected'))).toBe(false);
    const served = got.filter(([i]) => i !== 2500);
    expect(got.find(([i]) => i === 2500)).toEqual([2500, 'nine']);
    expect(served.map(([i]) => i)).toEqual(
      Array.from({ length: 3000 }, (_, i) => i).filter((i) => i !== 1500 && i !== 2500),
    );
    expect(served.map(([, l]) => l)).toEqual(Array.from({ length: 2998 }, (_, k) => `m${k}`));
    expect(e.counts()).toEqual({ unexpected: 1, posted: 0 });
  });

  it('every waiting probe that matches sees an arriving message, which stays for the receive', () => {
    // Two probes outstanding at once (probe(1, 3) and probe(ANY_SOURCE, ANY_TAG)): both complete.
    const e = new MatchingEngine();
    const seen: string[] = [];
    e.postProbe({ ...want(1, 3), resolve: (m) => seen.push(`exact ${label(m)}`) });
    e.postProbe({ ...want(ANY_SOURCE, ANY_TAG), resolve: (m) => seen.push(`any ${label(m)}`) });
    e.postProbe({ ...want(2, 3), resolve: (m) => seen.push(`other ${label(m)}`) });
    expect(e.deliver(msg(1, 3, 'm'))).toBe(false);
    expect(seen).toEqual(['exact m', 'any m']);
    expect(label(e.take(want(1, 3)))).toBe('m');
    // The probes that saw it are gone; the one for source 2 still waits.
    e.deliver(msg(1, 3, 'later'));
    expect(seen).toEqual(['exact m', 'any m']);
    e.deliver(msg(2, 3, 'two'));
    expect(seen).toEqual(['exact m', 'any m', 'other two']);
  });

  it('a cancelled probe sees nothing', () => {
    const e = new MatchingEngine();
    const seen: string[] = [];
    const probe = { ...want(1, 3), resolve: (m: Envelope) => seen.push(label(m)!) };
    e.postProbe(probe);
    e.cancel(probe);
    expect(e.deliver(msg(1, 3, 'kept'))).toBe(false);
    expect(seen).toEqual([]);
    // Nor does it stop a large message from going straight to a receive (firstPosted).
    const recv = { ...want(1, 4), resolve: () => undefined };
    e.post(recv);
    expect(e.firstPosted('w', 1, 4)).toBe(recv);
  });

  it('a posted ANY_SOURCE receive skips sources outside its communicator, and ANY_TAG internal tags', () => {
    // The same rules as for unexpected messages, on the path where the receive waits first.
    const e = new MatchingEngine();
    const got: string[] = [];
    e.post({ ...want(ANY_SOURCE, ANY_TAG, (s) => s === 5), resolve: (m) => got.push(label(m)!) });
    expect(e.deliver(msg(4, 1, 'outside'))).toBe(false);
    expect(e.deliver(msg(5, -4, 'internal'))).toBe(false);
    expect(got).toEqual([]);
    expect(e.deliver(msg(5, 0, 'member'))).toBe(true);
    expect(got).toEqual(['member']);
    expect(e.counts()).toEqual({ unexpected: 2, posted: 0 });
  });

  it('a cancelled receive takes nothing', () => {
    const e = new MatchingEngine();
    const got: string[] = [];
    const entry = { ...want(1, 3), resolve: (m: Envelope) => got.push(label(m)!) };
    e.post(entry);
    e.cancel(entry);
    expect(e.deliver(msg(1, 3, 'kept'))).toBe(false);
    expect(got).toEqual([]);
    expect(e.counts()).toEqual({ unexpected: 1, posted: 0 });
  });

  it('a source whose messages run far ahead does not change what another source matches', () => {
    const e = new MatchingEngine();
    for (let i = 0; i < 1000; i++) e.deliver(msg(1, 100 + i, `fast ${i}`));
    e.deliver(msg(2, 100, 'slow'));
    expect(label(e.take(want(2, 100)))).toBe('slow');
    for (let i = 0; i < 1000; i++) expect(label(e.take(want(1, 100 + i)))).toBe(`fast ${i}`);
    expect(e.counts().unexpected).toBe(0);
  });

  it('ANY_SOURCE compares arrival order right after a long queue was compacted', () => {
    const e = new MatchingEngine();
    for (let i = 0; i < 3000; i++) e.deliver(msg(1, 0, `early ${i}`));
    e.deliver(msg(2, 0, 'x'));
    for (let i = 0; i < 1000; i++) e.deliver(msg(1, 0, `late ${i}`));
    for (let i = 0; i < 3000; i++) expect(label(e.take(want(1, 0)))).toBe(`early ${i}`);
    expect(label(e.take(want(ANY_SOURCE, 0)))).toBe('x');
    expect(label(e.take(want(ANY_SOURCE, 0)))).toBe('late 0');
  });

  it('a long queue taken from its front while more arrive keeps arrival order, across compactions', () => {
    // The front moves by an index and the taken entries are dropped in batches (see COMPACT_FROM):
    // order, peek, tag matches past the front, ANY_SOURCE and unexpectedIn must not see the seams.
    const e = new MatchingEngine();
    let sent = 0;
    let taken = 0;
    const deliver = (n: number) => {
      for (let i = 0; i < n; i++, sent++) e.deliver(msg(1, sent, `m${sent}`));
    };
    deliver(3000);
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 700; i++, taken++) {
        if (i === 0) expect(label(e.peek(want(1, taken)))).toBe(`m${taken}`);
        expect(label(e.take(want(1, i % 2 === 0 ? taken : ANY_TAG)))).toBe(`m${taken}`);
      }
      deliver(500);
      const listed = e.unexpectedIn('w').map(label);
      expect(listed.length).toBe(sent - taken);
      expect(listed[0]).toBe(`m${taken}`);
      expect(listed.at(-1)).toBe(`m${sent - 1}`);
    }
    // A tag deep in the queue is taken out of the middle; the front is still the oldest.
    expect(label(e.take(want(1, sent - 2)))).toBe(`m${sent - 2}`);
    e.deliver(msg(2, 0, 'other source'));
    expect(label(e.take(want(ANY_SOURCE, ANY_TAG)))).toBe(`m${taken}`);
    taken++;
    const rest: (string | undefined)[] = [];
    for (let m = e.take(want(1, ANY_TAG)); m !== undefined; m = e.take(want(1, ANY_TAG))) rest.push(label(m));
    const expected: string[] = [];
    for (let i = taken; i < sent; i++) if (i !== sent - 2) expected.push(`m${i}`);
    expect(rest).toEqual(expected);
    expect(label(e.take(want(ANY_SOURCE, ANY_TAG)))).toBe('other source');
    expect(e.counts().unexpected).toBe(0);
    // An emptied queue starts over.
    deliver(2);
    expect(label(e.take(want(1, ANY_TAG)))).toBe(`m${sent - 2}`);
    expect(label(e.take(want(1, ANY_TAG)))).toBe(`m${sent - 1}`);
  });
});
