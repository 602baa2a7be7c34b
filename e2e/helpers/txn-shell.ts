// A txn-shell JVM (StrataClientCheck txn-shell): one Java transactional producer driven op by op over stdin
// (init, begin, send, offsets, commit, abort, close), each answered with {"op", "ok", "exception"?}.
import { strict as assert } from 'node:assert';
import { startJava } from './client-process';
import type { JsonLine, JsonLinesProcess } from './json-process';

export class TxnShell {
  readonly proc: JsonLinesProcess;

  /** `env`: e.g. STRATA_CLIENT_PROPERTIES, the client's security settings. The process is added to `jvms` to stop. */
  constructor(bootstrap: string, txnId: string, timeoutMs: number, jvms: JsonLinesProcess[], env: NodeJS.ProcessEnv = {}) {
    this.proc = startJava('txn-shell', [bootstrap, txnId, timeoutMs], { name: `txn-shell ${txnId}`, env });
    jvms.push(this.proc);
  }

  /** Runs one op and returns its result line ({op, ok, exception?}). */
  async op(line: string, timeoutMs = 60_000): Promise<JsonLine> {
    const from = this.proc.lines.length;
    this.proc.send(line);
    const name = line.split(' ')[0];
    return this.proc.waitForLine((l) => l.op === name, timeoutMs, `result of ${line}`, from);
  }

  /** Runs ops that must all succeed. */
  async ok(...lines: string[]): Promise<void> {
    for (const line of lines) {
      const r = await this.op(line);
      assert.equal(r.ok, true, `${line}: ${JSON.stringify(r)}`);
    }
  }
}
