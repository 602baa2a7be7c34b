// Cuts one broker process off the network on a single machine (root, Linux, nftables, cgroup v2). Brokers on
// loopback cannot be told apart by address (a connection from 127.0.0.x to 127.0.0.y leaves from 127.0.0.1), so
// each broker is started inside its own cgroup and the cut matches sockets by cgroup: an nftables table drops
// every packet the broker's sockets send (`socket cgroupv2`) and every packet to its listening ports. Its disk
// and the shared object store directory stay reachable — the case of a broker cut off from its peers and
// clients but not from the bucket. Everything is undone by heal() and cleanup().
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** The cgroup v2 mount point (the root itself on a pure v2 system, or a hybrid's "unified"), if any. */
function cgroup2Mount(): string | undefined {
  for (const line of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, mountPoint, type] = line.split(' ');
    if (type === 'cgroup2') return mountPoint;
  }
  return undefined;
}

/** Why this machine cannot cut a broker off (undefined when it can). */
export function partitionUnsupportedReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (nftables rules and cgroups)';
  if (!cgroup2Mount()) return 'no cgroup v2 hierarchy mounted';
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'nft (nftables) is not installed';
  }
  return undefined;
}

export class NetworkPartitioner {
  private readonly mount: string;
  private readonly label = `strata_e2e_${randomBytes(4).toString('hex')}`;
  private readonly cut = new Set<number>();

  constructor() {
    const reason = partitionUnsupportedReason();
    if (reason) throw new Error(`cannot simulate a network partition on this machine: ${reason}`);
    this.mount = cgroup2Mount()!;
  }

  private cgroupDir(id: number): string {
    return path.join(this.mount, `${this.label}_b${id}`);
  }

  /** The launch prefix that starts broker `id` inside its own cgroup (so every socket it opens belongs to it). */
  launchPrefix(id: number): string[] {
    fs.mkdirSync(this.cgroupDir(id), { recursive: true });
    return ['/bin/sh', '-c', `echo $$ > ${this.cgroupDir(id)}/cgroup.procs && exec "$@"`, 'strata-broker'];
  }

  private table(id: number): string {
    return `${this.label}_b${id}`;
  }

  /** Drops everything broker `id` sends and everything sent to its ports, until heal(id). */
  isolate(id: number, ports: number[]): void {
    const rel = path.relative(CGROUP_ROOT, this.cgroupDir(id));
    const t = this.table(id);
    const rules = [
      `add table inet ${t}`,
      `add chain inet ${t} out { type filter hook output priority -10; policy accept; }`,
      `add rule inet ${t} out socket cgroupv2 level 1 "${rel}" drop`,
      `add rule inet ${t} out tcp dport { ${ports.join(', ')} } drop`,
    ];
    nft(rules.join('\n'));
    this.cut.add(id);
  }

  heal(id: number): void {
    if (!this.cut.delete(id)) return;
    nft(`delete table inet ${this.table(id)}`);
  }

  /** Removes every rule and cgroup this partitioner made (its brokers must be gone for the cgroups to go). */
  cleanup(): void {
    for (const id of [...this.cut]) this.heal(id);
    for (const name of fs.readdirSync(this.mount)) {
      if (name.startsWith(`${this.label}_b`)) {
        try {
          fs.rmdirSync(path.join(this.mount, name));
        } catch {
          // a process still in it; the kernel keeps an empty cgroup cheaply, nothing else to undo
        }
      }
    }
  }
}

function nft(script: string): void {
  execFileSync('nft', ['-f', '-'], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
}
