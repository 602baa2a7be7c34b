// Runs the Java client driver e2e/java/src/StrataClientCheck.java (single-file source launch, JDK 17) with the
// kafka-clients jars fetched by e2e/java/install.sh, and parses its JSON-lines output.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { track } from './children';
import { repoRoot } from './util';

export type JsonLine = Record<string, unknown>;

export function javaPaths(): { lib: string; source: string } {
  const root = repoRoot();
  return { lib: path.join(root, 'e2e', 'java', 'target', 'lib'), source: path.join(root, 'e2e', 'java', 'src', 'StrataClientCheck.java') };
}

/** Throws a readable error when the jars have not been downloaded yet. */
export function requireJavaClient(): void {
  const { lib } = javaPaths();
  const jars = fs.existsSync(lib) ? fs.readdirSync(lib).filter((f) => /^kafka-clients-4\..*\.jar$/.test(f)) : [];
  if (jars.length === 0) throw new Error(`kafka-clients 4.x jar not found in ${lib}: run e2e/java/install.sh (make test-deps)`);
}

export interface JavaResult {
  lines: JsonLine[];
  stderr: string;
  code: number | null;
}

/**
 * Runs one driver command; rejects on timeout or a non-zero exit (with the driver's error line and stderr).
 * `env` is added to the environment (e.g. STRATA_CLIENT_PROPERTIES: a properties file every client starts from).
 */
export function runJava(command: string, args: Array<string | number>, timeoutMs = 50_000, env: NodeJS.ProcessEnv = {}): Promise<JavaResult> {
  const { lib, source } = javaPaths();
  const argv = ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', `${lib}/*`, source, command, ...args.map(String)];
  return new Promise((resolve, reject) => {
    const child = track(spawn('java', argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }));
    let out = '';
    let err = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`java ${command}: ${e.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const lines: JsonLine[] = [];
      for (const l of out.split('\n')) {
        if (!l.trim()) continue;
        try {
          lines.push(JSON.parse(l) as JsonLine);
        } catch {
          lines.push({ unparsed: l });
        }
      }
      const errLine = lines.find((l) => 'error' in l);
      if (timedOut) {
        reject(new Error(`java ${command} ${args.join(' ')} timed out after ${timeoutMs} ms\nstdout tail: ${out.slice(-1500)}\nstderr tail: ${err.slice(-1500)}`));
      } else if (code !== 0 || errLine) {
        reject(new Error(`java ${command} ${args.join(' ')} exited ${code}: ${JSON.stringify(errLine ?? {})}\nstderr tail: ${err.slice(-3000)}`));
      } else {
        resolve({ lines, stderr: err, code });
      }
    });
  });
}

/** The single line of a result that has "cmd": name (the command's summary). */
export function summary(res: JavaResult, name: string): JsonLine {
  const found = res.lines.filter((l) => l.cmd === name);
  if (found.length !== 1) throw new Error(`expected one "${name}" line, got ${found.length}: ${JSON.stringify(res.lines.slice(-5))}`);
  return found[0];
}
