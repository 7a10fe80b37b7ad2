import { describe, expect, it } from 'vitest';
import { ERR_OTHER, ERR_TRUNCATE, ERR_TYPE, MPIError, Status } from '../../../sdk/index.js';
import type { FramePlacement } from '../../../sdk/transport/transport.js';
import { frameOf, scriptedRankPerTest } from '../../helpers/scripted-transport.js';

// Receives whose message is placed straight into their buffer (`Transport.setPlacer`), driven by
// hand: rank 1 of 2 over a transport whose every poll() runs the next scripted step, so the
// moment a frame starts and ends arriving is chosen exactly, even while a `Recv` busy-polls.

const ramp = (n: number, from = 0) => Float64Array.from({ length: n }, (_, i) => from + i * 0.5);
const nothing = () => false;

const open = scriptedRankPerTest();

describe('a message placed straight into the buffer of its receive', () => {
  it('a blocking Recv that busy-polls gets the message placed for it while it polls', async () => {
    const { comm, t } = open(10_000_000); // the spin ends when its message is in, not by time
    const sent = ramp(2000, 1);
    const frame = frameOf(0, 5, sent);
    let placed: FramePlacement | undefined;
    t.steps.push(
      nothing, // the poll before the spin: no message yet
      () => {
        placed = t.begin(frame);
        return false;
      },
      nothing,
      () => {
        t.onFrames!([placed!.head]);
        return true;
      },
    );
    const buf = new Float64Array(2500);
    const status = new Status();
    await comm.Recv(buf, 0, 5, status);
    expect(placed).toBeDefined();
    expect(placed!.body.buffer).toBe(buf.buffer); // placed in the receive's own buffer
    expect(Array.from(buf.subarray(0, 2000))).toEqual(Array.from(sent));
    expect(buf[2000]).toBe(0);
    expect(status.source).toBe(0);
    expect(status.tag).toBe(5);
    // The TypedArray's bytes, as for a message that was not placed (not the codec's header).
    expect(status.Get_count()).toBe(sent.byteLength);
    expect(status.Get_elements(8)).toBe(2000);
  });

  it('a blocking Recv whose spin ends first waits for its placed message, and nothing else takes its place', async () => {
    const { comm, t } = open(1);
    const first = ramp(3000, 7);
    const frame = frameOf(0, 5, first);
    let placed: FramePlacement | undefined;
    t.steps.push(nothing, () => {
      placed = t.begin(frame);
      return false;
    });
    const buf = new Float64Array(3000);
    const got = comm.Recv(buf, 0, 5);
    expect(placed).toBeDefined();
    // A receive posted meanwhile that matches the same message must get the next one.
    const next = comm.irecv(0, 5);
    t.onFrames!([placed!.head]);
    await got;
    expect(Array.from(buf)).toEqual(Array.from(first));
    t.onFrames!([frameOf(1, 5, 'second')]);
    expect(await next.wait()).toBe('second');
  });

  it('a posted Irecv is bound to the message when it starts; a later Irecv gets the message after it', async () => {
    const { comm, t } = open(0);
    const a = new Float64Array(1000);
    const b = new Float64Array(1000);
    const ra = comm.Irecv(a, 0, 9);
    const first = t.begin(frameOf(0, 9, ramp(1000, 1)));
    expect(first?.body.buffer).toBe(a.buffer);
    const rb = comm.Irecv(b, 0, 9); // matches a's message too, but was posted after a
    t.onFrames!([first!.head]);
    const second = t.begin(frameOf(1, 9, ramp(1000, 2)));
    expect(second?.body.buffer).toBe(b.buffer);
    t.onFrames!([second!.head]);
    const status = new Status();
    await ra.wait(status);
    await rb.wait();
    expect(Array.from(a)).toEqual(Array.from(ramp(1000, 1)));
    expect(Array.from(b)).toEqual(Array.from(ramp(1000, 2)));
    expect(status.Get_count()).toBe(8000); // the elements, not the codec header (3 + varint 8000)
  });

  it('is not placed where the usual path has something to say: wrong type, too long, a probe, a lowercase recv', async () => {
    const { comm, t } = open(0);
    const longer = frameOf(0, 1, ramp(100));
    const short = comm.Irecv(new Float64Array(99), 0, 1);
    expect(t.begin(longer)).toBeUndefined();
    t.onFrames!([longer]);
    await expect(short.wait()).rejects.toMatchObject({ errorClass: ERR_TRUNCATE });

    const doubles = frameOf(1, 2, ramp(100));
    const ints = comm.Irecv(new Int32Array(200), 0, 2);
    expect(t.begin(doubles)).toBeUndefined();
    t.onFrames!([doubles]);
    await expect(ints.wait()).rejects.toMatchObject({ errorClass: ERR_TYPE });

    const value = frameOf(2, 3, ramp(100));
    const lower = comm.irecv(0, 3);
    expect(t.begin(value)).toBeUndefined();
    t.onFrames!([value]);
    expect(Array.from((await lower.wait()) as Float64Array)).toEqual(Array.from(ramp(100)));

    const probed = frameOf(3, 4, ramp(100));
    const probe = comm.probe(0, 4);
    const buffered = comm.Irecv(new Float64Array(100), 0, 4);
    expect(t.begin(probed)).toBeUndefined();
    t.onFrames!([probed]);
    expect((await probe).tag).toBe(4);
    await buffered.wait();
  });

  it('a receive bound to a message that never completes fails with the job', async () => {
    const { comm, endpoint, t } = open(0);
    const r = comm.Irecv(new Float64Array(1000), 0, 1);
    expect(t.begin(frameOf(0, 1, ramp(1000)))).toBeDefined();
    endpoint.failMismatch(new MPIError(ERR_OTHER, 'stop'));
    await expect(r.wait()).rejects.toThrow('stop');
  });
});
