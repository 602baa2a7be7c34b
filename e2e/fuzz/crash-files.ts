// Frames on disk: one frame per .hex file ('#' comment lines, then the frame's hex, size prefix included, wrapped
// at 64 columns). Crash reports from the fuzzer and the regression inputs in e2e/fuzz/regressions/ share it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../helpers/util';
import type { Death, SentFrame } from './fuzzer';

export function writeFrameFile(file: string, frame: Buffer, comments: string[]): void {
  const hex = frame.toString('hex').match(/.{1,64}/g) ?? [];
  const lines = [...comments.flatMap((c) => c.split('\n')).map((c) => `# ${c}`), ...hex];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

export function readFrameFile(file: string): { frame: Buffer; comments: string[] } {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const comments = lines.filter((l) => l.startsWith('#')).map((l) => l.replace(/^#\s?/, ''));
  const hex = lines.filter((l) => !l.startsWith('#')).join('').replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`${file}: not hex`);
  return { frame: Buffer.from(hex, 'hex'), comments };
}

export function regressionsDir(): string {
  return path.join(repoRoot(), 'e2e', 'fuzz', 'regressions');
}

export function regressionFiles(): string[] {
  const dir = regressionsDir();
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.hex')).sort().map((f) => path.join(dir, f)) : [];
}

export function crashesRoot(): string {
  return process.env.STRATA_FUZZ_CRASH_DIR ?? path.join(repoRoot(), '.tmp', 'fuzz-crashes');
}

export function describeSent(s: SentFrame): string[] {
  return [`frame #${s.index} from: ${s.base}`, `mutations: ${s.ops.length ? s.ops.join('; ') : 'none'}`];
}

/**
 * Saves what the fuzzer saw when the broker died: the suspects (in flight), the last frames sent, and the tail
 * of the broker's log. Returns the directory.
 */
export function saveDeath(death: Death, brokerLog: string, label: string): string {
  const dir = path.join(crashesRoot(), `${new Date().toISOString().replace(/[:.]/g, '-')}-${label}`);
  death.suspects.forEach((s, i) => writeFrameFile(path.join(dir, `suspect-${String(i).padStart(2, '0')}.hex`), s.frame, describeSent(s)));
  death.history.forEach((s, i) => writeFrameFile(path.join(dir, 'history', `${String(i).padStart(4, '0')}.hex`), s.frame, describeSent(s)));
  fs.writeFileSync(path.join(dir, 'death.txt'), `${death.kind}: ${death.detail}\n\n--- broker log tail ---\n${brokerLog}\n`);
  return dir;
}

/**
 * What tells crashes apart: for an exit, the first line of the broker log tail that names an error, with numbers
 * masked; for a hang, the requests it was busy with.
 */
export function crashSignature(brokerLog: string, death?: Death): string {
  if (death && death.kind !== 'exit') {
    const bases = [...new Set(death.suspects.map((s) => s.base.split(' ').slice(0, 2).join(' ')))].sort();
    return `${death.kind} with in flight: ${bases.join(', ') || 'nothing'}`;
  }
  const lines = brokerLog.split('\n');
  const line =
    lines.find((l) => /heap out of memory|Allocation failed/i.test(l)) ??
    lines.find((l) => /^\s*(\w*Error|Error)\b.*:/.test(l) || /Uncaught|unhandled/i.test(l)) ??
    lines.find((l) => /error/i.test(l)) ??
    'no error in the log';
  return line.trim().replace(/\d+/g, 'N').slice(0, 200);
}
