// Side by side with real MPI (issue 10): each measure run for us and for each MPI peer in
// alternation, in one run, repeated; prints ours, the peer's, the ratio of medians and the spread
// of the per-repetition ratios, and writes bench/results/peers.json.
//
//   npm run build && node bench/peers/peers.js [--reps 3] [--only coll,pingpong,hello,pi,idle,scale]
//     [--full] [--scale-ranks 256,1024] [--scale-timeout 900]   (scale: ~11 MiB per rank, so 1,024 ranks need ~12 GiB free)
//     [--node PATH]   (our side and its floors on another Node, e.g. 24 as Lambda runs it; default: this one)
//
// Floors (ours alone, same moment): exchange-floor.js under the 2-rank collectives, floor.js under
// ping-pong, bare-workers.js under hello. Bounds: at 2 ranks ours with V8's optimizing compiler off
// and in steady state; at 8 and 64 ranks both sides in steady state ("steady:" rows, with ratios)
// and the CPU time of V8's optimizing compiler in a run of ours (--trace-opt).
//
// Peers: mpi4py (Debian's python3-mpi4py, built against Open MPI) under `mpiexec.openmpi
// --oversubscribe`, and the same script under `mpiexec.mpich` when mpi4py really runs there with
// more than one rank (Debian's does not: each process is an Open MPI singleton). A peer that is
// absent is skipped with a line that says why. Machines are noisy (this one has 2 shared cores):
// read the spread before the ratio.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const CLI = here('../../bin/tsmpi-cloud.js');
const PY = '/usr/bin/python3';
const PEER_SCRIPT = here('./mpi4py_peer.py');
const MEASURE = here('./measure.py');

const USAGE = `Usage: node bench/peers/peers.js [options]   (after npm run build)

Runs each measure of issue 10 for tsmpi-cloud and for mpi4py over Open MPI, alternating, and
prints ours, theirs and the ratio; writes bench/results/peers.json. The default measures take
about 2 minutes per repetition on 2 cores (a quarter of it the peer's 64-rank steady state).

Options:
  --reps N              repetitions of every measure (default 3)
  --only LIST           comma-separated: coll,pingpong,hello,pi,idle,scale
                        (default coll,pingpong,hello,pi,idle)
  --full                64-rank collectives over 1,000 calls instead of 200
  --scale-ranks LIST    rank counts of the scale runs (default 256,1024; ~11 MiB per rank)
  --scale-timeout S     seconds before a scale run is stopped (default 900)
  --node PATH           the Node that runs our side and its floors (default: this one)
  -h, --help            this text`;
const argv = process.argv.slice(2);
const VALUED = new Set(['--reps', '--only', '--scale-ranks', '--scale-timeout', '--node']);
const FLAGS = new Set(['--full']);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (FLAGS.has(a)) continue;
  if (VALUED.has(a) && i + 1 < argv.length) {
    i++;
    continue;
  }
  console.error(
    VALUED.has(a)
      ? `peers.js: ${a} needs a value\n\n${USAGE}`
      : `peers.js: unknown argument \`${a}\`\n\n${USAGE}`,
  );
  process.exit(2);
}
const flag = (name) => argv.includes(`--${name}`);
const option = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const REPS = Number(option('reps', 3));
if (!Number.isInteger(REPS) || REPS < 1) {
  console.error(`peers.js: --reps must be a positive integer, got \`${option('reps')}\``);
  process.exit(2);
}
const MEASURES = new Set(['coll', 'pingpong', 'hello', 'pi', 'idle', 'scale']);
const ONLY = option('only', 'coll,pingpong,hello,pi,idle').split(',');
for (const m of ONLY) {
  if (!MEASURES.has(m)) {
    console.error(`peers.js: --only takes ${[...MEASURES].join(', ')}; got \`${m}\``);
    process.exit(2);
  }
}
const FULL = flag('full');
/** The Node that runs our side (the CLI, the floors). */
const NODE = option('node', process.execPath);

/** Collective runs: [ranks, iterations, warm-up]. The issue's measure is 1,000 after 100. */
const COLL = [
  [2, 1000, 100],
  [8, 1000, 100],
  [64, FULL ? 1000 : 200, 100],
];
/** Ping-pong plan, in this order (it decides the heap's state for the 1 MiB rounds). */
const PLAN = [
  ['object', 8, 5000],
  ['buffer', 8, 5000],
  ['object', 1024, 5000],
  ['buffer', 1024, 5000],
  ['object', 65536, 500],
  ['buffer', 65536, 1000],
  ['buffer', 1048576, 100], // cold: right after the 64 KiB round
  ['object', 1048576, 20],
  ['buffer', 1048576, 100], // warm: after 1 MiB of objects
];
const PLAN_NAMES = [
  '8 B object',
  '8 B buffer',
  '1 KiB object',
  '1 KiB buffer',
  '64 KiB object',
  '64 KiB buffer',
  '1 MiB buffer, cold heap',
  '1 MiB object',
  '1 MiB buffer, warm heap',
];

const ompiEnv = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' };
const which = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();

function sh(cmd, args, env = process.env, timeoutMs = 600_000) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || '').slice(-800)}`,
    );
  }
  return r.stdout;
}
const lastJson = (out) =>
  JSON.parse(
    out
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{') || l.startsWith('['))
      .pop(),
  );

// ------------------------------------------------------------------ peers

function detectPeers() {
  const peers = [];
  const skipped = [];
  const hasPy =
    existsSync(PY) && spawnSync(PY, ['-c', 'import mpi4py, numpy'], { encoding: 'utf8' }).status === 0;
  const candidates = [
    {
      name: 'Open MPI',
      launcher: 'mpiexec.openmpi',
      pre: ['--oversubscribe'],
      env: ompiEnv,
      pkg: 'openmpi-bin',
    },
    { name: 'MPICH', launcher: 'mpiexec.mpich', pre: [], env: process.env, pkg: 'mpich' },
  ];
  for (const c of candidates) {
    if (!hasPy) {
      skipped.push(
        `${c.name}: skipped, ${PY} cannot import mpi4py and numpy (apt-get install python3-mpi4py python3-numpy)`,
      );
      continue;
    }
    if (!which(c.launcher)) {
      skipped.push(`${c.name}: skipped, ${c.launcher} is not installed (apt-get install ${c.pkg})`);
      continue;
    }
    const peer = {
      ...c,
      run: (n, args) => [c.launcher, [...c.pre, '-n', String(n), PY, PEER_SCRIPT, ...args]],
    };
    let probe;
    try {
      // Singletons all print as rank 0, possibly on one line: read the first answer only.
      const out = sh(...peer.run(2, ['size']), c.env, 60_000);
      probe = {
        size: Number(/"size": (\d+)/.exec(out)?.[1]),
        library: /"library": "([^"\\]*)/.exec(out)?.[1],
      };
    } catch (err) {
      skipped.push(
        `${c.name}: skipped, a 2-rank mpi4py run under ${c.launcher} failed: ${err.message.slice(0, 200)}`,
      );
      continue;
    }
    if (probe.size !== 2) {
      skipped.push(
        `${c.name}: skipped, mpi4py under ${c.launcher} -n 2 sees a world of ${probe.size} (${probe.library}): ` +
          'this mpi4py is built against another MPI, so each process runs as a singleton',
      );
      continue;
    }
    peer.library = probe.library;
    peers.push(peer);
  }
  return { peers, skipped };
}

// ------------------------------------------------------------------ ours

/** The arguments of `node` that run `job` through our CLI on `ranks` ranks, printing JSON. */
const ourRun = (job, ranks, jobArgs = [], nodeArgs = []) => [
  ...nodeArgs,
  CLI,
  'run',
  job,
  '--ranks',
  String(ranks),
  '--json',
  '--',
  ...jobArgs,
];

function ours(job, ranks, jobArgs = [], nodeArgs = []) {
  const r = lastJson(sh(NODE, ourRun(job, ranks, jobArgs, nodeArgs)));
  if (!r.ok) throw new Error(`our ${job} on ${ranks} ranks failed: ${JSON.stringify(r.error)}`);
  return r.result;
}

/**
 * Milliseconds V8's optimizing compiler worked (all phases, every thread) during our run of `job`:
 * the sum of the `took a, b, c ms` of each `--trace-opt` completion line.
 */
function compileMs(job, ranks, jobArgs) {
  // The exit status says whether the job ran (trace lines from compile threads may interleave
  // with the JSON line, so it is not parsed).
  const out = sh(NODE, ourRun(job, ranks, jobArgs, ['--trace-opt']));
  let ms = 0;
  for (const m of out.matchAll(/\[completed compiling[^\]]*took ([\d.]+), ([\d.]+), ([\d.]+) ms\]/g))
    ms += Number(m[1]) + Number(m[2]) + Number(m[3]);
  return ms;
}

/** The collective-latency job and its arguments: `iters` timed calls after `warmup`. */
const LATENCY_JOB = here('../jobs/collective-latency.mjs');
const latencyArgs = (iters, warmup) => ['--iters', String(iters), '--warmup', String(warmup)];

function measured(cmd, args, env = process.env) {
  const m = lastJson(sh(PY, [MEASURE, cmd, ...args], env));
  if (m.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${m.status}: ${m.stderrTail}`);
  return m;
}

// ------------------------------------------------------------------ measures

/** Each group: one run per side gives several metrics { name: value }. */
function groups(peer) {
  const g = [];
  if (ONLY.includes('coll')) {
    for (const [ranks, iters, warmup] of COLL) {
      const label = (op) => `${op} ${ranks} ranks (µs, ${warmup}+${iters} calls)`;
      const pick = (r) =>
        Object.fromEntries(['allreduce', 'bcast', 'reduce', 'barrier'].map((op) => [label(op), r[op] * 1e6]));
      // Steady state at 8 and 64 ranks (no target: it shows what the short measure's miss is made of).
      const [sw, si] = ranks === 8 ? [1000, 10000] : [300, 3000];
      const pickSteady = (r) =>
        Object.fromEntries(
          ['allreduce', 'bcast', 'reduce', 'barrier'].map((op) => [
            `steady: ${op} ${ranks} ranks (µs, ${sw}+${si} calls)`,
            r[op] * 1e6,
          ]),
        );
      g.push({
        name: `collectives ${ranks}`,
        ours: () => {
          const got = pick(ours(LATENCY_JOB, ranks, latencyArgs(iters, warmup)));
          // What bounds the 8- and 64-rank rows: both sides in steady state (the same calls after
          // a long warm-up), and the CPU time V8's optimizing compiler spent in a run of our job
          // as measured above (start-up included), summed over threads (from --trace-opt).
          if (ranks !== 2) {
            const steady = ours(LATENCY_JOB, ranks, latencyArgs(si, sw));
            Object.assign(got, pickSteady(steady));
            got[
              `bound: optimizing-compile CPU in our ${ranks}-rank run (ms, all threads, start-up included)`
            ] = compileMs(LATENCY_JOB, ranks, latencyArgs(iters, warmup));
            return got;
          }
          // What bounds the 2-rank rows: the same job with V8's optimizing compiler off (its
          // compiles compete with two spinning ranks for 2 cores in the first ~2,000 calls), and
          // ours in steady state.
          const noOpt = ours(LATENCY_JOB, 2, latencyArgs(iters, warmup), ['--no-opt']);
          const steady = ours(LATENCY_JOB, 2, latencyArgs(20000, 1000));
          for (const op of ['allreduce', 'bcast', 'reduce', 'barrier']) {
            got[`bound: ${op} 2 ranks, V8's optimizing compiler off (--no-opt; µs, ${warmup}+${iters})`] =
              noOpt[op] * 1e6;
            got[`bound: ${op} 2 ranks, ours steady (µs, 1000+20000)`] = steady[op] * 1e6;
          }
          // The floor at 2 ranks, same moment, same load: two bare threads exchanging one Int32
          // per call through shared memory, timed the same way (see exchange-floor.js).
          const all = lastJson(sh(NODE, [here('./exchange-floor.js'), ...latencyArgs(iters, warmup)]));
          const floor = all.exchange;
          // ...and under ping-pong: one copy in and one out through shared memory, busy-polling.
          for (const [k, v] of Object.entries(all.copy))
            got[`floor: ping-pong through shared memory, ${k} (µs one-way)`] = v;
          for (const mode of ['spin', 'spin+await', 'wait', 'waitAsync']) {
            got[`floor: 2 bare threads, one exchange per call, ${mode} (µs, ${warmup}+${iters})`] =
              floor[`${mode} (${warmup}+${iters})`];
            got[`floor: the same, ${mode}, steady (µs, 1000+20000)`] = floor[`${mode} (steady, 1000+20000)`];
          }
          return got;
        },
        peer: () => {
          const got = pick(
            lastJson(sh(...peer.run(ranks, ['coll', String(iters), String(warmup)]), peer.env)),
          );
          if (ranks === 2) return got;
          const steady = lastJson(sh(...peer.run(ranks, ['coll', String(si), String(sw)]), peer.env));
          return Object.assign(got, pickSteady(steady));
        },
      });
    }
  }
  if (ONLY.includes('pingpong')) {
    const pick = (rows) =>
      Object.fromEntries(rows.map((r, i) => [`ping-pong ${PLAN_NAMES[i]} (µs one-way)`, r.oneWay * 1e6]));
    g.push({
      name: 'ping-pong',
      ours: () => {
        // The floor: bare worker threads hopping through shared memory, same moment, same load.
        const floor = lastJson(sh(NODE, [here('./floor.js')]));
        return {
          ...pick(ours(here('../jobs/ping-pong-plan.mjs'), 2, ['--plan', JSON.stringify(PLAN)])),
          'floor: bare threads, one Int32 hop, busy-poll (µs)': floor.spin,
          'floor: bare threads, one Int32 hop, Atomics.wait (µs)': floor.wait,
          'floor: bare threads, one Int32 hop, Atomics.waitAsync (µs)': floor.waitAsync,
        };
      },
      peer: () => pick(lastJson(sh(...peer.run(2, ['pingpong', JSON.stringify(PLAN)]), peer.env))),
    });
  }
  if (ONLY.includes('hello')) {
    const pick = (m) => ({
      'run hello --ranks 64: wall (s)': m.wall,
      'run hello --ranks 64: CPU (s)': m.cpu,
      'run hello --ranks 64: peak RSS (MiB, peer: one process)': m.maxRssKiB / 1024,
    });
    g.push({
      name: 'hello 64',
      ours: () => {
        // The floor, same moment, same load: 64 worker threads that load nothing.
        const floor = measured(NODE, [here('./bare-workers.js'), '64']);
        return {
          ...pick(measured(NODE, [CLI, 'run', 'hello', '--ranks', '64'])),
          'floor: 64 bare worker threads, whole command: wall (s)': floor.wall,
          'floor: 64 bare worker threads: CPU (s)': floor.cpu,
          'floor: 64 bare worker threads: peak RSS (MiB)': floor.maxRssKiB / 1024,
        };
      },
      peer: () => pick(measured(...flat(peer.run(64, ['hello'])), peer.env)),
    });
  }
  if (ONLY.includes('pi')) {
    const pick = (m) => ({
      'run pi --ranks 2 -- --samples 1e8: wall (s)': m.wall,
      'run pi ... 1e8: CPU (s)': m.cpu,
    });
    g.push({
      name: 'pi 2',
      ours: () => pick(measured(NODE, [CLI, 'run', 'pi', '--ranks', '2', '--', '--samples', '1e8'])),
      peer: () => pick(measured(...flat(peer.run(2, ['pi', '1e8'])), peer.env)),
    });
  }
  return g;
}
const flat = ([cmd, args]) => [cmd, args];

/** Absolute targets (ours alone) and ratio targets (ours / peer), by metric name prefix. */
const TARGETS = [
  [/^(allreduce|bcast|reduce|barrier) 2 ranks/, { ratio: 2 }],
  [/^(allreduce|bcast|reduce|barrier) (8|64) ranks/, { ratio: 1 }],
  [/^ping-pong/, { ratio: 2 }],
  [/hello --ranks 64: wall/, { ratio: 0.25, abs: 1.5 }],
  [/hello --ranks 64: CPU/, { abs: 3 }],
  [/hello --ranks 64: peak RSS/, { abs: 600 }],
  [/pi --ranks 2 -- --samples 1e8: wall/, { ratio: 0.4 }],
  [/^idle/, { abs: 0.1 }],
];
const targetOf = (name) => TARGETS.find(([re]) => re.test(name))?.[1];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x) =>
  x === undefined
    ? ''
    : x >= 100
      ? x.toFixed(0)
      : x >= 10
        ? x.toFixed(1)
        : x >= 1
          ? x.toFixed(2)
          : x.toPrecision(2);

async function main() {
  const loadBefore = loadavg()[0];
  const nodeVersion = sh(NODE, ['--version']).trim();
  console.log(`ours on Node ${nodeVersion} (${NODE})`);
  const { peers, skipped } = detectPeers();
  for (const line of skipped) console.log(line);
  if (peers.length === 0) console.log('no MPI peer available: measuring ours alone');
  // samples[metric] = { ours: [...], [peer]: [...], ratios: { [peer]: [...] } }
  const samples = {};
  const add = (metric, side, v) => {
    samples[metric] ??= { ours: [] };
    (samples[metric][side] ??= []).push(v);
  };
  const sides = peers.length > 0 ? peers : [null];
  for (let rep = 0; rep < REPS; rep++) {
    for (const peer of sides) {
      const gs = groups(
        peer ?? {
          run: () => {
            throw new Error('no peer');
          },
        },
      );
      for (const grp of gs) {
        // Alternate who goes first, so a drift in the machine's load hits both sides alike.
        const order = rep % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours'];
        const got = {};
        for (const side of order) {
          if (side === 'peer' && peer === null) continue;
          // Ours is measured once per repetition even with two peers.
          if (side === 'ours' && peer !== sides[0]) continue;
          process.stderr.write(
            `rep ${rep + 1}/${REPS} ${grp.name}: ${side === 'ours' ? 'tsmpi-cloud' : peer.name}\n`,
          );
          got[side] = grp[side]();
        }
        for (const [m, v] of Object.entries(got.ours ?? {})) add(m, 'ours', v);
        for (const [m, v] of Object.entries(got.peer ?? {})) add(m, peer.name, v);
      }
    }
  }
  if (ONLY.includes('idle')) {
    for (let rep = 0; rep < REPS; rep++) {
      const r = ours(here('../jobs/idle-barrier.mjs'), 64, ['--seconds', '1']);
      add(`idle: CPU-s of ${r.waiting} ranks waiting 1 s in a barrier`, 'ours', r.settled.cpu);
      add(`(same, the first second after start-up, V8's start-up work included)`, 'ours', r.afterStart.cpu);
    }
  }
  const scale = [];
  if (ONLY.includes('scale')) {
    for (const ranks of option('scale-ranks', '256,1024').split(',').map(Number)) {
      for (const job of [['hello'], ['pi']]) {
        // A run that outlives --scale-timeout (s) is killed and reported, not fatal: the other
        // sizes still print (the launcher is killed too, so no orphaned job keeps the machine busy).
        const limit = Number(option('scale-timeout', 900));
        const m = lastJson(
          sh(
            PY,
            [MEASURE, NODE, CLI, 'run', ...job, '--ranks', String(ranks)],
            {
              ...process.env,
              MEASURE_TIMEOUT_S: String(limit),
            },
            (limit + 60) * 1000,
          ),
        );
        process.stderr.write(
          `scale ${job[0]} ${ranks}: ${m.timedOut ? `killed after ${limit} s` : `${m.wall.toFixed(1)} s`}\n`,
        );
        scale.push({
          job: job[0],
          ranks,
          'wall s': +m.wall.toFixed(2),
          'CPU s': +m.cpu.toFixed(2),
          'peak RSS MiB': Math.round(m.maxRssKiB / 1024),
          ok: m.status === 0,
          ...(m.timedOut ? { 'timed out': true } : {}),
        });
      }
    }
  }

  const rows = [];
  for (const [metric, s] of Object.entries(samples)) {
    const t = targetOf(metric);
    const row = { measure: metric, ours: fmt(median(s.ours)) };
    for (const p of peers) {
      const ps = s[p.name];
      if (ps === undefined) continue;
      const ratios = s.ours.map((o, i) => o / ps[i]);
      const ratio = median(s.ours) / median(ps);
      row[p.name] = fmt(median(ps));
      row[`ratio vs ${p.name}`] = fmt(ratio);
      row.spread = `${fmt(Math.min(...ratios))}–${fmt(Math.max(...ratios))}`;
      s.ratio = { ...(s.ratio ?? {}), [p.name]: { median: ratio, perRep: ratios } };
    }
    if (t) {
      // Without a peer a ratio target is unknown, not met: only an absolute bound can fail alone.
      const ratioKnown = t.ratio === undefined || peers.length > 0;
      const okRatio =
        t.ratio === undefined || (ratioKnown && peers.every((p) => s.ratio?.[p.name]?.median <= t.ratio));
      const okAbs = t.abs === undefined || median(s.ours) <= t.abs;
      row.target = [t.ratio !== undefined ? `≤${t.ratio}×` : '', t.abs !== undefined ? `≤${t.abs}` : '']
        .filter(Boolean)
        .join(', ');
      row.met = !okAbs ? 'NO' : !ratioKnown ? 'no peer' : okRatio ? 'yes' : 'NO';
    }
    rows.push(row);
  }
  console.log(
    `\nSide by side, ${REPS} repetitions alternating (medians; spread = min–max of per-repetition ratios)`,
  );
  console.table(rows);
  if (scale.length > 0) {
    console.log('\nScale (ours alone)');
    console.table(scale);
  }
  const out = {
    benchmark: 'peers',
    date: new Date().toISOString(),
    node: nodeVersion,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    loadAverage1m: { before: loadBefore, after: loadavg()[0] },
    reps: REPS,
    peers: peers.map((p) => ({ name: p.name, launcher: p.launcher, library: p.library })),
    skipped,
    samples,
    rows,
    scale,
  };
  mkdirSync(here('../results'), { recursive: true });
  writeFileSync(here('../results/peers.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(
    `\nload average (1 min) ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after; wrote bench/results/peers.json`,
  );
}

await main();
