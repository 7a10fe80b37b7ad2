import { describe, expect, it } from 'vitest';
import { ANY_SOURCE, ANY_TAG, SUCCESS } from '../../../sdk/comm/constants.js';
import { fillStatus, Status } from '../../../sdk/comm/status.js';

describe('Status', () => {
  it('starts as MPI says: ANY_SOURCE, ANY_TAG, count 0, SUCCESS', () => {
    const s = new Status();
    expect([s.source, s.tag, s.count, s.error]).toEqual([ANY_SOURCE, ANY_TAG, 0, SUCCESS]);
    expect([s.Get_source(), s.Get_tag(), s.Get_count(), s.Get_error()]).toEqual([
      ANY_SOURCE,
      ANY_TAG,
      0,
      SUCCESS,
    ]);
  });

  it('is filled whole by a completed receive: a reused status loses an error set before', () => {
    const s = new Status();
    s.error = 15;
    fillStatus(s, 2, 7, 40);
    expect([s.source, s.tag, s.count, s.error]).toEqual([2, 7, 40, SUCCESS]);
  });

  it('counts whole elements only: the codec header is not an element', () => {
    // A Float64Array of 4 elements arrives as 32 bytes and a 5-byte codec header.
    const s = new Status();
    s.count = 37;
    expect(s.Get_elements(8)).toBe(4);
    expect(s.Get_elements()).toBe(37);
  });
});
