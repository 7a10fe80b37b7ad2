// Loopback behind a FaultyTransport that duplicates, reorders and delays frames, as SQS may.
import { inProcessWorld } from '../helpers/in-process-world.js';
import { contractSuite } from './contract-suite.js';

contractSuite(inProcessWorld('faulty'));
