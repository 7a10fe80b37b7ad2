import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeValue } from '../base/describe-value.js';
import { didYouMean } from '../base/did-you-mean.js';
import { UsageError } from '../base/errors.js';
import { BUILTIN_JOBS, builtinJobUrl } from '../jobs/registry.js';
import { rankBundleUrl } from './rank-bundle.js';

/** A job ready to be imported by ranks. */
export interface ResolvedJob {
  /** What the user asked for: a built-in name or a path. */
  name: string;
  kind: 'builtin' | 'file';
  /** URL the ranks import. */
  url: string;
  /** For files: the bundled code (what the aws backend uploads). */
  bundlePath?: string;
  /** Content hash of the bundle (files) or the name (built-ins). */
  hash: string;
  /** Removes temporary files. */
  dispose(): void;
}

const JOB_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '.cts', '.cjs'];

/**
 * esbuild, loaded with `require`: it is a CommonJS package, and `import()` of one makes Node scan
 * its whole source for export names first (cjs-module-lexer), which measured 32-45 ms and 45-65
 * ms of CPU against 15-19 ms, and left V8 compiling the scanner's loop in the background (8
 * optimizing compiles, ~80 ms of CPU) while the job's ranks start.
 */
export function loadEsbuild(): typeof import('esbuild') {
  return createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
}

/** The URL of this package's root entry: job bundles import it, so they share the runtime's module instance. */
export function sdkEntryUrl(): string {
  return rankBundleUrl('index.js') ?? new URL('../index.js', import.meta.url).href;
}

function looksLikePath(job: string): boolean {
  return job.includes('/') || job.includes('\\') || JOB_EXTENSIONS.some((e) => job.endsWith(e));
}

/**
 * For a job file that does not exist: the job file beside it the user probably meant (`a` for
 * `a.ts`, `abrot.ts` for `abort.ts`), as `; did you mean ...?`, or a hint to check the path.
 */
function nearbyJobFile(file: string, cwd: string): string {
  const dir = path.dirname(file);
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => JOB_EXTENSIONS.includes(path.extname(f)) && !f.endsWith('.d.ts'));
  } catch {
    return `: its folder ${dir} does not exist either; check the path (relative paths start from ${cwd})`;
  }
  const base = path.basename(file);
  const withExt = names.find((f) => path.parse(f).name === base);
  const close = withExt ?? didYouMean(base, names);
  return close === undefined
    ? `: check the path (relative paths start from ${cwd})`
    : `; did you mean ${path.join(dir, close)}?`;
}

/**
 * Turns `pi`, `./my-job.ts` or `file:///...` into something ranks can import. Job files are bundled
 * with esbuild (TypeScript needs no build step from the user); `import ... from 'tsmpi-cloud'` is
 * left pointing at this very runtime. Bad input becomes a UsageError that says what to do.
 */
export async function resolveJob(job: string | URL, options: { cwd?: string } = {}): Promise<ResolvedJob> {
  if (job instanceof URL) job = job.href;
  if (typeof job !== 'string' || job.length === 0) {
    throw new UsageError(
      `Expected a job: a built-in name (${Object.keys(BUILTIN_JOBS).join(', ')}) or a file path, got ${job === '' ? 'an empty name' : describeValue(job)}`,
    );
  }
  const builtin = builtinJobUrl(job);
  if (builtin !== undefined) {
    const url = rankBundleUrl(path.posix.join('jobs', BUILTIN_JOBS[job]!.module)) ?? builtin;
    return { name: job, kind: 'builtin', url, hash: `builtin:${job}`, dispose() {} };
  }

  let file: string;
  if (job.startsWith('file:')) file = fileURLToPath(job);
  else if (/^[a-z]+:\/\//i.test(job)) {
    throw new UsageError(`job ${job}: only file: URLs are supported; download the job and pass its path`);
  } else if (looksLikePath(job)) file = path.resolve(options.cwd ?? process.cwd(), job);
  else {
    throw new UsageError(
      `unknown job \`${job}\`: built-in jobs are ${Object.keys(BUILTIN_JOBS).join(', ')} (see \`tsmpi-cloud list\`), or pass a path to a .ts/.js file`,
    );
  }
  if (existsSync(file) && statSync(file).isDirectory()) {
    const files = readdirSync(file).filter(
      (f) => JOB_EXTENSIONS.includes(path.extname(f)) && !f.endsWith('.d.ts'),
    );
    const shown = files.slice(0, 4).map((f) => path.join(job, f));
    throw new UsageError(
      `job ${job} is a directory, not a job file: pass the file whose default export is defineJob(...)${
        shown.length === 0
          ? ` (it holds no ${JOB_EXTENSIONS.join('/')} file)`
          : `, e.g. ${shown.join(', ')}${files.length > shown.length ? ', ...' : ''}`
      }`,
    );
  }
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new UsageError(`job file not found: ${file}${nearbyJobFile(file, options.cwd ?? process.cwd())}`);
  }
  if (!JOB_EXTENSIONS.includes(path.extname(file))) {
    throw new UsageError(`job file ${file}: expected a ${JOB_EXTENSIONS.join(', ')} file`);
  }
  return bundleJobFile(file, job);
}

/**
 * Where a module of a job was, kept through bundling. A job and the packages it imports become
 * one file in a temporary folder, so `import.meta.url` (and `import.meta.dirname`/`filename`) of
 * a job module, and `__dirname`/`__filename` of a CommonJS package (bundled as ESM, where they do
 * not exist), would not name the module's own file: reading a file next to the job, or a package
 * loading its own data, would fail. esbuild's `define` turns each such global reference into an
 * identifier (in the syntax tree: strings and comments are untouched, and a module's own
 * `const __dirname` is left alone), and this plugin declares those identifiers at the top of
 * each module that mentions them, with that module's original location. The declarations go on
 * the module's first line (after a shebang), so line numbers, and with them stack traces, stay
 * true. On --backend aws these are paths of the launching machine.
 */
const LOCATION_DEFINES: Record<string, string> = {
  'import.meta.url': '__tsmpiMetaUrl',
  'import.meta.dirname': '__tsmpiMetaDirname',
  'import.meta.filename': '__tsmpiMetaFilename',
  __dirname: '__tsmpiDirname',
  __filename: '__tsmpiFilename',
};
const MENTIONS_LOCATION = /import\s*\.\s*meta|__dirname|__filename/;
const LOADERS: Record<string, 'ts' | 'tsx' | 'jsx' | 'js'> = {
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
  '.jsx': 'jsx',
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
};
/**
 * A shebang line must stay first: the declarations go after it. (The bundle is an ES module, so
 * strict throughout: a CommonJS module's "use strict" does not matter to where they go.)
 */
const SHEBANG = /^#![^\n]*\n/;

const whereItWas: import('esbuild').Plugin = {
  name: 'tsmpi-cloud-module-location',
  setup(build) {
    build.onLoad({ filter: /\.(m|c)?(j|t)sx?$/ }, (a) => {
      const loader = LOADERS[path.extname(a.path)];
      if (loader === undefined) return undefined;
      const text = readFileSync(a.path, 'utf8');
      if (!MENTIONS_LOCATION.test(text)) return undefined;
      const declare =
        `var __tsmpiMetaUrl = ${JSON.stringify(pathToFileURL(a.path).href)}, ` +
        `__tsmpiMetaFilename = ${JSON.stringify(a.path)}, ` +
        `__tsmpiMetaDirname = ${JSON.stringify(path.dirname(a.path))}, ` +
        '__tsmpiFilename = __tsmpiMetaFilename, __tsmpiDirname = __tsmpiMetaDirname;';
      const head = SHEBANG.exec(text)?.[0] ?? '';
      return { contents: `${head}${declare}${text.slice(head.length)}`, loader };
    });
  },
};

async function bundleJobFile(file: string, display: string): Promise<ResolvedJob> {
  const esbuild = loadEsbuild();
  const entryUrl = sdkEntryUrl();
  let result: Awaited<ReturnType<typeof esbuild.build>>;
  try {
    result = await esbuild.build({
      entryPoints: [file],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      metafile: true,
      logLevel: 'silent',
      // Sources in the map are relative to the outfile's folder (the working directory); the
      // bundle itself lives in a temp folder, so anchor them: stack traces name the user's file.
      outfile: path.join(process.cwd(), 'job.mjs'),
      sourceRoot: pathToFileURL(`${process.cwd()}${path.sep}`).href,
      banner: {
        js: "import { createRequire as __tsmpiCreateRequire } from 'node:module'; const require = __tsmpiCreateRequire(import.meta.url);",
      },
      // Each module's own location (see `whereItWas`): the bundle is a temporary file.
      define: LOCATION_DEFINES,
      plugins: [
        whereItWas,
        {
          name: 'tsmpi-cloud-runtime',
          setup(build) {
            // `require('tsmpi-cloud')` (a CommonJS job) cannot load an ES module by URL on Node 20:
            // it gets a module bundled in, which re-exports the runtime's own instance.
            build.onResolve({ filter: /^tsmpi-cloud$/ }, (a) =>
              a.kind === 'require-call'
                ? { path: 'tsmpi-cloud', namespace: 'tsmpi-cloud-cjs' }
                : { path: entryUrl, external: true },
            );
            build.onLoad({ filter: /.*/, namespace: 'tsmpi-cloud-cjs' }, () => ({
              contents: `export * from ${JSON.stringify(entryUrl)};`,
              loader: 'js',
            }));
            build.onResolve({ filter: /^file:/, namespace: 'tsmpi-cloud-cjs' }, (a) => ({
              path: a.path,
              external: true,
            }));
          },
        },
      ],
    });
  } catch (err) {
    const errors = (
      err as {
        errors?: {
          text: string;
          location?: { file: string; line: number; column: number; lineText: string };
        }[];
      }
    ).errors;
    const first = errors?.[0];
    const where = first?.location
      ? `${first.location.file}:${first.location.line}:${first.location.column}: `
      : '';
    throw new UsageError(
      `job ${display} could not be built: ${where}${first?.text ?? (err as Error).message}${first?.location ? `\n    ${first.location.lineText}` : ''}`,
    );
  }
  const out = result.outputFiles?.[0];
  if (out === undefined)
    throw new UsageError(`job ${display} could not be built: esbuild produced no output`);
  const exportsOf = Object.values(result.metafile?.outputs ?? {})[0]?.exports ?? [];
  if (!exportsOf.includes('default')) {
    throw new UsageError(
      `job ${display} has no default export: end it with \`export default defineJob(async (comm, args) => { ... })\``,
    );
  }
  const code = out.contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = path.join(tmpdir(), 'tsmpi-cloud-jobs');
  mkdirSync(dir, { recursive: true });
  const bundlePath = path.join(
    dir,
    `${path.basename(file).replace(/\.[^.]+$/, '')}-${hash}-${process.pid}.mjs`,
  );
  // Runs of the same code in this process share one file (its name is the code's hash), so it is
  // written by the first and removed by the last: runs at once must not remove it under another.
  const users = bundleUsers.get(bundlePath) ?? 0;
  if (users === 0) writeFileSync(bundlePath, code);
  bundleUsers.set(bundlePath, users + 1);
  let disposed = false;
  return {
    name: display,
    kind: 'file',
    url: pathToFileURL(bundlePath).href,
    bundlePath,
    hash,
    dispose() {
      if (disposed) return;
      disposed = true;
      const left = (bundleUsers.get(bundlePath) ?? 1) - 1;
      if (left > 0) {
        bundleUsers.set(bundlePath, left);
        return;
      }
      bundleUsers.delete(bundlePath);
      rmSync(bundlePath, { force: true });
    },
  };
}

/** Runs in flight per bundle file of this process (see `bundleJobFile`). */
const bundleUsers = new Map<string, number>();
