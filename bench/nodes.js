// Several ranks per node (issue 12): queues, SQS requests per collective, hops on the critical
// path and modelled cost for K = 1, 2, 6, 8 ranks per node at 64 and 1,000 ranks; measured where
// this machine can run it (64 ranks against an in-process fauxqs), modelled everywhere; then the
// modelled start-up of 1,000 and 10,000 ranks on Lambda with K = 6.
//
//   npm run build && node bench/nodes.js [--no-measure] [--launcher]
//
// Measured: 64 ranks, all in this thread, K = 1 (one SqsTransport and queue per rank, as today)
// and K = 2, 6, 8 (nodes: shared-memory rings inside, one queue and one router per node); every
// collective called a few times after a warm-up, SQS calls of all ranks and routers counted
// (SendMessageBatch + ReceiveMessage + DeleteMessageBatch), divided by the calls. The ranks pick
// their algorithms as on the sqs backend (the cost model: `balanced`, the default; then `latency`
// and `cost`).
// `--launcher` also runs `run({ backend: 'sqs', ranksPerNode: 8 })` with 64 worker threads once
// and reports its queues and calls.
//
// Modelled: the cost model's pick (flat, or two levels where ranks share nodes) and its
// prediction with the default SQS profile (one CPU per rank, as on Lambda).
//
// Start-up: `planFanOut` (sdk/launch/lambda/fan-out-model.ts) over the nodes instead of the ranks,
// with Lambda's published scaling rate: "for each function, your concurrency scaling rate is
// 1,000 execution environment instances every 10 seconds", a function-level limit ("each
// function in your account can scale independently of other functions"),
// https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html ; default account
// concurrency 1,000, https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html .
// `functions` > 1 is the construct's `rankFunctionCopies`, spread as the launcher spreads it.
//
// Prints tables and writes bench/results/nodes.json. Figures, never assertions.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from 'fauxqs';
import { fromDist, helpIfAsked } from './help.js';

helpIfAsked(import.meta.url);
// The build is imported after `--help` is handled, so `--help` works before `npm run build`.
const { OPTIMIZE_VALUES } = await fromDist(import.meta.url, '../dist/sdk/collectives/choose.js');
const { SQS_PROFILE } = await fromDist(import.meta.url, '../dist/sdk/collectives/transport-profile.js');
const { modelPick } = await fromDist(import.meta.url, '../dist/sdk/collectives/two-level-model.js');
const { SUM } = await fromDist(import.meta.url, '../dist/sdk/index.js');
const { planFanOut } = await fromDist(import.meta.url, '../dist/sdk/launch/lambda/fan-out-model.js');
const { openRank } = await fromDist(import.meta.url, '../dist/sdk/runtime/run-rank.js');
const { NodePlan } = await fromDist(import.meta.url, '../dist/sdk/transport/node/node-plan.js');
const { createNodeFabrics, createSqsNodeRank, createSqsNodeRouter } = await fromDist(
  import.meta.url,
  '../dist/sdk/transport/node/sqs-nodes.js',
);
const { createJobQueues, createSqsClients, deleteJobQueues, SqsTransport } = await fromDist(
  import.meta.url,
  '../dist/sdk/transport/sqs/index.js',
);

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const MEASURE = !argv.includes('--no-measure');
const LAUNCHER = argv.includes('--launcher');
const KS = [1, 2, 6, 8];
const COLLECTIVES = ['bcast', 'reduce', 'allreduce', 'barrier'];
const OPS = {
  bcast: (c) => c.bcast(c.rank === 0 ? 42 : null, 0),
  reduce: (c) => c.reduce(c.rank, SUM, 0),
  allreduce: (c) => c.allreduce(c.rank, SUM),
  barrier: (c) => c.barrier(),
};
const out = { model: [], measured: [], launcher: null, startup: [] };

// ---------------------------------------------------------------- the model
/** What a rank's selection does (select-algorithm.ts): the model's pick over flat and two-level ways. */
function modelled(collective, size, k, optimize) {
  const shape = { collective, size, bytes: 8 };
  const plan = new NodePlan(size, k);
  const layout = k <= 1 || plan.nodes <= 1 ? undefined : { nodes: plan.nodes, perNode: plan.ranksPerNode };
  const p = modelPick(SQS_PROFILE, shape, layout, optimize);
  return { ...p, interHops: p.interHops ?? p.hops };
}

const f1 = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
console.log('Modelled (default SQS profile; per call; hops = all / across nodes):');
console.log(
  `${'ranks'.padStart(5)} ${'K'.padStart(2)} ${'queues'.padStart(6)}  ${'collective'.padEnd(9)} ${'optimize'.padEnd(8)} ${'requests'.padStart(8)} ${'hops'.padStart(5)} ${'ms'.padStart(6)} ${'µUSD'.padStart(7)}  algorithm`,
);
for (const size of [64, 1000]) {
  for (const k of KS) {
    const queues = new NodePlan(size, k).nodes;
    for (const collective of COLLECTIVES) {
      for (const optimize of OPTIMIZE_VALUES) {
        const p = modelled(collective, size, k, optimize);
        out.model.push({
          ranks: size,
          ranksPerNode: k,
          queues,
          collective,
          optimize,
          requests: p.requests,
          hops: p.hops,
          interHops: p.interHops,
          timeMs: p.timeMs,
          usd: p.usd,
          algorithm: p.label,
        });
        console.log(
          `${String(size).padStart(5)} ${String(k).padStart(2)} ${String(queues).padStart(6)}  ${collective.padEnd(9)} ${optimize.padEnd(8)} ${f1(p.requests).padStart(8)} ${`${p.hops}/${p.interHops}`.padStart(5)} ${f1(p.timeMs).padStart(6)} ${(p.usd * 1e6).toFixed(1).padStart(7)}  ${p.label}`,
        );
      }
    }
  }
}

// ---------------------------------------------------------------- measured (fauxqs)
async function measureWorld(fx, size, k, optimize) {
  const plan = new NodePlan(size, k);
  const jobId = `bn${process.pid}k${k}${optimize[0]}`;
  const { queueUrls } = await createJobQueues({
    client: fx.sqs,
    prefix: 'tsmpi-bench',
    jobId,
    size: plan.nodes,
  });
  const base = { sqs: fx.sqs, s3: fx.s3, bucket: fx.bucket, jobId, binaryAccounting: 'base64' };
  const routers = [];
  let transports;
  if (k === 1) {
    transports = queueUrls.map((_, rank) => new SqsTransport({ ...base, rank, size, queueUrls }));
  } else {
    const fabrics = createNodeFabrics(plan);
    const queues = { ...base, nodeUrls: queueUrls };
    for (let node = 0; node < plan.nodes; node++) {
      const r = createSqsNodeRouter({ node, plan, fabric: fabrics[node], queues });
      r.start((err) => console.error(err));
      routers.push(r);
    }
    transports = Array.from({ length: size }, (_, rank) =>
      createSqsNodeRank({ rank, plan, fabrics, queues }),
    );
  }
  const handles = transports.map((t) => openRank(t, undefined, { optimize }));
  const calls = () => {
    const by = {};
    for (const t of [...transports, ...routers])
      for (const [a, v] of Object.entries(t.stats().calls)) by[a] = (by[a] ?? 0) + v;
    return by;
  };
  const rows = [];
  try {
    for (const collective of COLLECTIVES) {
      const op = OPS[collective];
      await Promise.all(handles.map((h) => op(h.comm)));
      await Promise.all(handles.map((h) => h.comm.barrier()));
      const before = calls();
      const reps = 3;
      for (let i = 0; i < reps; i++) await Promise.all(handles.map((h) => op(h.comm)));
      const after = calls();
      const per = (a) => ((after[a] ?? 0) - (before[a] ?? 0)) / reps;
      const sends = per('SendMessageBatch');
      const receives = per('ReceiveMessage');
      const deletes = per('DeleteMessageBatch');
      rows.push({
        ranks: size,
        ranksPerNode: k,
        queues: plan.nodes,
        optimize,
        collective,
        sends,
        receives,
        deletes,
        requests: sends + receives + deletes,
      });
    }
  } finally {
    await Promise.all(handles.map((h) => h.endpoint.close()));
    await Promise.all(routers.map((r) => r.close()));
    await deleteJobQueues({ client: fx.sqs, queueUrls });
  }
  return rows;
}

if (MEASURE || LAUNCHER) {
  const app = buildApp({ logger: false });
  const endpoint = (await app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  const { sqs, s3 } = createSqsClients({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const fx = { sqs, s3, bucket: undefined };
  try {
    if (MEASURE) {
      console.log(
        '\nMeasured on fauxqs, 64 ranks in this thread (SQS requests per call: sends + receives + deletes):',
      );
      console.log(
        `${'K'.padStart(2)} ${'queues'.padStart(6)} ${'optimize'.padEnd(8)} ${'collective'.padEnd(9)} ${'sends'.padStart(6)} ${'recv'.padStart(6)} ${'del'.padStart(6)} ${'total'.padStart(7)}`,
      );
      for (const optimize of OPTIMIZE_VALUES) {
        for (const k of KS) {
          for (const r of await measureWorld({ ...fx, s3: undefined }, 64, k, optimize)) {
            out.measured.push(r);
            console.log(
              `${String(k).padStart(2)} ${String(r.queues).padStart(6)} ${optimize.padEnd(8)} ${r.collective.padEnd(9)} ${f1(r.sends).padStart(6)} ${f1(r.receives).padStart(6)} ${f1(r.deletes).padStart(6)} ${f1(r.requests).padStart(7)}`,
            );
          }
        }
      }
    }
    if (LAUNCHER) {
      const { run } = await import('../dist/sdk/index.js');
      const job = fileURLToPath(new URL('./jobs/allreduce-loop.mjs', import.meta.url));
      out.launcher = [];
      for (const ranksPerNode of [1, 8]) {
        const res = await run(job, {
          ranks: 64,
          backend: 'sqs',
          endpoint,
          ranksPerNode,
          args: { iters: 3 },
          onOutput: () => {},
        });
        const row = {
          ranks: 64,
          ranksPerNode,
          queues: res.stats.queues,
          calls: res.stats.calls,
          collectives: res.stats.collectives.map((c) => `${c.collective}: ${c.algorithm} x${c.calls}`),
        };
        out.launcher.push(row);
        console.log(
          `\nrun({ ranks: 64, backend: 'sqs', ranksPerNode: ${ranksPerNode} }), worker threads:`,
          JSON.stringify(row),
        );
      }
    }
  } finally {
    sqs.destroy();
    s3.destroy();
    await app.close();
  }
}

// ---------------------------------------------------------------- start-up on Lambda (model)
console.log(
  '\nModelled start-up on Lambda (planFanOut over invocations; scaling 1,000 environments / 10 s / function):',
);
console.log(
  `${'ranks'.padStart(6)} ${'K'.padStart(2)} ${'invocations'.padStart(11)} ${'account conc.'.padStart(13)} ${'functions'.padStart(9)} ${'all running'.padStart(11)}  fan-out`,
);
for (const ranks of [1000, 10000]) {
  for (const k of [1, 6]) {
    const n = Math.ceil(ranks / k);
    for (const [label, conc] of [
      ['default 1,000', 1000],
      ['raised', Math.max(1000, n)],
    ]) {
      // Spreading over copies of the rank function (`rankFunctionCopies`, each with its own
      // 1,000-per-10-s scaling): planFanOut spreads as the launcher does (round-robin over the
      // launcher's invocations; tree heads a multiple of the copies, each subtree on its head's copy).
      for (const functions of [1, Math.ceil(n / 1000)]) {
        const fits = n <= conc;
        const plan = planFanOut(n, { accountConcurrency: conc, functions });
        const chosen = plan.strategy === 'tree' ? plan.tree : plan.client;
        const allMs = fits ? chosen.allStartedMs : Number.POSITIVE_INFINITY;
        const row = {
          ranks,
          ranksPerNode: k,
          invocations: n,
          accountConcurrency: conc,
          concurrencySetting: label,
          functions,
          allStartedMs: allMs,
          strategy: plan.strategy,
          heads: plan.heads,
        };
        if (
          out.startup.some(
            (r) =>
              r.ranks === ranks &&
              r.ranksPerNode === k &&
              r.accountConcurrency === conc &&
              r.functions === functions,
          )
        )
          continue;
        out.startup.push(row);
        console.log(
          `${String(ranks).padStart(6)} ${String(k).padStart(2)} ${String(n).padStart(11)} ${`${conc}`.padStart(13)} ${String(functions).padStart(9)} ${(fits ? `${(allMs / 1000).toFixed(2)} s` : 'cannot').padStart(11)}  ${fits ? `${plan.strategy}${plan.heads ? ` (${plan.heads} heads)` : ''}` : `needs ${n} concurrent executions`}`,
        );
      }
    }
  }
}

const file = join(here, 'results', 'nodes.json');
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`\nwrote ${file}`);
