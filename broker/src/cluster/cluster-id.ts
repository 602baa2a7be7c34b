// The cluster id: Kafka's format (a random UUID as 22 characters of URL-safe base64), chosen once and kept
// in the object store (`cluster.json`, written with put-if-absent) so every broker of the cluster agrees.
import { randomUUID } from 'node:crypto';
import type { ObjectStore } from '../tier/object-store';

const KEY = 'cluster.json';

export function newClusterId(): string {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
}

export async function resolveClusterId(store: ObjectStore, configured: string): Promise<string> {
  if (configured) return configured;
  const body = Buffer.from(JSON.stringify({ clusterId: newClusterId() }));
  await store.putIfAbsent(KEY, body);
  const stored = JSON.parse((await store.get(KEY)).toString('utf8')) as { clusterId: string };
  return stored.clusterId;
}
