import { describe, expect, it } from 'vitest';
import { FrontQueue } from '../../../sdk/base/front-queue.js';

/** What `q` holds, oldest first. */
const contents = <T>(q: FrontQueue<T>): T[] => {
  const out: T[] = [];
  for (let i = q.start; i < q.end; i++) out.push(q.at(i));
  return out;
};

describe('FrontQueue', () => {
  it('takes from the front, keeps order across compactions, and removes from the middle', () => {
    const q = new FrontQueue<number>();
    let next = 0;
    let taken = 0;
    for (let i = 0; i < 3000; i++) q.push(next++);
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 900; i++) {
        expect(q.first).toBe(taken++);
        q.removeAt(q.start);
      }
      for (let i = 0; i < 400; i++) q.push(next++);
      expect(q.size).toBe(next - taken);
      expect(contents(q)).toEqual(Array.from({ length: next - taken }, (_, i) => taken + i));
    }
    // Out of the middle, then by value.
    q.removeAt(q.start + 2);
    q.removeAt(q.indexOf(taken + 5));
    expect(q.indexOf(taken + 2)).toBe(-1);
    expect(contents(q).slice(0, 6)).toEqual([taken, taken + 1, taken + 3, taken + 4, taken + 6, taken + 7]);
    expect(q.takeAll()).toHaveLength(next - taken - 2);
    expect([q.size, q.first, q.start, q.end]).toEqual([0, undefined, 0, 0]);
  });

  it('an emptied queue starts over at index 0', () => {
    const q = new FrontQueue<string>();
    q.push('a');
    q.push('b');
    q.removeAt(q.start);
    q.removeAt(q.start);
    expect([q.size, q.start, q.end]).toEqual([0, 0, 0]);
    q.push('c');
    expect([q.first, q.start]).toEqual(['c', 0]);
  });
});
