import { describe, expect, it } from 'vitest';
import { handleInterrupts } from '../../../sdk/cli/interrupts.js';

describe('handleInterrupts', () => {
  it('says what stopping cleans up: the cloud backends delete queues and objects, local threads have none', () => {
    for (const [cleanup, says] of [
      [undefined, "stopping all ranks and deleting the job's queues and objects..."],
      ['', 'stopping all ranks...'],
    ] as const) {
      const err: string[] = [];
      let stops = 0;
      const i = handleInterrupts({
        stderr: (t) => err.push(t),
        stop: () => stops++,
        ...(cleanup === undefined ? {} : { cleanup }),
      });
      try {
        process.emit('SIGINT');
      } finally {
        i.dispose();
      }
      expect(err.join('')).toBe(`\ntsmpi-cloud: interrupted (SIGINT), ${says}\n`);
      expect(stops).toBe(1);
      expect(i.exitStatus).toBe(130);
    }
  });
});
