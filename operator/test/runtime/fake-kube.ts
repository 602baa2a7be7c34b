// An in-memory KubeApi for unit tests: objects keyed by apiVersion/kind/namespace/name, resourceVersion
// bumped on each write (conflicts on a stale one), generation bumped on spec changes, apply merges the
// applied fields over what is stored, deletion honours finalizers, and every write is recorded.
import { ApiError, type KubeApi, type KubeObject, type ObjRef, refOf } from '../../src/kube-client';

type Obj = KubeObject & Record<string, unknown>;

const keyOf = (r: ObjRef) => `${r.apiVersion}|${r.kind}|${r.namespace ?? ''}|${r.name}`;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

function merge(base: unknown, over: unknown): unknown {
  if (over === null || typeof over !== 'object' || Array.isArray(over)) return clone(over);
  if (base === null || typeof base !== 'object' || Array.isArray(base)) return clone(over);
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) out[k] = merge(out[k], v);
  return out;
}

export interface Write {
  verb: 'apply' | 'create' | 'replace' | 'patchStatus' | 'delete' | 'addFinalizer' | 'removeFinalizer';
  ref: ObjRef;
  body?: unknown;
}

export class FakeKube implements KubeApi {
  readonly objects = new Map<string, Obj>();
  readonly writes: Write[] = [];
  readonly kinds = new Set<string>();
  private rv = 1;
  private uid = 1;
  discoveryCalls = 0;
  /** Make the next apply of this kind fail (one-shot). */
  failApplyOf: string | undefined;

  /** Stores an object as a user would create it (uid, generation 1, resourceVersion). */
  seed<T extends KubeObject>(obj: T): T {
    const o = clone(obj) as Obj;
    o.metadata = { generation: 1, uid: `uid-${this.uid++}`, creationTimestamp: '2024-01-01T00:00:00Z', ...o.metadata, resourceVersion: String(this.rv++) };
    this.objects.set(keyOf(refOf(o)), o);
    return clone(o) as T;
  }

  peek<T = KubeObject>(ref: ObjRef): T | undefined {
    const o = this.objects.get(keyOf(ref));
    return o ? (clone(o) as T) : undefined;
  }

  /** Changes an object's spec as a user would (generation bump). */
  updateSpec(ref: ObjRef, spec: unknown): void {
    const o = this.must(ref);
    o.spec = clone(spec);
    o.metadata!.generation = (o.metadata!.generation ?? 1) + 1;
    o.metadata!.resourceVersion = String(this.rv++);
  }

  /** Sets status directly (as another controller, e.g. the StatefulSet controller, would). */
  setStatus(ref: ObjRef, status: unknown): void {
    const o = this.must(ref);
    o.status = clone(status);
    o.metadata!.resourceVersion = String(this.rv++);
  }

  /** A user's delete: marks deletionTimestamp while finalizers remain, else removes. */
  userDelete(ref: ObjRef): void {
    const o = this.must(ref);
    if (o.metadata!.finalizers?.length) {
      o.metadata!.deletionTimestamp ??= new Date().toISOString();
      o.metadata!.resourceVersion = String(this.rv++);
    } else {
      this.objects.delete(keyOf(ref));
    }
  }

  private must(ref: ObjRef): Obj {
    const o = this.objects.get(keyOf(ref));
    if (!o) throw new ApiError(404, `${ref.kind} ${ref.namespace}/${ref.name} not found`, 'NotFound');
    return o;
  }

  private bump(o: Obj): void {
    o.metadata!.resourceVersion = String(this.rv++);
  }

  async apply<T extends KubeObject>(obj: T): Promise<T> {
    const ref = refOf(obj);
    this.writes.push({ verb: 'apply', ref, body: clone(obj) });
    if (this.failApplyOf === ref.kind) {
      this.failApplyOf = undefined;
      throw new ApiError(422, `${ref.kind} ${ref.name} is invalid: injected failure`, 'Invalid');
    }
    const existing = this.objects.get(keyOf(ref));
    if (!existing) return this.seed(obj);
    const before = JSON.stringify((existing as Record<string, unknown>).spec);
    const merged = merge(existing, { ...obj, metadata: { ...obj.metadata, resourceVersion: existing.metadata!.resourceVersion } }) as Obj;
    if (JSON.stringify((merged as Record<string, unknown>).spec) !== before) merged.metadata!.generation = (existing.metadata!.generation ?? 1) + 1;
    this.bump(merged);
    this.objects.set(keyOf(ref), merged);
    return clone(merged) as T;
  }

  async get<T = KubeObject>(ref: ObjRef): Promise<T | undefined> {
    return this.peek<T>(ref);
  }

  async list<T = KubeObject>(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<T[]> {
    const want = (labelSelector ?? '').split(',').filter(Boolean).map((s) => s.split('='));
    return [...this.objects.values()]
      .filter((o) => o.apiVersion === apiVersion && o.kind === kind && (!namespace || o.metadata?.namespace === namespace))
      .filter((o) => want.every(([k, v]) => o.metadata?.labels?.[k!] === v))
      .map((o) => clone(o) as T);
  }

  async create<T extends KubeObject>(obj: T): Promise<T> {
    const ref = refOf(obj);
    this.writes.push({ verb: 'create', ref, body: clone(obj) });
    if (this.objects.has(keyOf(ref))) throw new ApiError(409, `${ref.kind} ${ref.name} already exists`, 'AlreadyExists');
    return this.seed(obj);
  }

  async replace<T extends KubeObject>(obj: T): Promise<T> {
    const ref = refOf(obj);
    this.writes.push({ verb: 'replace', ref, body: clone(obj) });
    const o = this.must(ref);
    if (obj.metadata?.resourceVersion !== o.metadata!.resourceVersion) {
      throw new ApiError(409, `Operation cannot be fulfilled on ${ref.kind} ${ref.name}: the object has been modified`, 'Conflict');
    }
    const next = clone(obj) as Obj;
    next.metadata = { ...o.metadata, ...next.metadata };
    this.bump(next);
    this.objects.set(keyOf(ref), next);
    return clone(next) as T;
  }

  async patchStatus(ref: ObjRef, status: object): Promise<void> {
    this.writes.push({ verb: 'patchStatus', ref, body: clone(status) });
    const o = this.must(ref);
    o.status = merge(o.status ?? {}, status);
    this.bump(o);
  }

  async delete(ref: ObjRef): Promise<void> {
    this.writes.push({ verb: 'delete', ref });
    if (this.objects.has(keyOf(ref))) this.userDelete(ref);
  }

  async addFinalizer(ref: ObjRef, finalizer: string): Promise<void> {
    const o = this.objects.get(keyOf(ref));
    if (!o || o.metadata!.finalizers?.includes(finalizer)) return;
    this.writes.push({ verb: 'addFinalizer', ref, body: finalizer });
    o.metadata!.finalizers = [...(o.metadata!.finalizers ?? []), finalizer];
    this.bump(o);
  }

  async removeFinalizer(ref: ObjRef, finalizer: string): Promise<void> {
    const o = this.objects.get(keyOf(ref));
    if (!o || !o.metadata!.finalizers?.includes(finalizer)) return;
    this.writes.push({ verb: 'removeFinalizer', ref, body: finalizer });
    o.metadata!.finalizers = o.metadata!.finalizers.filter((f) => f !== finalizer);
    this.bump(o);
    if (o.metadata!.deletionTimestamp && o.metadata!.finalizers.length === 0) this.objects.delete(keyOf(ref));
  }

  async hasKind(apiVersion: string, kind: string): Promise<boolean> {
    this.discoveryCalls++;
    return this.kinds.has(`${apiVersion}/${kind}`);
  }
}
