// Harness of the e2e/k8s suite: the local images (images.sh), a single-node cluster with real containers
// (node.sh: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, CoreDNS, kube-proxy, containerd,
// kubelet) whose state lives in a temp dir, torn down whatever the outcome, and the ways the host reaches pods
// (kcat and KafkaJS resolving the brokers' advertised *.svc names through the cluster DNS).
import { spawnSync } from 'node:child_process';
import * as dns from 'node:dns';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ApiServer, ROOT, run, type RunOptions, type RunResult } from '../../operator/e2e/harness';

const HERE = path.join(ROOT, 'e2e', 'k8s');
const NODE_SH = path.join(HERE, 'node.sh');
const IMAGES_SH = path.join(HERE, 'images.sh');

/** The node's address (node.sh): the API server, CoreDNS and the suite's moto server listen here. */
export const NODE_IP = '10.245.0.1';
export const NODE_NAME = 'strata-node';

export interface Images { pause: string; kcat: string; broker: string; operator: string }

/** Builds (or reuses) the images; returns their names. Minutes on a cold cache. */
export async function buildImages(): Promise<Images> {
  const r = await run('bash', [IMAGES_SH, 'build'], { timeoutMs: 30 * 60_000 });
  const names = r.stdout.trim().split('\n');
  const find = (s: string) => {
    const n = names.find((x) => x.includes(`/strata-${s}:`));
    if (!n) throw new Error(`images.sh build printed no strata-${s} image: ${r.stdout}`);
    return n;
  };
  return { pause: find('pause'), kcat: find('kcat'), broker: find('broker'), operator: find('operator') };
}

/** A running node: kubectl/helm through ApiServer, plus what only a node with containers has. */
export class KubeNode extends ApiServer {
  private down = false;
  /** What node.sh stop reported as not restored (set by stop()). */
  leftovers = '';

  get containerdSocket(): string { return path.join(this.dir, 'containerd', 'containerd.sock'); }

  async importImages(): Promise<void> {
    await run('bash', [IMAGES_SH, 'import', this.containerdSocket], { timeoutMs: 300_000 });
  }

  /** A default StorageClass of pre-created `local` PersistentVolumes in the node's dir (a hostPath PV ignores
   *  fsGroup, so the brokers' uid 1000 could not write to it). */
  async addLocalVolumes(count: number, size = '1Gi'): Promise<void> {
    const docs: object[] = [{
      apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
      metadata: { name: 'local', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer', reclaimPolicy: 'Retain',
    }];
    for (let i = 0; i < count; i++) {
      const dir = path.join(this.dir, 'pv', `pv${i}`);
      fs.mkdirSync(dir, { recursive: true });
      docs.push({
        apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: `local-pv${i}` },
        spec: {
          capacity: { storage: size }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain',
          storageClassName: 'local', local: { path: dir },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [NODE_NAME] }] }] } },
        },
      });
    }
    await this.kubectl(['apply', '-f', '-'], { input: docs.map((d) => JSON.stringify(d)).join('\n---\n') });
  }

  /** Log of one of the node's processes (kubelet, containerd, kube-proxy, coredns, ...). */
  processLog(name: string, lines = 40): string {
    try { return fs.readFileSync(path.join(this.dir, 'logs', `${name}.log`), 'utf8').split('\n').slice(-lines).join('\n'); } catch { return ''; }
  }

  /** Tears everything down (node.sh stop); `leftovers` lists what the machine did not get back. */
  override async stop(): Promise<void> {
    if (this.down) return;
    this.down = true;
    live.delete(this);
    const r = await run('bash', [NODE_SH, 'stop', this.dir], { timeoutMs: 180_000, allowFail: true });
    this.leftovers = r.stdout.trim();
  }

  override killSync(): void {
    if (this.down) return;
    this.down = true;
    spawnSync('bash', [NODE_SH, 'stop', this.dir], { stdio: 'ignore', timeout: 180_000 });
  }

  // ---- the host's view of the cluster network ----

  /** A resolv.conf for host processes: the cluster DNS, cluster.local search path (brokers advertise *.svc). */
  private hostResolvConf(): string {
    const f = path.join(this.dir, 'host-resolv.conf');
    if (!fs.existsSync(f)) fs.writeFileSync(f, `nameserver ${NODE_IP}\nsearch cluster.local\noptions ndots:5\n`);
    return f;
  }

  /** kcat on the host, in a mount namespace of its own whose /etc/resolv.conf is the cluster DNS. */
  kcat(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return run('unshare', ['-m', 'sh', '-c', `mount --bind "$0" /etc/resolv.conf && exec kcat "$@"`, this.hostResolvConf(), ...args],
      { timeoutMs: 60_000, ...opts });
  }

  /** A KafkaJS client on the host whose sockets resolve *.svc names through the cluster DNS; `onError` sees every
   *  error KafkaJS logs (connection losses and failed requests it retries on its own). */
  kafka(bootstrap: string, clientId: string, onError: (message: string) => void = () => {}): Kafka {
    const resolver = new dns.Resolver();
    resolver.setServers([NODE_IP]);
    const lookup: net.LookupFunction = (host, options, cb) => {
      const name = host.endsWith('.svc') ? `${host}.cluster.local` : host;
      resolver.resolve4(name, (err, addrs) => {
        if (err || addrs.length === 0) return cb(err ?? new Error(`no address for ${name}`), '', 4);
        if (options.all) (cb as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, [{ address: addrs[0]!, family: 4 }]);
        else cb(null, addrs[0]!, 4);
      });
    };
    return new Kafka({
      clientId, brokers: [bootstrap], connectionTimeout: 3000, requestTimeout: 15_000,
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 3000 },
      logLevel: logLevel.ERROR,
      logCreator: () => ({ log }) => onError(String(log.message)),
      socketFactory: ({ host, port, onConnect }) => {
        const socket = net.connect({ host, port, lookup }, onConnect);
        socket.setKeepAlive(true, 30_000);
        return socket;
      },
    });
  }
}

const live = new Set<KubeNode>();
process.on('exit', () => { for (const n of live) n.killSync(); });

/** Starts the node in a fresh temp dir (node.sh start); on failure tears it down and shows the logs. */
export async function startNode(): Promise<KubeNode> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-node-'));
  const r = await run('bash', [NODE_SH, 'start', dir], { timeoutMs: 240_000, allowFail: true });
  if (r.code !== 0) {
    const logs = ['containerd', 'kubelet', 'start-apiserver'].map((n) => {
      try { return `--- ${n}\n${fs.readFileSync(path.join(dir, 'logs', `${n}.log`), 'utf8').split('\n').slice(-20).join('\n')}`; } catch { return ''; }
    }).join('\n');
    await run('bash', [NODE_SH, 'stop', dir], { timeoutMs: 180_000, allowFail: true });
    throw new Error(`node.sh start exited ${r.code}: ${r.stderr}\n${logs}`);
  }
  const node = new KubeNode(dir);
  live.add(node);
  return node;
}
