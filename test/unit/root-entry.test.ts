import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * API.md: the root entry `tsmpi-cloud` never loads an AWS SDK client. Backends that need one are
 * imported on demand (dynamic import), so the static import graph of sdk/index.ts must not reach
 * `@aws-sdk/*`. esbuild's metafile gives that graph with each edge's kind.
 */
describe('the root entry', () => {
  it('does not statically import any AWS SDK package', async () => {
    const result = await build({
      entryPoints: ['sdk/index.ts'],
      bundle: true,
      write: false,
      splitting: true,
      format: 'esm',
      platform: 'node',
      outdir: 'out',
      metafile: true,
      logLevel: 'silent',
      packages: 'external',
    });
    const outputs = result.metafile.outputs;
    const entry = Object.keys(outputs).find((k) => outputs[k]!.entryPoint === 'sdk/index.ts')!;
    // Walk every chunk reachable through static imports from the entry.
    const seen = new Set<string>();
    const staticExternals: string[] = [];
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const imp of outputs[file]?.imports ?? []) {
        if (imp.kind !== 'import-statement') continue;
        if (imp.external) staticExternals.push(imp.path);
        else walk(imp.path);
      }
    };
    walk(entry);
    expect(staticExternals.length).toBeGreaterThan(0); // node: builtins at least: the walk works
    expect(staticExternals.filter((p) => p.startsWith('@aws-sdk/'))).toEqual([]);
    // ...while the SQS backend, reached by dynamic import, does use the SDK.
    const dynamic = Object.values(outputs).flatMap((o) =>
      o.imports.filter((i) => i.path.startsWith('@aws-sdk/')),
    );
    expect(dynamic.length).toBeGreaterThan(0);
  });
});
