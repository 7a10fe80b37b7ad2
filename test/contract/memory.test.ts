// The default backend's transport: shared-memory rings (all ranks in this thread).
import { inProcessWorld } from '../helpers/in-process-world.js';
import { contractSuite } from './contract-suite.js';

contractSuite(inProcessWorld('memory'));
