import { describe, expect, it, vi } from 'vitest';
import { defineJob } from '../../../sdk/jobs/define-job.js';
import { openRank, runRank } from '../../../sdk/runtime/run-rank.js';
import { createLoopbackTransports } from '../../../sdk/transport/loopback/loopback-transport.js';

describe('runRank', () => {
  it("tells onFailure of the job's error before the endpoint closes (peers would read a closed rank as returned)", async () => {
    const [t] = createLoopbackTransports(1);
    const handle = openRank(t!);
    const order: string[] = [];
    const close = handle.endpoint.close.bind(handle.endpoint);
    vi.spyOn(handle.endpoint, 'close').mockImplementation(() => {
      order.push('close');
      return close();
    });
    const boom = new Error('boom');
    const job = defineJob(async () => {
      throw boom;
    });
    await expect(
      runRank(handle, job, {}, (err) => order.push(`failure: ${(err as Error).message}`)),
    ).rejects.toBe(boom);
    expect(order).toEqual(['failure: boom', 'close']);
  });

  it('does not call onFailure for a job that returns', async () => {
    const [t] = createLoopbackTransports(1);
    const onFailure = vi.fn();
    const out = await runRank(
      openRank(t!),
      defineJob(async (comm) => comm.size),
      {},
      onFailure,
    );
    expect(out.value).toBe(1);
    expect(onFailure).not.toHaveBeenCalled();
  });
});
