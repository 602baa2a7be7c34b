// The operator's view of the Kubernetes API: a small interface (KubeApi) the reconcilers, the leader
// elector and the controller use, and its HTTP implementation over a KubeConfig. Reconcilers are tested
// against an in-memory fake of the same interface (operator/test/runtime/fake-kube.ts).
import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { FIELD_MANAGER } from './naming';
import type { ObjectMeta } from './api';

/** Object metadata as the operator reads it (one definition, in api/). */
export type Metadata = ObjectMeta;

/** Any Kubernetes object, as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: Metadata;
}

/** Which object: its type, namespace and name. */
export interface ObjRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** An error answer from the API server (status code and its Status message). */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.statusCode === 404;
export const isConflict = (err: unknown): boolean => err instanceof ApiError && err.statusCode === 409;

export interface KubeApi {
  /** Server-side apply (field manager strata-operator, force); returns the object as stored. */
  apply<T extends KubeObject>(obj: T): Promise<T>;
  /** The object, or undefined when it does not exist. */
  get<T = KubeObject>(ref: ObjRef): Promise<T | undefined>;
  list<T = KubeObject>(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<T[]>;
  /** Creates; ApiError 409 when it exists. */
  create<T extends KubeObject>(obj: T): Promise<T>;
  /** PUT with metadata.resourceVersion: ApiError 409 when someone else changed it first. */
  replace<T extends KubeObject>(obj: T): Promise<T>;
  /** Merge-patches the status subresource. */
  patchStatus(ref: ObjRef, status: object): Promise<void>;
  /** Deletes (a missing object is not an error). */
  delete(ref: ObjRef): Promise<void>;
  /** Adds a finalizer if missing (optimistic concurrency on resourceVersion). */
  addFinalizer(ref: ObjRef, finalizer: string): Promise<void>;
  /** Removes a finalizer if present (a missing object is not an error). */
  removeFinalizer(ref: ObjRef, finalizer: string): Promise<void>;
  /** Whether the API server serves this kind (API discovery). */
  hasKind(apiVersion: string, kind: string): Promise<boolean>;
}

/** kind → plural resource name, for every kind the operator reads or writes. */
const PLURALS: Record<string, string> = {
  ConfigMap: 'configmaps',
  Service: 'services',
  Secret: 'secrets',
  Pod: 'pods',
  Namespace: 'namespaces',
  StatefulSet: 'statefulsets',
  PodDisruptionBudget: 'poddisruptionbudgets',
  ServiceMonitor: 'servicemonitors',
  Lease: 'leases',
  StrataCluster: 'strataclusters',
  StrataTopic: 'stratatopics',
  StrataUser: 'stratausers',
};

export function pluralOf(kind: string): string {
  const p = PLURALS[kind];
  if (!p) throw new Error(`the operator has no resource name for kind ${kind}`);
  return p;
}

/** /api/v1 or /apis/<group>/<version>. */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** The collection path (namespaced when a namespace is given) of a kind. */
export function collectionPath(apiVersion: string, kind: string, namespace?: string): string {
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${groupVersionPath(apiVersion)}${ns}/${pluralOf(kind)}`;
}

export function objectPath(ref: ObjRef): string {
  return `${collectionPath(ref.apiVersion, ref.kind, ref.namespace)}/${encodeURIComponent(ref.name)}`;
}

export function refOf(obj: KubeObject): ObjRef {
  if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) throw new Error('object needs apiVersion, kind and metadata.name');
  return { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
}

export function describeRef(ref: ObjRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** KubeApi over HTTPS (or HTTP) with the credentials of a KubeConfig. */
export class HttpKubeApi implements KubeApi {
  private readonly discovery = new Map<string, Promise<Set<string>>>();

  constructor(private readonly kc: KubeConfig) {}

  /** The raw request, for the watch paths and anything the interface lacks. */
  async request<T>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in the kubeconfig');
    const url = new URL(path, cluster.server);
    const opts: https.RequestOptions = {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
      headers: { Accept: 'application/json' },
    };
    await this.kc.applyToHTTPSOptions(opts);
    const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    if (payload) {
      opts.headers = { ...opts.headers, 'Content-Type': contentType, 'Content-Length': String(payload.length) };
    }
    const lib = url.protocol === 'http:' ? http : https;
    return new Promise<T>((resolve, reject) => {
      const req = lib.request(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          if (status >= 200 && status < 300) {
            resolve(parsed as T);
            return;
          }
          const st = parsed as { message?: string; reason?: string } | undefined;
          reject(new ApiError(status, `${method} ${url.pathname}: HTTP ${status}: ${st?.message ?? text.slice(0, 500)}`, st?.reason));
        });
      });
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${url.pathname} timed out`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  apply<T extends KubeObject>(obj: T): Promise<T> {
    const path = `${objectPath(refOf(obj))}?fieldManager=${FIELD_MANAGER}&force=true`;
    // JSON is YAML: the apply endpoint takes it as application/apply-patch+yaml.
    return this.request<T>('PATCH', path, obj, 'application/apply-patch+yaml');
  }

  async get<T = KubeObject>(ref: ObjRef): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', objectPath(ref));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list<T = KubeObject>(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<T[]> {
    const q = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : '';
    const res = await this.request<{ items: T[] }>('GET', `${collectionPath(apiVersion, kind, namespace)}${q}`);
    return res.items.map((i) => ({ apiVersion, kind, ...i }));
  }

  create<T extends KubeObject>(obj: T): Promise<T> {
    return this.request<T>('POST', collectionPath(obj.apiVersion!, obj.kind!, obj.metadata?.namespace), obj);
  }

  replace<T extends KubeObject>(obj: T): Promise<T> {
    return this.request<T>('PUT', objectPath(refOf(obj)), obj);
  }

  async patchStatus(ref: ObjRef, status: object): Promise<void> {
    await this.request('PATCH', `${objectPath(ref)}/status`, { status }, 'application/merge-patch+json');
  }

  async delete(ref: ObjRef): Promise<void> {
    try {
      await this.request('DELETE', objectPath(ref), { propagationPolicy: 'Background' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async addFinalizer(ref: ObjRef, finalizer: string): Promise<void> {
    await this.editFinalizers(ref, (f) => (f.includes(finalizer) ? undefined : [...f, finalizer]));
  }

  async removeFinalizer(ref: ObjRef, finalizer: string): Promise<void> {
    await this.editFinalizers(ref, (f) => (f.includes(finalizer) ? f.filter((x) => x !== finalizer) : undefined));
  }

  /** Merge patch of metadata.finalizers guarded by resourceVersion; retried on conflict. */
  private async editFinalizers(ref: ObjRef, edit: (current: string[]) => string[] | undefined): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const obj = await this.get(ref);
      if (!obj) return;
      const next = edit(obj.metadata?.finalizers ?? []);
      if (!next) return;
      try {
        await this.request('PATCH', objectPath(ref), {
          metadata: { finalizers: next, resourceVersion: obj.metadata?.resourceVersion },
        }, 'application/merge-patch+json');
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err) || attempt >= 4) throw err;
      }
    }
  }

  hasKind(apiVersion: string, kind: string): Promise<boolean> {
    let kinds = this.discovery.get(apiVersion);
    if (!kinds) {
      kinds = this.request<{ resources: Array<{ kind: string }> }>('GET', groupVersionPath(apiVersion))
        .then((r) => new Set(r.resources.map((x) => x.kind)))
        .catch((err) => {
          if (isNotFound(err)) return new Set<string>();
          this.discovery.delete(apiVersion);
          throw err;
        });
      this.discovery.set(apiVersion, kinds);
    }
    return kinds.then((k) => k.has(kind));
  }
}
