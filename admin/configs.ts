// Topic and broker configs: DescribeConfigs to read them (with where each value comes from) and
// IncrementalAlterConfigs (KIP-339) to SET or DELETE single keys without restating the others. Topic configs
// may be asked of any broker; a broker's own configs are asked of that broker, as Kafka's AdminClient does.
import { ApiKey } from '../broker/src/protocol/apis';
import type { KafkaClient } from '../broker/src/protocol/client';
import type { DescribeConfigsResponse, IncrementalAlterConfigsResponse } from '../broker/src/protocol/schema/types';
import type { ClusterClient } from './cluster-client';
import { AdminError, check } from './errors';

export interface ConfigResource {
  type: 'topic' | 'broker';
  /** The topic name, or the broker's node id as a string. */
  name: string;
}

export interface ConfigEntry {
  name: string;
  /** null when sensitive (passwords) or unset. */
  value: string | null;
  /** Where the value comes from: TOPIC, DYNAMIC_BROKER, DYNAMIC_DEFAULT_BROKER, STATIC_BROKER, DEFAULT… */
  source: string;
  isDefault: boolean;
  readOnly: boolean;
  sensitive: boolean;
}

export interface ConfigChange {
  set?: Record<string, string>;
  delete?: string[];
}

/** Kafka's ConfigResource.Type codes. */
const RESOURCE_TYPE = { topic: 2, broker: 4 } as const;

/** Kafka's ConfigSource codes (DescribeConfigs v1+), named without the _CONFIG suffix. */
const SOURCE_NAME: Record<number, string> = {
  0: 'UNKNOWN',
  1: 'TOPIC',
  2: 'DYNAMIC_BROKER',
  3: 'DYNAMIC_DEFAULT_BROKER',
  4: 'STATIC_BROKER',
  5: 'DEFAULT',
  6: 'DYNAMIC_BROKER_LOGGER',
  7: 'CLIENT_METRICS',
  8: 'GROUP',
};
export const TOPIC_SOURCE = 'TOPIC';
const DEFAULT_SOURCE = 5;

/** IncrementalAlterConfigs operations. */
const OP_SET = 0;
const OP_DELETE = 1;

/** Every config of the resource with its effective value and source; not-found when the topic does not exist. */
export async function describeConfigs(cc: ClusterClient, resource: ConfigResource): Promise<ConfigEntry[]> {
  const c = await connectionFor(cc, resource);
  const v = c.pickVersion(ApiKey.DescribeConfigs, 4);
  const res = await c.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, v, {
    resources: [{ resourceType: RESOURCE_TYPE[resource.type], resourceName: resource.name, configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  const r = res.results[0];
  if (!r) throw new AdminError(`configs of ${describeResource(resource)}: the broker returned no result`);
  check(`configs of ${describeResource(resource)}`, r.errorCode, r.errorMessage);
  return r.configs
    .map((e) => {
      // v0 has isDefault and no source; v1+ has the source, and "default" means the built-in default.
      const source = v === 0 ? (e.isDefault ? 'DEFAULT' : 'UNKNOWN') : (SOURCE_NAME[e.configSource] ?? 'UNKNOWN');
      return { name: e.name, value: e.value, source, isDefault: v === 0 ? e.isDefault : e.configSource === DEFAULT_SOURCE, readOnly: e.readOnly, sensitive: e.isSensitive };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** One config key of many topics in one DescribeConfigs request: topic → its effective value (null when unset). */
export async function topicConfigValue(cc: ClusterClient, topics: string[], key: string): Promise<Map<string, string | null>> {
  const c = await cc.any();
  const res = await c.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, c.pickVersion(ApiKey.DescribeConfigs, 4), {
    resources: topics.map((name) => ({ resourceType: RESOURCE_TYPE.topic, resourceName: name, configurationKeys: [key] })),
    includeSynonyms: false,
    includeDocumentation: false,
  });
  const values = new Map<string, string | null>();
  for (const r of res.results) {
    check(`configs of topic ${r.resourceName}`, r.errorCode, r.errorMessage);
    values.set(r.resourceName, r.configs.find((e) => e.name === key)?.value ?? null);
  }
  return values;
}

/** Sets and deletes (back to the default) single keys in one IncrementalAlterConfigs request. */
export async function alterConfigs(cc: ClusterClient, resource: ConfigResource, change: ConfigChange, opts: { validateOnly?: boolean } = {}): Promise<void> {
  const ops = configOperations(change);
  if (ops.length === 0) return;
  const c = await connectionFor(cc, resource);
  const res = await c.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, c.pickVersion(ApiKey.IncrementalAlterConfigs, 1), {
    resources: [{ resourceType: RESOURCE_TYPE[resource.type], resourceName: resource.name, configs: ops }],
    validateOnly: opts.validateOnly ?? false,
  });
  const r = res.responses[0];
  if (!r) throw new AdminError(`altering configs of ${describeResource(resource)}: the broker returned no result`);
  check(`altering configs of ${describeResource(resource)}`, r.errorCode, r.errorMessage);
}

/** The request's operations for a change; a key both set and deleted is the caller's mistake. */
export function configOperations(change: ConfigChange): Array<{ name: string; configOperation: number; value: string | null }> {
  const set = Object.entries(change.set ?? {});
  const del = [...new Set(change.delete ?? [])];
  const both = del.filter((k) => Object.hasOwn(change.set ?? {}, k));
  if (both.length > 0) throw new AdminError(`config ${both.join(', ')} is both set and deleted`, 'usage');
  return [...set.map(([name, value]) => ({ name, configOperation: OP_SET, value })), ...del.map((name) => ({ name, configOperation: OP_DELETE, value: null }))];
}

/**
 * The change that makes a resource's overrides exactly `want`: set what differs, delete overrides not wanted
 * (what a declarative owner such as the operator applies).
 */
export function changeToMatch(current: ReadonlyMap<string, string | null>, want: ReadonlyMap<string, string>): Required<ConfigChange> {
  const set: Record<string, string> = {};
  for (const [k, v] of want) if (current.get(k) !== v) set[k] = v;
  return { set, delete: [...current.keys()].filter((k) => !want.has(k)) };
}

/** The keys set on the topic itself (source TOPIC), name → value. */
export function topicOverrides(entries: ConfigEntry[]): Map<string, string | null> {
  return new Map(entries.filter((e) => e.source === TOPIC_SOURCE).map((e) => [e.name, e.value]));
}

async function connectionFor(cc: ClusterClient, resource: ConfigResource): Promise<KafkaClient> {
  if (resource.type === 'topic') return cc.any();
  const id = Number(resource.name);
  if (resource.name === '' || !Number.isSafeInteger(id) || id < 0) throw new AdminError(`broker id must be a non-negative integer, got "${resource.name}"`, 'usage');
  if (!(await cc.brokers()).some((b) => b.nodeId === id)) throw new AdminError(`broker ${id} is not in the cluster`, 'not-found');
  return cc.broker(id);
}

function describeResource(r: ConfigResource): string {
  return `${r.type} ${r.name}`;
}
