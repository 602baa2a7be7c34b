// Regenerates crds/*.yaml and charts/strata-operator/files/crds/*.yaml from operator/src/api.
//   npm run gen:crds            write the files
//   npm run gen:crds -- --check exit 1 if any file is stale (CI)
// The repository root is found by walking up from this file to package.json.
import * as fs from 'fs';
import * as path from 'path';
import { chartCrdFiles, crdFiles } from '../src/api/crds';

export function repoRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'operator'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no repository root above ${from}`);
    dir = up;
  }
}

export interface Target { dir: string; files: Map<string, string> }

export function targets(root: string): Target[] {
  return [
    { dir: path.join(root, 'crds'), files: crdFiles() },
    { dir: path.join(root, 'charts', 'strata-operator', 'files', 'crds'), files: chartCrdFiles() },
  ];
}

/** Paths whose content differs from a fresh generation (missing, stale, or generated-looking extras). */
export function staleFiles(root: string): string[] {
  const stale: string[] = [];
  for (const t of targets(root)) {
    for (const [name, content] of t.files) {
      const p = path.join(t.dir, name);
      if (!fs.existsSync(p) || fs.readFileSync(p, 'utf8') !== content) stale.push(p);
    }
    if (fs.existsSync(t.dir)) {
      for (const f of fs.readdirSync(t.dir)) if (f.endsWith('.yaml') && !t.files.has(f)) stale.push(path.join(t.dir, f));
    }
  }
  return stale;
}

export function write(root: string): string[] {
  const written: string[] = [];
  for (const t of targets(root)) {
    fs.mkdirSync(t.dir, { recursive: true });
    for (const f of fs.readdirSync(t.dir)) if (f.endsWith('.yaml') && !t.files.has(f)) fs.rmSync(path.join(t.dir, f));
    for (const [name, content] of t.files) {
      const p = path.join(t.dir, name);
      fs.writeFileSync(p, content);
      written.push(path.relative(root, p));
    }
  }
  return written;
}

if (require.main === module) {
  const root = repoRoot();
  if (process.argv.includes('--check')) {
    const stale = staleFiles(root);
    if (stale.length > 0) {
      console.error(`stale CRDs (run npm run gen:crds):\n  ${stale.map((p) => path.relative(root, p)).join('\n  ')}`);
      process.exit(1);
    }
    console.log('CRDs are current');
  } else {
    for (const p of write(root)) console.log(`wrote ${p}`);
  }
}
