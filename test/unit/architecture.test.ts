/**
 * The rules of ARCHITECTURE.md, checked on every import under sdk/, functions/ and infra/:
 * no import cycle between files or between folders, imports only down the layer order, and AWS
 * SDK / CDK imports only in the folders that talk to AWS. A violation fails with the offending
 * import (file, line, target) and the rule it breaks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCANNED = ['sdk', 'functions', 'infra'];

/**
 * Layers, top to bottom: a file may import files of its own layer and of any layer below it.
 * `sdk` stands for the files at the top of sdk/: the entries (index.ts, api.ts, rank-entry.ts) and
 * run.ts, which picks a launcher; the CLI is a client of `run()`.
 */
const LAYERS = [
  'functions',
  'cli',
  'sdk',
  'launch',
  'runtime',
  'jobs',
  'comm',
  'collectives',
  'channel',
  'transport',
  'codec',
  'base',
] as const;

/** infra/ is a separate app (the CDK stack): it may use sdk/base (shared names), nothing else of sdk/. */
const INFRA_MAY_IMPORT = new Set(['infra', 'base']);

/** The only places that may import an AWS SDK client or the CDK. */
const AWS_ALLOWED = [
  'sdk/transport/sqs/',
  'sdk/launch/lambda/',
  'sdk/runtime/lambda/',
  'sdk/cli/doctor.ts',
  'functions/',
  'infra/',
];
const AWS_PACKAGE = /^(@aws-sdk\/|aws-cdk-lib(\/|$)|@aws-cdk\/)/;

interface Import {
  from: string;
  line: number;
  /** Repository-relative path for a relative import, the package name otherwise. */
  to: string;
  relative: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = posix.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every import, re-export, `import type`, `import('...')` and `import('...')` type of a file. */
function importsOf(file: string, text: string): Import[] {
  return ts.preProcessFile(text, true, true).importedFiles.map(({ fileName, pos }) => {
    const line = text.slice(0, pos).split('\n').length;
    if (!fileName.startsWith('.')) return { from: file, line, to: fileName, relative: false };
    const target = posix.normalize(posix.join(posix.dirname(file), fileName)).replace(/\.js$/, '.ts');
    return { from: file, line, to: target, relative: true };
  });
}

/** The layer of a file: its folder under sdk/ (`sdk` for the entry files), or functions / infra. */
function layerOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] !== 'sdk') return parts[0]!;
  return parts.length > 2 ? parts[1]! : 'sdk';
}

/** Strongly connected components with more than one node (or a self-loop): the cycles. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)?.has(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return found;
}

function graphOf(imports: readonly Import[], node: (file: string) => string): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const i of imports) {
    if (!i.relative) continue;
    const a = node(i.from);
    const b = node(i.to);
    if (a === b) continue;
    (graph.get(a) ?? graph.set(a, new Set()).get(a)!).add(b);
  }
  return graph;
}

const show = (i: Import) => `${i.from}:${i.line} imports ${i.to}`;

/** The violations of the three rules in a set of imports. */
function violations(imports: readonly Import[]): {
  fileCycles: string[][];
  folderCycles: string[][];
  layer: string[];
  aws: string[];
} {
  const layer: string[] = [];
  const aws: string[] = [];
  for (const i of imports) {
    if (i.relative) {
      const a = layerOf(i.from);
      const b = layerOf(i.to);
      if (a === 'infra' || b === 'infra') {
        if (a !== 'infra' || !INFRA_MAY_IMPORT.has(b))
          layer.push(`${show(i)}: only infra/ imports infra/, and infra/ imports only sdk/base/`);
        continue;
      }
      const ra = LAYERS.indexOf(a as (typeof LAYERS)[number]);
      const rb = LAYERS.indexOf(b as (typeof LAYERS)[number]);
      if (ra < 0 || rb < 0) layer.push(`${show(i)}: ${ra < 0 ? a : b} is not a layer of ARCHITECTURE.md`);
      else if (rb < ra)
        layer.push(`${show(i)}: ${a} is below ${b} in the layer order, so it may not import it`);
    } else if (AWS_PACKAGE.test(i.to) && !AWS_ALLOWED.some((p) => i.from.startsWith(p))) {
      aws.push(`${show(i)}: AWS SDK / CDK imports belong in ${AWS_ALLOWED.join(', ')}`);
    }
  }
  return {
    fileCycles: cycles(graphOf(imports, (f) => f)),
    folderCycles: cycles(graphOf(imports, posix.dirname)),
    layer,
    aws,
  };
}

function scan(): Import[] {
  return SCANNED.flatMap(sourceFiles).flatMap((f) => importsOf(f, readFileSync(join(ROOT, f), 'utf8')));
}

describe('the architecture rules (ARCHITECTURE.md)', () => {
  const imports = scan();
  const found = violations(imports);

  it('sees the whole tree: every layer has files and the files have imports', () => {
    const layers = new Set(imports.map((i) => layerOf(i.from)));
    for (const layer of [...LAYERS, 'infra']) expect(layers, layer).toContain(layer);
    expect(imports.filter((i) => !i.relative && AWS_PACKAGE.test(i.to)).length).toBeGreaterThan(10);
  });

  it('has no import cycle between files', () => {
    expect(found.fileCycles).toEqual([]);
  });

  it('has no import cycle between folders', () => {
    expect(found.folderCycles).toEqual([]);
  });

  it('imports only down the layer order', () => {
    expect(found.layer).toEqual([]);
  });

  it('imports the AWS SDK and the CDK only where AWS is talked to', () => {
    expect(found.aws).toEqual([]);
  });

  it('reports each kind of violation (the check can fail)', () => {
    const planted: Import[] = [
      { from: 'sdk/codec/codec.ts', line: 1, to: 'sdk/comm/comm.ts', relative: true },
      { from: 'sdk/comm/comm.ts', line: 1, to: 'sdk/codec/codec.ts', relative: true },
      { from: 'sdk/comm/check.ts', line: 2, to: '@aws-sdk/client-sqs', relative: false },
      { from: 'sdk/launch/run.ts', line: 3, to: 'infra/stack-outputs.ts', relative: true },
    ];
    const v = violations(planted);
    expect(v.fileCycles).toEqual([['sdk/codec/codec.ts', 'sdk/comm/comm.ts']]);
    expect(v.folderCycles).toEqual([['sdk/codec', 'sdk/comm']]);
    expect(v.layer).toEqual([
      'sdk/codec/codec.ts:1 imports sdk/comm/comm.ts: codec is below comm in the layer order, so it may not import it',
      'sdk/launch/run.ts:3 imports infra/stack-outputs.ts: only infra/ imports infra/, and infra/ imports only sdk/base/',
    ]);
    expect(v.aws).toHaveLength(1);
  });
});
