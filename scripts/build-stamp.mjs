// The fingerprint of what `npm run build` reads, kept in dist/ so that `prepare` can skip a build
// that is already there.
//
// `npm ci` runs `prepare`, which builds dist/. So does the first `npx tsmpi-cloud` in this folder:
// npx installs the folder into its own cache as a `file:` dependency and runs its `prepare`
// again, which rebuilt everything (~17 s, ~25 CPU-s, silently) before the README's first job ran.
//
//   node scripts/build-stamp.mjs write   after a build: record the fingerprint in dist/
//   node scripts/build-stamp.mjs check   exit 0 if dist/ holds the build of the sources as they
//                                        are now, else exit 1 (saying why)
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const STAMP = path.join(root, 'dist', '.build-inputs.sha256');
/** What the build reads: tsc's `include` (tsconfig.build.json), the bundlers and the lock file. */
const INPUT_DIRS = ['sdk', 'sim', 'infra', 'functions', 'scripts'];
const INPUT_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
/** Outputs a build always leaves; a stamp without them is stale. */
const OUTPUTS = [
  'dist/sdk/index.js',
  'dist/rank/launch/local/rank-worker.js',
  'dist/functions/rank/index.mjs',
  'dist/functions/sweeper/index.mjs',
];

/** Every file under `dir` (relative to the root), sorted, so the order never depends on the disk. */
function filesUnder(dir) {
  const out = [];
  const walk = (rel) => {
    for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = path.posix.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) out.push(child);
    }
  };
  if (existsSync(path.join(root, dir))) walk(dir);
  return out.sort();
}

function fingerprint() {
  const hash = createHash('sha256');
  for (const file of [
    ...INPUT_DIRS.flatMap(filesUnder),
    ...INPUT_FILES.filter((f) => existsSync(path.join(root, f))),
  ]) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(path.join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

const mode = process.argv[2];
if (mode === 'write') {
  writeFileSync(STAMP, `${fingerprint()}\n`);
} else if (mode === 'check') {
  const missing = OUTPUTS.find((f) => !existsSync(path.join(root, f)));
  const recorded = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : undefined;
  let why;
  if (recorded === undefined) why = 'no build yet';
  else if (missing !== undefined) why = `${missing} is missing`;
  else if (recorded !== fingerprint()) why = 'the sources changed since the last build';
  if (why !== undefined) {
    console.error(`tsmpi-cloud: building dist/ (${why})`);
    process.exit(1);
  }
  console.error(
    'tsmpi-cloud: dist/ is the build of these sources; skipping the build (`npm run build` forces one)',
  );
} else {
  console.error('Usage: node scripts/build-stamp.mjs write|check');
  process.exit(2);
}
