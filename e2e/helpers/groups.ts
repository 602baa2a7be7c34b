// Checks shared by the consumer-group suites: exact-cover of partition assignments, the coordinator's view
// of a group (KafkaJS admin DescribeGroups + the standard consumer-protocol assignment decoding), committed
// offsets, and the analysis of who consumed which record when (at-least-once with no re-delivery after a
// commit, per-partition order).
import { AssignerProtocol, type Admin, type Producer } from 'kafkajs';
import type { JsonLine, JsonLinesProcess } from './json-process';
import { strict as assert } from 'node:assert';
import { createKafka } from './kafkajs';
import { waitFor, withTimeout } from './util';
import { KafkaClient } from '../../broker/src/protocol/client';
import { ApiKey } from '../../broker/src/protocol/apis';
import type { FindCoordinatorResponse, ListGroupsResponse } from '../../broker/src/protocol/schema/types';

/** The suites' common set-up: a connected admin that created `topic`, and a connected producer for it. */
export async function adminWithTopicAndProducer(bootstrap: string, clientId: string, topic: string, partitions: number): Promise<{ admin: Admin; producer: Producer }> {
  const kafka = createKafka(bootstrap, clientId);
  const admin = kafka.admin();
  await admin.connect();
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] }), true);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  return { admin, producer };
}

/** null when every partition 0..n-1 is assigned to exactly one member, else a description of what is wrong. */
export function exactCoverProblem(assignments: Record<string, number[]>, n: number): string | null {
  const owner = new Map<number, string>();
  const problems: string[] = [];
  for (const [member, parts] of Object.entries(assignments)) {
    for (const p of parts) {
      if (p < 0 || p >= n) problems.push(`${member} has partition ${p}, which does not exist`);
      const prev = owner.get(p);
      if (prev !== undefined) problems.push(`partition ${p} assigned to both ${prev} and ${member}`);
      owner.set(p, member);
    }
  }
  for (let p = 0; p < n; p++) if (!owner.has(p)) problems.push(`partition ${p} assigned to nobody`);
  return problems.length ? `${problems.join('; ')} (assignments ${JSON.stringify(assignments)})` : null;
}

export interface GroupView {
  state: string;
  protocolType: string;
  protocol: string;
  /** memberId → assigned partitions of `topic`. */
  members: Record<string, number[]>;
  clientIds: Record<string, string>;
}

/** The coordinator's view of a group: DescribeGroups via KafkaJS, assignments decoded. */
export async function describeGroup(admin: Admin, groupId: string, topic: string): Promise<GroupView> {
  const res = await admin.describeGroups([groupId]);
  const g = res.groups.find((x) => x.groupId === groupId);
  if (!g) throw new Error(`DescribeGroups answered without group ${groupId}: ${JSON.stringify(res)}`);
  const members: Record<string, number[]> = {};
  const clientIds: Record<string, string> = {};
  for (const m of g.members) {
    let parts: number[] = [];
    if (m.memberAssignment && m.memberAssignment.length > 0) {
      const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      parts = [...(decoded?.assignment[topic] ?? [])].sort((a, b) => a - b);
    }
    members[m.memberId] = parts;
    clientIds[m.memberId] = m.clientId;
  }
  return { state: g.state, protocolType: g.protocolType, protocol: g.protocol, members, clientIds };
}

/** Committed offsets of a group for one topic (partition → offset; -1 when none). */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  const res = await admin.fetchOffsets({ groupId, topics: [topic] });
  const out = new Map<number, number>();
  for (const t of res) if (t.topic === topic) for (const p of t.partitions) out.set(p.partition, Number(p.offset));
  return out;
}

/** Log end offsets of a topic (partition → offset). */
export async function endOffsets(admin: Admin, topic: string): Promise<Map<number, number>> {
  const res = await admin.fetchTopicOffsets(topic);
  return new Map(res.map((r) => [r.partition, Number(r.high)]));
}

// ---------------------------------------------------------------------------------------------------------
// A steady producer in the test process: one record per partition per tick, acks=-1, one request at a time,
// so offsets within a partition follow the send order. Value "<partition>:<n>" where n counts from 0.

export class SteadyProducer {
  readonly sent: number[];
  private running = false;
  private loop: Promise<void> | null = null;
  private failure: unknown = null;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    readonly partitions: number,
    private readonly tickMs = 50,
  ) {
    this.sent = Array.from({ length: partitions }, () => 0);
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const messages = this.sent.map((n, p) => ({ partition: p, key: `k${p}-${n}`, value: `${p}:${n}` }));
        try {
          await this.producer.send({ topic: this.topic, acks: -1, timeout: 10_000, messages });
          for (let p = 0; p < this.partitions; p++) this.sent[p]++;
        } catch (err) {
          this.failure = err;
          this.running = false;
          return;
        }
        await new Promise((r) => setTimeout(r, this.tickMs));
      }
    })();
  }

  /** Stops after the send in flight; throws if any send failed. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    if (this.failure) throw new Error(`steady producer failed: ${String((this.failure as Error)?.message ?? this.failure)}`);
  }

  get total(): number {
    return this.sent.reduce((a, b) => a + b, 0);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Consumption analysis over the JSON lines of KafkaJS group-member workers.

export interface MemberLog {
  name: string;
  killed: boolean;
  lines: JsonLine[];
}

export interface ConsumptionReport {
  problems: string[];
  duplicates: number;
  consumed: number;
}

/**
 * Checks what a set of group members consumed from a topic whose partition p holds offsets [0, end[p]) with
 * values "<p>:<offset>" (the SteadyProducer's records):
 *  - every record was consumed at least once;
 *  - per member and partition, offsets were consumed in strictly increasing order and each value matches
 *    its offset (so records arrived in the order they were produced);
 *  - a record consumed more than once was consumed at most once by members that were not killed, and every
 *    other consumption was by a killed member at an offset at or after that member's last successful commit
 *    for the partition (records it had committed were never delivered again), before the survivor got it.
 */
export function analyzeConsumption(members: MemberLog[], end: Map<number, number>): ConsumptionReport {
  const problems: string[] = [];
  type Seen = { member: string; killed: boolean; t: number };
  const seen = new Map<string, Seen[]>();
  const lastCommit = new Map<string, Map<number, number>>(); // member → partition → highest committed offset
  let consumed = 0;
  for (const m of members) {
    const commits = new Map<number, number>();
    lastCommit.set(m.name, commits);
    const lastOffset = new Map<number, number>();
    for (const l of m.lines) {
      if (l.e === 'commit') {
        for (const [p, o] of Object.entries(l.offsets as Record<string, number>)) commits.set(Number(p), Math.max(commits.get(Number(p)) ?? -1, o));
        continue;
      }
      if (l.e !== 'rec') continue;
      consumed++;
      const p = l.p as number;
      const o = l.o as number;
      if (l.v !== `${p}:${o}`) problems.push(`${m.name}: partition ${p} offset ${o} has value ${JSON.stringify(l.v)}, expected "${p}:${o}"`);
      const prev = lastOffset.get(p);
      if (prev !== undefined && o <= prev) problems.push(`${m.name}: partition ${p} offset ${o} consumed after offset ${prev} (out of order or repeated)`);
      lastOffset.set(p, o);
      const key = `${p}/${o}`;
      const list = seen.get(key) ?? [];
      list.push({ member: m.name, killed: m.killed, t: l.t as number });
      seen.set(key, list);
    }
  }
  let duplicates = 0;
  for (const [key, list] of seen) {
    if (list.length < 2) continue;
    duplicates += list.length - 1;
    const [p, o] = key.split('/').map(Number);
    const survivors = list.filter((s) => !s.killed);
    const killed = list.filter((s) => s.killed);
    if (survivors.length > 1) problems.push(`record ${key} consumed ${survivors.length} times by members that were not killed (${survivors.map((s) => s.member).join(', ')})`);
    if (killed.length > 1) problems.push(`record ${key} consumed ${killed.length} times by killed members`);
    for (const k of killed) {
      const committed = lastCommit.get(k.member)?.get(p) ?? -1;
      if (o < committed) problems.push(`record ${key} was delivered again although the killed member ${k.member} had committed partition ${p} up to ${committed}`);
      for (const s of survivors) {
        if (k.t > s.t) problems.push(`record ${key}: the killed member ${k.member} consumed it after ${s.member} did`);
      }
    }
  }
  for (const [p, n] of end) {
    const missing: number[] = [];
    for (let o = 0; o < n; o++) if (!seen.has(`${p}/${o}`)) missing.push(o);
    if (missing.length) problems.push(`partition ${p}: ${missing.length} of ${n} records never consumed (first missing offsets ${missing.slice(0, 10).join(', ')})`);
  }
  return { problems, duplicates, consumed };
}

/** The latest 'join' line of a KafkaJS worker and whether a heartbeat ('gen') has confirmed it since. */
export function workerState(w: JsonLinesProcess): { memberId: string; partitions: number[]; generation: number | null; joinT: number } | null {
  let joinIdx = -1;
  for (let i = w.lines.length - 1; i >= 0; i--) {
    if (w.lines[i].e === 'join') {
      joinIdx = i;
      break;
    }
  }
  if (joinIdx < 0) return null;
  const join = w.lines[joinIdx];
  let generation: number | null = null;
  for (let i = joinIdx + 1; i < w.lines.length; i++) if (w.lines[i].e === 'gen') generation = w.lines[i].generation as number;
  return { memberId: join.memberId as string, partitions: join.partitions as number[], generation, joinT: join.t as number };
}

/** The value of one Prometheus sample, e.g. metricValue(text, 'strata_group_members', { group: 'g' }); undefined if absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^([^{\s]+)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const kv of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[kv[1]] = kv[2];
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Call inside a describe(): adminWithTopicAndProducer in before(), both disconnected after the suite. */
export function useAdminWithTopicAndProducer(bootstrap: () => string, clientId: string, topic: string, partitions: number): { admin: Admin; producer: Producer } {
  const holder = {} as { admin: Admin; producer: Producer };
  before(async function () {
    Object.assign(holder, await adminWithTopicAndProducer(bootstrap(), clientId, topic, partitions));
  });
  after(async function () {
    this.timeout(15_000);
    await withTimeout(holder.producer?.disconnect() ?? Promise.resolve(), 5000, 'producer disconnect').catch(() => undefined);
    await withTimeout(holder.admin?.disconnect() ?? Promise.resolve(), 5000, 'admin disconnect').catch(() => undefined);
  });
  return holder;
}

/**
 * What a group client does before its first group request: FindCoordinator, whose first call creates
 * __consumer_offsets (cluster/internal-topics.ts). Resolves once the coordinator is named and every offsets
 * partition is loaded (ListGroups no longer answers COORDINATOR_LOAD_IN_PROGRESS), for suites that then speak the
 * group protocol by hand and expect no retriable error.
 */
export async function ensureGroupCoordinator(host: string, port: number, timeoutMs = 15_000): Promise<void> {
  const c = await KafkaClient.connect({ host, port, clientId: 'e2e-find-coordinator' });
  try {
    await waitFor(
      async () => {
        const f = await c.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: ['e2e-probe'] });
        if (f.coordinators[0].errorCode !== 0) return false;
        return (await c.request<ListGroupsResponse>(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] })).errorCode === 0;
      },
      { timeoutMs, what: 'the group coordinator (and __consumer_offsets) to be ready' },
    );
  } finally {
    await c.close();
  }
}

