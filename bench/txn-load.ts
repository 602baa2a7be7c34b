// The transactional workload shared by `npm run bench` (bench/transactions.ts) and `npm run bench:vs-kafka`: the
// Java driver bench/java/src/TxnBench.java (kafka-clients 4.1.1 from e2e/java, single-file source launch) runs one
// transactional producer committing every `commitMs` and a read_committed consumer measuring end-to-end latency.
import * as path from 'node:path';
import { javaPaths, requireJavaClient } from '../e2e/helpers/java';
import { repoRoot } from '../e2e/helpers/util';
import { runProcess } from './vs-kafka/procs';
import { ToolError } from './vs-kafka/tools';

export interface TxnLoad {
  bootstrap: string;
  topic: string;
  seconds: number;
  commitMs: number;
  recordSize: number;
  /** Records per second; 0 = as fast as the producer can. */
  rate: number;
  timeoutMs: number;
}

export interface TxnFigures {
  records: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
  commits: number;
  commitP50Ms: number;
  commitP99Ms: number;
  consumed: number;
  e2eP50Ms: number;
  e2eP99Ms: number;
  e2eMaxMs: number;
}

export async function runTxnLoad(l: TxnLoad): Promise<TxnFigures> {
  requireJavaClient();
  const source = path.join(repoRoot(), 'bench', 'java', 'src', 'TxnBench.java');
  const args = ['-Xms256m', '-Xmx768m', '-cp', `${javaPaths().lib}/*`, source, l.bootstrap, l.topic, l.seconds, l.commitMs, l.recordSize, l.rate].map(String);
  const r = await runProcess('java', args, { timeoutMs: l.timeoutMs });
  const line = r.stdout.split('\n').find((s) => s.startsWith('{'));
  if (r.timedOut) throw new ToolError(`TxnBench timed out after ${l.timeoutMs} ms\n${r.stderr.slice(-2000)}`, 'n/a (timeout)');
  if (r.code !== 0 || !line) throw new ToolError(`TxnBench exited ${r.code}: ${r.stderr.slice(-2000)}`, 'n/a (error)');
  const f = JSON.parse(line) as TxnFigures;
  if (f.consumed < f.records) throw new ToolError(`read_committed consumer saw ${f.consumed} of ${f.records} committed records`, 'n/a (records missing)');
  return f;
}
