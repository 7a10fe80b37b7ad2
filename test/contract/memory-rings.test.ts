// The default backend's transport as between worker threads: every frame through the shared-memory
// rings (1 KiB: chunked from 256 bytes on), so buffer receives also take frames placed straight in
// their buffers (`Transport.setPlacer`), amid everything else the contract does.
import { inProcessWorld } from '../helpers/in-process-world.js';
import { contractSuite } from './contract-suite.js';

contractSuite(inProcessWorld('memory-rings'));
