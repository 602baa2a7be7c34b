// franz-go's own transactional integration test, TestTxnEtl (github.com/twmb/franz-go v1.22.3, pkg/kgo), against a
// broker process: a transactional producer writes KGO_TEST_RECORDS records committing every 10,000, then chains of
// transactional consume-transform-produce group consumers (range, cooperative-sticky, static members; the KIP-848
// variants skip themselves on a broker without it) copy them with read_committed, and check that every record
// arrives exactly once and in order. The test binary is built by e2e/franz-go/install.sh.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { track } from './helpers/children';
import { useBroker } from './helpers/suite';

const VERSION = 'v1.22.3';
const RECORDS = 50_000;

function testBinary(): string {
  const dir = process.env.STRATA_FRANZ_GO_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'strata-test-peers', 'franz-go');
  const bin = path.join(dir, `kgo-${VERSION}.test`);
  if (!fs.existsSync(bin)) throw new Error(`franz-go test binary ${bin} not found: run e2e/franz-go/install.sh`);
  return bin;
}

function runGoTest(bin: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = track(spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let output = '';
    const keep = (c: Buffer) => {
      output += c.toString('utf8');
      if (output.length > 4_000_000) output = output.slice(-2_000_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`franz-go test timed out after ${timeoutMs} ms\n${output.slice(-4000)}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe(`franz-go ${VERSION} integration suite: TestTxnEtl`, function () {
  this.timeout(600_000);
  const ref = useBroker({ name: 'franz-go-txn' });

  it('passes: every record copied exactly once through transactional consume-transform-produce chains', async () => {
    const bin = testBinary();
    const { code, output } = await runGoTest(
      bin,
      ['-test.run', '^TestTxnEtl$', '-test.v', '-test.timeout', '540s'],
      { KGO_SEEDS: ref.broker.bootstrap, KGO_TEST_RF: '1', KGO_TEST_RECORDS: String(RECORDS), KGO_LOG_LEVEL: 'warn' },
      570_000,
    );
    const verdicts = output.split('\n').filter((l) => /^\s*--- (PASS|FAIL|SKIP)/.test(l));
    const tail = `\n${verdicts.join('\n')}\n--- output tail ---\n${output.slice(-3000)}`;
    assert.equal(code, 0, `go test exited ${code}${tail}`);
    assert.ok(verdicts.some((l) => /--- PASS: TestTxnEtl \(/.test(l)), `no PASS line for TestTxnEtl${tail}`);
    assert.ok(!verdicts.some((l) => l.includes('--- FAIL')), tail);
    const passedSubtests = verdicts.filter((l) => /--- PASS: TestTxnEtl\//.test(l));
    assert.ok(passedSubtests.length >= 3, `the classic-protocol chains ran${tail}`);
    console.log(`      ${verdicts.map((l) => l.trim()).join('; ')}`);
  });
});
