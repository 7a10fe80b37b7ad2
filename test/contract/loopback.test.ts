// Frames handed over on a microtask, in order: the contract at its simplest.
import { inProcessWorld } from '../helpers/in-process-world.js';
import { contractSuite } from './contract-suite.js';

contractSuite(inProcessWorld('loopback'));
