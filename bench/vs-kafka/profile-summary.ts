// Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time and the most
// inclusive (self + callees) time, as a share of the busy (non-idle) samples.
// Usage: node dist/bench/vs-kafka/profile-summary.js <file.cpuprofile> [--top N] [--from S] [--to S]
//   --from/--to restrict to a window, in seconds from the start of the profile.
import * as fs from 'node:fs';
import * as path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function frameKey(cf: CallFrame, root: string): string {
  const name = cf.functionName || '(anonymous)';
  if (!cf.url) return name;
  let file = cf.url.replace(/^file:\/\//, '');
  if (file.startsWith(root)) file = path.relative(root, file);
  return `${name} ${file}:${cf.lineNumber + 1}`;
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--') && !/^\d/.test(a));
  if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [--top N] [--from S] [--to S]');
  const opt = (name: string, dflt: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const top = opt('--top', 25);
  const from = opt('--from', 0) * 1e6;
  const to = opt('--to', Infinity) * 1e6;
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const root = process.cwd();

  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of prof.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let t = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i];
    // the time until the next sample is spent where this sample was taken
    const dt = i + 1 < prof.timeDeltas.length ? prof.timeDeltas[i + 1] : 0;
    if (t < from || t > to || dt <= 0) continue;
    const node = byId.get(prof.samples[i])!;
    const key = frameKey(node.callFrame, root);
    total += dt;
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    self.set(key, (self.get(key) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const k = frameKey(byId.get(id)!.callFrame, root);
      if (k === '(root)' || seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + dt);
    }
  }
  const busy = total - idle;
  const pct = (v: number) => `${((100 * v) / busy).toFixed(1).padStart(5)}%`;
  const ms = (v: number) => `${(v / 1000).toFixed(0).padStart(7)} ms`;
  console.log(`${path.basename(file)}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (${((100 * busy) / total).toFixed(0)}%), ${(idle / 1e6).toFixed(1)} s idle`);
  console.log(`\ntop ${top} by self time (% of busy):`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(v)} ${ms(v)}  ${k}`);
  console.log(`\ntop ${top} by inclusive time (% of busy):`);
  for (const [k, v] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(v)} ${ms(v)}  ${k}`);
}

main();
