// The buffer-collective contract over the in-process transports (until the contract suite runs
// every topic over every transport: then it is listed there).
import { describe } from 'vitest';
import { runWorld, type TransportKind, WORLD_SIZES } from '../helpers/in-process-world.js';
import { bufferCollectivesContract } from './buffer-collectives-suite.js';

for (const transport of ['loopback', 'faulty'] as TransportKind[]) {
  describe(`over the ${transport} transport`, () =>
    bufferCollectivesContract({
      name: transport,
      sizes: WORLD_SIZES,
      roots: (size) => Array.from({ length: size }, (_, r) => r),
      exhaustive: true,
      run: (size, fn, options = {}) => runWorld(size, fn, { ...options, transport }),
    }));
}
