// The contract suite over SQS with several ranks per node (fauxqs, faulty deliveries): shared
// memory inside a node, one queue per node between nodes. K = 1 is contract-over-sqs.test.ts.
// Sizes: K = 3 at 4 (a full node and a node of one) and 7 (three nodes, the last of one);
// K = 8 at 3 (one node: no queue traffic, the router idle), 9 (a node of one) and 17 (three nodes, the last
// uneven); roots first, middle and last, as sqsWorld (each job creates queues and every
// cross-node hop is an HTTP round trip, so the full matrix would take minutes).
import { contractSuite } from '../../contract/contract-suite.js';
import { useFauxqs } from '../../helpers/fauxqs.js';
import { sqsNodeWorld } from '../../helpers/sqs-node-world.js';

const fx = useFauxqs({ bucket: 'tsmpi-contract-nodes' });

contractSuite(sqsNodeWorld(fx, 3, [4, 7]));
contractSuite(sqsNodeWorld(fx, 8, [3, 9, 17]));
