import { describe, expect, it } from 'vitest';
import { ERR_TRUNCATE, ERR_TYPE, Status, SUCCESS } from '../../../sdk/index.js';
import { frameOf, scriptedRankPerTest } from '../../helpers/scripted-transport.js';

// A receive that fails on the message it matched (too small a buffer, another kind of array)
// consumes the message: its frame goes back to the transport, and the caller's status says what
// the message was, with the error class (MPI's MPI_ERROR). Rank 1 of 2, frames delivered by hand.

const open = scriptedRankPerTest();

describe('a receive that fails on its message', () => {
  it('blocking Recv: too small a buffer is ERR_TRUNCATE, the frame is released and the status filled', async () => {
    const { comm, t } = open(0);
    const frame = frameOf(0, 5, new Float64Array([1, 2, 3, 4]));
    const got = comm.Recv(new Float64Array(2), 0, 5, Object.assign(new Status(), { error: 99 }));
    const st = new Status();
    const again = comm.Recv(new Float64Array(2), 0, 6, st);
    t.onFrames!([frame, frameOf(1, 6, new Float64Array([5, 6, 7]))]);
    await expect(got).rejects.toMatchObject({ errorClass: ERR_TRUNCATE });
    await expect(again).rejects.toMatchObject({ errorClass: ERR_TRUNCATE });
    expect([st.source, st.tag, st.error]).toEqual([0, 6, ERR_TRUNCATE]);
    expect(st.count).toBe(24); // the message's bytes (3 elements), not the buffer's size
    expect(t.released).toHaveLength(2);
  });

  it('blocking Recv of another kind of array: ERR_TYPE, released, status filled', async () => {
    const { comm, t } = open(0);
    const st = new Status();
    const got = comm.Recv(new Int32Array(8), 0, 5, st);
    t.onFrames!([frameOf(0, 5, new Float64Array([1, 2]))]);
    await expect(got).rejects.toMatchObject({ errorClass: ERR_TYPE });
    expect([st.source, st.tag, st.error]).toEqual([0, 5, ERR_TYPE]);
    expect(t.released).toHaveLength(1);
  });

  it('Irecv: wait(status) and test(status) report the failure into the status; the frame is released', async () => {
    const { comm, t } = open(0);
    const waited = comm.Irecv(new Float64Array(1), 0, 3);
    const tested = comm.Irecv(new Int32Array(4), 0, 4);
    t.onFrames!([frameOf(0, 3, new Float64Array([1, 2])), frameOf(1, 4, new Float64Array([3]))]);
    const st = new Status();
    await expect(waited.wait(st)).rejects.toMatchObject({ errorClass: ERR_TRUNCATE });
    expect([st.source, st.tag, st.error]).toEqual([0, 3, ERR_TRUNCATE]);
    const st2 = new Status();
    await tested._settled;
    expect(() => tested.test(st2)).toThrow(expect.objectContaining({ errorClass: ERR_TYPE }));
    expect([st2.source, st2.tag, st2.error]).toEqual([0, 4, ERR_TYPE]);
    expect(t.released).toHaveLength(2);
  });

  it('a receive that succeeds after a failed one sets error back to SUCCESS', async () => {
    const { comm, t } = open(0);
    const st = new Status();
    const bad = comm.Recv(new Float64Array(1), 0, 1, st);
    t.onFrames!([frameOf(0, 1, new Float64Array([1, 2]))]);
    await expect(bad).rejects.toThrow();
    expect(st.error).toBe(ERR_TRUNCATE);
    const good = comm.Recv(new Float64Array(2), 0, 2, st);
    t.onFrames!([frameOf(1, 2, new Float64Array([3, 4]))]);
    await good;
    expect([st.tag, st.error]).toEqual([2, SUCCESS]);
  });
});
