// Wires watches to work queues to reconcilers: one informer per kind (per watched namespace), one queue
// per kind keyed by namespace/name, cluster events fanned out to the cluster's topics, owned-object events
// mapped to their cluster, and a periodic resync so changes made outside Kubernetes are reverted.
import { type KubeConfig, type KubernetesObject, type Informer, type ObjectCache, makeInformer } from '@kubernetes/client-node';
import { type HttpKubeApi, collectionPath } from './kube-client';
import * as N from './naming';
import type { OperatorMetrics } from './operator-metrics';
import { WorkQueue } from './queue';
import type { Logger, Reconciler } from './reconcilers/reconciler';

/** Owned kinds watched for drift (the ServiceMonitor is left to the periodic resync: its CRD may be absent). */
const OWNED_KINDS = [
  { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'v1', kind: 'Secret' },
];

export const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;
export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

interface Watched {
  apiVersion: string;
  kind: string;
  labelSelector?: string;
  onEvent(obj: KubernetesObject): void;
}

export interface ControllerOptions {
  kc: KubeConfig;
  api: HttpKubeApi;
  reconcilers: Reconciler[];
  metrics: OperatorMetrics;
  log: Logger;
  namespaces: string[];
  resyncSeconds: number;
  workers?: number;
}

export class Controller {
  private readonly queues = new Map<string, WorkQueue>();
  private readonly informers: Array<{ kind: string; informer: Informer<KubernetesObject> & ObjectCache<KubernetesObject> }> = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private depthTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private synced = false;

  constructor(private readonly o: ControllerOptions) {
    for (const r of o.reconcilers) {
      const q = new WorkQueue(
        (key) => {
          const [ns, name] = splitKey(key);
          return o.metrics.observe(r.kind, () => r.reconcile(ns, name));
        },
        {
          workers: o.workers ?? 2,
          onError: (key, err, retry) => o.log.warn(`${r.kind} ${key}: ${(err as Error).message} (retry in ${retry} ms)`),
        },
      );
      this.queues.set(r.kind, q);
    }
  }

  /** True once every informer has listed once (for /healthz readiness-ish reporting). */
  get hasSynced(): boolean {
    return this.synced;
  }

  enqueue(kind: string, namespace: string | undefined, name: string | undefined): void {
    if (!namespace || !name) return;
    this.queues.get(kind)?.add(keyOf(namespace, name));
  }

  private watched(): Watched[] {
    const byMeta = (kind: string) => (obj: KubernetesObject) => this.enqueue(kind, obj.metadata?.namespace, obj.metadata?.name);
    return [
      {
        apiVersion: N.CLUSTER_API_VERSION, kind: N.CLUSTER_KIND,
        onEvent: (obj) => {
          byMeta(N.CLUSTER_KIND)(obj);
          // A cluster appearing, changing or going affects its topics and users (creation waits for it;
          // finalizers need it; a user needs its SASL listeners).
          for (const kind of ['StrataTopic', 'StrataUser']) {
            for (const t of this.cached(kind)) {
              if (t.metadata?.namespace === obj.metadata?.namespace && t.metadata?.labels?.[N.LABEL_CLUSTER] === obj.metadata?.name) {
                byMeta(kind)(t);
              }
            }
          }
        },
      },
      { apiVersion: N.CLUSTER_API_VERSION, kind: 'StrataTopic', onEvent: byMeta('StrataTopic') },
      { apiVersion: N.CLUSTER_API_VERSION, kind: 'StrataUser', onEvent: byMeta('StrataUser') },
      // Objects the operator owns: any change or deletion queues their owner (a user's Secret its StrataUser,
      // everything else its cluster), so drift is repaired at once rather than at the next resync.
      ...OWNED_KINDS.map(({ apiVersion, kind }) => ({
        apiVersion,
        kind,
        labelSelector: `${N.LABEL_MANAGED_BY}=${N.MANAGED_BY}`,
        onEvent: (obj: KubernetesObject) => {
          const labels = obj.metadata?.labels ?? {};
          if (labels[N.LABEL_USER]) this.enqueue('StrataUser', obj.metadata?.namespace, labels[N.LABEL_USER]);
          else this.enqueue(N.CLUSTER_KIND, obj.metadata?.namespace, labels[N.LABEL_CLUSTER]);
        },
      })),
    ];
  }

  private cached(kind: string): KubernetesObject[] {
    return this.informers.filter((i) => i.kind === kind).flatMap((i) => i.informer.list());
  }

  async start(): Promise<void> {
    const namespaces = this.o.namespaces.length > 0 ? this.o.namespaces : [undefined];
    for (const w of this.watched()) {
      if (!this.queues.has(w.kind) && !OWNED_KINDS.some((o) => o.kind === w.kind)) continue;
      for (const ns of namespaces) {
        const path = collectionPath(w.apiVersion, w.kind, ns);
        const q = w.labelSelector ? `?labelSelector=${encodeURIComponent(w.labelSelector)}` : '';
        const list = () => this.o.api.request<{ metadata: { resourceVersion: string }; items: KubernetesObject[] }>('GET', `${path}${q}`);
        const informer = makeInformer<KubernetesObject>(this.o.kc, path, list as never, w.labelSelector);
        informer.on('add', w.onEvent);
        informer.on('update', w.onEvent);
        informer.on('delete', w.onEvent);
        informer.on('error', (err) => {
          if (this.stopping) return;
          this.o.log.warn(`watch ${path}: ${(err as Error)?.message ?? String(err)}; restarting in 3 s`);
          setTimeout(() => {
            if (!this.stopping) informer.start().catch((e: Error) => this.o.log.error(`watch ${path} restart: ${e.message}`));
          }, 3000).unref();
        });
        this.informers.push({ kind: w.kind, informer });
      }
    }
    await Promise.all(this.informers.map((i) => i.informer.start()));
    this.synced = true;
    this.o.log.info(`watching ${this.informers.length} collections in ${this.o.namespaces.length ? this.o.namespaces.join(', ') : 'all namespaces'}`);
    this.resyncTimer = setInterval(() => this.resync(), this.o.resyncSeconds * 1000);
    this.resyncTimer.unref();
    this.depthTimer = setInterval(() => this.updateDepth(), 1000);
    this.depthTimer.unref();
  }

  /** Every cached object of a reconciled kind back into its queue. */
  resync(): void {
    for (const { kind, informer } of this.informers) {
      if (!this.queues.has(kind)) continue;
      for (const obj of informer.list()) this.enqueue(kind, obj.metadata?.namespace, obj.metadata?.name);
    }
  }

  private updateDepth(): void {
    for (const [kind, q] of this.queues) this.o.metrics.queueDepth.set({ kind }, q.depth);
  }

  /** Stops the watches and waits for reconciles in progress. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.resyncTimer);
    clearInterval(this.depthTimer);
    await Promise.allSettled(this.informers.map((i) => i.informer.stop()));
    await Promise.all([...this.queues.values()].map((q) => q.shutdown()));
  }
}
