import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILTIN_JOBS } from '../../../dist/sdk/jobs/registry.js';
import { sdkEntryUrl } from '../../../dist/sdk/launch/job-source.js';
import { rankBundleUrl } from '../../../dist/sdk/launch/rank-bundle.js';
import { rankBundleUrl as fromSources } from '../../../sdk/launch/rank-bundle.js';

// `npm run build` writes dist/rank/ (scripts/bundle-rank.mjs); workers load it instead of dist/sdk/.

/** The files a module statically imports (`import ... from "x"`, `import "x"`), not dynamic import(). */
function staticImports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(/^(?:import|export)\s[^;]*?["']([^"']+)["'];?$/gms)].map((m) => m[1]!);
}

describe('the rank bundle', () => {
  it('holds the worker entry, the root entry and every built-in job after the build', () => {
    const files = [
      'launch/local/rank-worker.js',
      'index.js',
      ...Object.values(BUILTIN_JOBS).map((j) => `jobs/${j.module.replace('./', '')}`),
    ];
    for (const f of files) {
      const url = rankBundleUrl(f);
      expect(url, f).toMatch(/\/dist\/rank\//);
      expect(existsSync(fileURLToPath(url!)), f).toBe(true);
    }
  });

  it('is what a job file imports as `tsmpi-cloud`, so the job shares the worker runtime instance', () => {
    expect(sdkEntryUrl()).toBe(rankBundleUrl('index.js'));
  });

  it('is absent when the sources run directly, and ranks then import dist/sdk/ itself', () => {
    expect(fromSources('index.js')).toBeUndefined();
  });

  it('loads no package (AWS SDK, esbuild) when a worker starts or a job imports `tsmpi-cloud`', () => {
    const seen = new Set<string>();
    const bare: string[] = [];
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of staticImports(file)) {
        if (spec.startsWith('.')) walk(fileURLToPath(new URL(spec, `file://${file}`)));
        else if (!spec.startsWith('node:')) bare.push(`${spec} (from ${file})`);
      }
    };
    walk(fileURLToPath(rankBundleUrl('launch/local/rank-worker.js')!));
    walk(fileURLToPath(rankBundleUrl('index.js')!));
    expect(seen.size).toBeGreaterThan(2);
    expect(bare).toEqual([]);
  });
});
