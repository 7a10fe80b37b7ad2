/**
 * The worker thread of one rank of a node (several ranks per rank-function invocation): see
 * `sdk/runtime/lambda/node-rank-worker.ts`. Bundled as `node-worker.mjs` next to the rank
 * function's `index.mjs`, which spawns it once per rank of the node.
 */
import * as jobApi from '../sdk/rank-entry.js';
import { runNodeRankWorker } from '../sdk/runtime/lambda/node-rank-worker.js';

// Job bundles carry inline source maps: stack traces then name the user's .ts file and line.
process.setSourceMapsEnabled(true);

await runNodeRankWorker(jobApi);
