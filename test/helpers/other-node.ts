/**
 * TEST-ONLY: the second Node major the tests run code under (the Lambda runtime's, 24): where
 * `TSMPI_OTHER_NODE` points, else where `.ci/run` installs it (node@24 from the npm registry).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OTHER_NODE =
  process.env.TSMPI_OTHER_NODE ?? join(tmpdir(), 'tsmpi-node24/node_modules/.bin/node');
