/**
 * The contract suite: every test of the public messaging contract, written once and run over
 * every transport by one small entry file each (`test/contract/<transport>.test.ts`, and
 * `test/integration/sqs/contract-over-sqs.test.ts` for SQS, which needs its emulator).
 *
 * To add a test to every transport, add an `it` to the suite file of its topic in `suites/`,
 * written against the `world` it receives (`world.run`, `world.sizes`, `eachRoot`); for a new
 * topic, add a file there exporting `fooContract(world)` and list it in SUITES below. Sweep sizes
 * with `world.sizes` and roots with `eachRoot` (not fixed lists), so a slow transport can run a
 * subset; gate only very large matrices on `world.exhaustive`.
 */
import { describe } from 'vitest';
import type { ContractWorld } from './contract-world.js';
import { bufferCollectivesContract } from './suites/buffer-collectives.js';
import { collectiveAlgorithmsContract } from './suites/collective-algorithms.js';
import { collectivesContract } from './suites/collectives.js';
import { communicatorsContract } from './suites/communicators.js';
import { oraclePropertiesContract } from './suites/oracle-properties.js';
import { pointToPointContract } from './suites/point-to-point.js';

const SUITES: ((world: ContractWorld) => void)[] = [
  pointToPointContract,
  communicatorsContract,
  collectivesContract,
  collectiveAlgorithmsContract,
  oraclePropertiesContract,
  bufferCollectivesContract,
];

/** Registers the whole contract suite over `world`, in a `describe` named after its transport. */
export function contractSuite(world: ContractWorld): void {
  describe(`the contract over the ${world.name} transport`, () => {
    for (const suite of SUITES) suite(world);
  });
}
