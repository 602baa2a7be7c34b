// Strata runs on Node >= 24 (issue 15): the test run itself (the Makefile puts Node 24 first on PATH), the
// brokers the suites spawn, and brokers started by broker/bin/strata even when the `node` on PATH is older
// (the launcher then takes the pinned Node that scripts/node.sh keeps in its cache). package.json's engines and
// scripts/node.sh must agree on the major version.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BROKER_NODE_FLAGS } from '../broker/src/runtime-flags';
import { useBroker } from './helpers/suite';
import { makeTempDir, removeTempDir, repoRoot } from './helpers/util';

const ROOT = repoRoot();
const NODE_SH = path.join(ROOT, 'scripts', 'node.sh');

/** A shell variable assigned at the start of a line in scripts/node.sh (NODE_VERSION, MIN_MAJOR). */
function nodeShSetting(name: string): string {
  const m = new RegExp(`^${name}=(\\S+)$`, 'm').exec(fs.readFileSync(NODE_SH, 'utf8'));
  assert.ok(m, `${name}= in scripts/node.sh`);
  return m[1];
}

const majorOf = (version: string): number => Number(version.replace(/^v/, '').split('.')[0]);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { env, cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/**
 * A sandbox where the `node` on PATH is an old Node (a stub that answers version queries as Node 20 and
 * fails otherwise) and scripts/node.sh's cache (STRATA_NODE_CACHE) is a temp dir. `installCached` puts the
 * pinned version into that cache as a wrapper around the Node running this test which leaves a marker file
 * when it runs, so a test can tell which node a launcher picked.
 */
class OldNodeSandbox {
  readonly dir = makeTempDir('node-runtime');
  readonly marker = path.join(this.dir, 'cached-node-ran');
  private readonly oldBin = path.join(this.dir, 'old-bin');
  /** Only the tools the scripts use, so no npm (or other node) from the system directories is visible. */
  private readonly toolsBin = path.join(this.dir, 'tools-bin');
  private readonly cache = path.join(this.dir, 'cache');

  constructor() {
    fs.mkdirSync(this.oldBin);
    fs.mkdirSync(this.toolsBin);
    this.script(path.join(this.oldBin, 'node'), 'case "$*" in *process.versions.node*) echo 20 ;; *) echo "stub node 20" >&2; exit 3 ;; esac');
    for (const tool of ['bash', 'sh', 'uname', 'dirname', 'touch']) {
      const found = ['/usr/bin', '/bin'].map((d) => path.join(d, tool)).find((f) => fs.existsSync(f));
      assert.ok(found, `${tool} in /usr/bin or /bin`);
      fs.symlinkSync(found, path.join(this.toolsBin, tool));
    }
  }

  installCached(version: string): string {
    const bin = path.join(this.cache, `node-v${version}-linux-${process.arch}`, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    this.script(path.join(bin, 'node'), `touch '${this.marker}'\nexec '${process.execPath}' "$@"`);
    return bin;
  }

  /** The environment: PATH holds `first` (default: the stub old node) and the tools, nothing else. */
  env(first = this.oldBin): NodeJS.ProcessEnv {
    return { PATH: `${first}:${this.toolsBin}`, HOME: this.dir, STRATA_NODE_CACHE: this.cache };
  }

  cleanup(): void {
    removeTempDir(this.dir);
  }

  private script(file: string, body: string): void {
    fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
}

describe('Node.js runtime: Node >= 24 everywhere', function () {
  this.timeout(60_000);
  const minMajor = Number(nodeShSetting('MIN_MAJOR'));
  const pinned = nodeShSetting('NODE_VERSION');

  it('package.json engines, scripts/node.sh and this test run agree on Node >= 24', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    assert.equal(pkg.engines.node, `>=${minMajor}`);
    assert.ok(minMajor >= 24, `MIN_MAJOR ${minMajor}`);
    assert.equal(majorOf(pinned), minMajor, `pinned Node ${pinned} is the supported major`);
    assert.ok(majorOf(process.version) >= minMajor, `mocha runs on ${process.version}`);
  });

  describe('a broker the suites spawn', () => {
    const ref = useBroker({ name: 'node-runtime' });
    it('reports a Node >= 24 in /metrics (nodejs_version_info)', async () => {
      const metrics = await ref.broker.metricsText();
      const m = /^nodejs_version_info\{[^}]*version="(v[\d.]+)"/m.exec(metrics);
      assert.ok(m, 'nodejs_version_info in /metrics');
      assert.ok(majorOf(m[1]) >= minMajor, `broker runs on ${m[1]}`);
    });
  });

  describe('scripts/node.sh and broker/bin/strata with an older node on PATH', () => {
    let box: OldNodeSandbox;
    beforeEach(() => {
      box = new OldNodeSandbox();
    });
    afterEach(() => box.cleanup());

    it('scripts/node.sh prints the directory of the node on PATH when it is new enough', async () => {
      const res = await run('bash', [NODE_SH], box.env(path.dirname(process.execPath)));
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout.trim(), path.dirname(process.execPath));
    });

    it('scripts/node.sh prints the cached pinned Node when the node on PATH is older', async () => {
      const bin = box.installCached(pinned);
      const res = await run('bash', [NODE_SH], box.env());
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout.trim(), bin);
    });

    it('scripts/node.sh refuses clearly when Node must be installed but npm is missing', async () => {
      const res = await run('bash', [NODE_SH], box.env());
      assert.notEqual(res.code, 0);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, /Node >= 24 is required and npm \(to download it\) is missing/);
    });

    it('broker/bin/strata starts the broker on the cached Node 24, not the older node on PATH', async () => {
      box.installCached(pinned);
      const res = await run(path.join(ROOT, 'broker', 'bin', 'strata'), ['--help'], box.env());
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^Usage: strata-broker/);
      assert.ok(fs.existsSync(box.marker), 'the launcher ran the cached node');
    });

    it('broker/bin/strata passes the broker V8 flags of broker/src/runtime-flags.ts', () => {
      const launcher = fs.readFileSync(path.join(ROOT, 'broker', 'bin', 'strata'), 'utf8');
      assert.match(launcher, new RegExp(`^exec "\\$node_bin/node" ${BROKER_NODE_FLAGS.join(' ')} "`, 'm'));
    });
  });
});
