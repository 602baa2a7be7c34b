// Fixtures for the group coordinator unit tests: an in-memory GroupStore (records go through the real
// __consumer_offsets codec so load() sees exactly what would be on disk), a silent logger, request builders
// and consumer-protocol subscription metadata.
import { strict as assert } from 'assert';
import { subscribedTopics } from '../../src/coordinator/consumer-protocol';
import { GroupCoordinator, type GroupCoordinatorOptions, type JoinRequest, type SyncRequest } from '../../src/coordinator/group-coordinator';
import type { JoinResult, Protocol } from '../../src/coordinator/group';
import { javaStringHash, type GroupLogEntry } from '../../src/coordinator/group-store';
import { decodeOffsetsRecord, encodeOffsetsRecord, type OffsetsRecord } from '../../src/coordinator/offsets-records';
import type { Logger } from '../../src/logger';
import { encode, Writer } from '../../src/protocol/codec';
import { ErrorCode } from '../../src/protocol/errors';
import { ConsumerProtocolSubscriptionSpec } from '../../src/protocol/schema/messages';
import type { ManualClock } from '../manual-clock';

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/** The GroupStore contract (partitionFor, append, load of one partition) over an array of encoded records. */
export class FakeGroupStore {
  readonly log: Array<{ groupId: string; key: Buffer; value: Buffer | null; producerId?: number; marker?: { partition: number; commit: boolean } }> = [];
  /** Number of append() calls (including empty ones). */
  appends = 0;
  /** When set, the next append() rejects with this error and writes nothing. */
  failNext: Error | null = null;
  /** While set, load() waits for it before reading (a partition that is still loading). */
  private readonly gate = new LoadGate();

  constructor(readonly numPartitions = 50) {}

  partitionFor(groupId: string): number {
    const h = javaStringHash(groupId);
    return (h === -2147483648 ? 0 : Math.abs(h)) % this.numPartitions;
  }

  async append(groupId: string, records: OffsetsRecord[]): Promise<void> {
    this.appends++;
    await Promise.resolve();
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = null;
      throw err;
    }
    for (const r of records) {
      const { key, value } = encodeOffsetsRecord(r);
      this.log.push({ groupId, key, value });
    }
  }

  /** As GroupStore: the records in a transactional batch of the producer. */
  async appendTransactional(groupId: string, records: OffsetsRecord[], producer: { producerId: number }): Promise<void> {
    await Promise.resolve();
    for (const r of records) this.log.push({ groupId, ...encodeOffsetsRecord(r), producerId: producer.producerId });
  }

  /** A transaction marker as the log would hold it after the transaction coordinator wrote it. */
  appendMarker(producerId: number, partition: number, commit: boolean): void {
    this.log.push({ groupId: '', key: Buffer.alloc(0), value: null, producerId, marker: { partition, commit } });
  }

  /** Holds every load() until the returned function is called. */
  holdLoads(): () => void {
    return this.gate.hold();
  }

  async *load(partition: number): AsyncGenerator<GroupLogEntry> {
    await this.gate.pass();
    for (const { groupId, key, value, producerId, marker } of this.log) {
      if ((marker ? marker.partition : this.partitionFor(groupId)) !== partition) continue;
      if (marker) {
        yield { kind: 'txn-marker', producerId: producerId!, partition: marker.partition, commit: marker.commit };
        continue;
      }
      const r = decodeOffsetsRecord(key, value);
      if (r && producerId !== undefined && r.kind === 'offset') yield { kind: 'txn-offset', producerId, partition: this.partitionFor(groupId), record: r };
      else if (r) yield r;
    }
  }

  /** Decoded records written so far, oldest first. */
  records(): OffsetsRecord[] {
    return this.log.filter((e) => !e.marker).map(({ key, value }) => decodeOffsetsRecord(key, value)!).filter(Boolean);
  }

  /** The latest group-metadata record written for a group (undefined if none). */
  lastGroupRecord(groupId: string): Extract<OffsetsRecord, { kind: 'group' }> | undefined {
    const all = this.records().filter((r): r is Extract<OffsetsRecord, { kind: 'group' }> => r.kind === 'group' && r.group === groupId);
    return all[all.length - 1];
  }
}

export const TOPICS = new Set(['a', 'b', 'c']);

export function options(overrides: Partial<GroupCoordinatorOptions> = {}): GroupCoordinatorOptions {
  return {
    initialRebalanceDelayMs: 0,
    minSessionTimeoutMs: 10,
    maxSessionTimeoutMs: 60_000,
    offsetMetadataMaxBytes: 16,
    offsetsRetentionMs: 10080 * 60_000,
    offsetsRetentionCheckIntervalMs: 600_000,
    partitionExists: (topic, partition) => TOPICS.has(topic) && partition >= 0 && partition < 4,
    decodeSubscription: subscribedTopics,
    ...overrides,
  };
}

const coordinators: GroupCoordinator[] = [];

/** A loaded coordinator over a (possibly shared) fake store; closed after each test by useCoordinators(). */
export async function newCoordinator(
  overrides: Partial<GroupCoordinatorOptions> = {},
  store = new FakeGroupStore(),
  events: ConstructorParameters<typeof GroupCoordinator>[3] = {},
  load = true,
): Promise<{ coord: GroupCoordinator; store: FakeGroupStore }> {
  const coord = new GroupCoordinator(store, options(overrides), silentLogger, events);
  coordinators.push(coord);
  if (load) await coord.load();
  return { coord, store };
}

/** Closes every coordinator created in a test, so no timer outlives it. Call inside a describe(). */
export function useCoordinators(): void {
  afterEach(() => {
    for (const c of coordinators.splice(0)) c.close();
  });
}

/** Consumer-protocol subscription metadata: int16 version, then ConsumerProtocolSubscription. */
export function subscription(topics: string[], version = 1): Buffer {
  const w = new Writer();
  w.writeInt16(version);
  encode(ConsumerProtocolSubscriptionSpec, version, { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null }, w);
  return w.toBuffer();
}

export function protocols(...names: string[]): Protocol[] {
  return names.map((name) => ({ name, metadata: subscription(['a']) }));
}

export function joinReq(overrides: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5_000,
    protocolType: 'consumer',
    protocols: protocols('range'),
    requireKnownMemberId: true,
    ...overrides,
  };
}

export function syncReq(join: JoinResult, overrides: Partial<SyncRequest> = {}, groupId = 'g'): SyncRequest {
  return {
    groupId,
    generationId: join.generationId,
    memberId: join.memberId,
    groupInstanceId: null,
    protocolType: join.protocolType,
    protocolName: join.protocolName,
    assignments: [],
    ...overrides,
  };
}

/** KIP-394 step one: asks for a member id and returns it. */
export async function memberIdFor(coord: GroupCoordinator, overrides: Partial<JoinRequest> = {}): Promise<string> {
  const first = await coord.join(joinReq(overrides));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.ok(first.memberId);
  return first.memberId;
}

/** Both KIP-394 steps; resolves when the join phase completes. */
export async function joinNew(coord: GroupCoordinator, overrides: Partial<JoinRequest> = {}): Promise<JoinResult> {
  const memberId = await memberIdFor(coord, overrides);
  return coord.join(joinReq({ ...overrides, memberId }));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves with the promise's value, or rejects if it has not settled within ms. */
export function within<T>(p: Promise<T>, ms: number, what = 'promise'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** True if the promise is still pending after the current macrotask queue drains. */
export async function isPending(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  await sleep(5);
  return !settled;
}

/**
 * Brings a group to Stable with the given members (each a JoinRequest override), all joined in one
 * generation: dynamic members get their KIP-394 ids first, then every member joins in the given order, so
 * the first one leads. Needs a coordinator with an initial rebalance delay > 0 (it gathers the joins); pass
 * the coordinator's ManualClock when it has one.
 * The leader assigns member i the buffer `assignment-<i>`.
 */
export async function stableGroup(
  coord: GroupCoordinator,
  members: Array<Partial<JoinRequest>>,
  groupId = 'g',
  clock?: ManualClock,
): Promise<JoinResult[]> {
  const ids = await Promise.all(members.map((m) => (m.groupInstanceId ? Promise.resolve('') : memberIdFor(coord, { groupId, ...m }))));
  const joins = members.map((m, i) => coord.join(joinReq({ groupId, ...m, memberId: ids[i] })));
  // On a manual clock, the initial rebalance delay passes only as the clock is moved on.
  const results = await (clock ? clock.runUntil(Promise.all(joins)) : within(Promise.all(joins), 5_000, 'join phase'));
  for (const r of results) assert.equal(r.errorCode, ErrorCode.NONE);
  const leader = results.find((r) => r.leader === r.memberId)!;
  assert.ok(leader, 'one member is the leader');
  const syncs = results.map((r) =>
    coord.sync(
      syncReq(
        r,
        {
          groupInstanceId: members[results.indexOf(r)].groupInstanceId ?? null,
          assignments: r === leader ? results.map((x, i) => ({ memberId: x.memberId, assignment: Buffer.from(`assignment-${i}`) })) : [],
        },
        groupId,
      ),
    ),
  );
  const synced = await within(Promise.all(syncs), 5_000, 'sync phase');
  synced.forEach((s, i) => {
    assert.equal(s.errorCode, ErrorCode.NONE);
    assert.equal(s.assignment.toString(), `assignment-${i}`);
  });
  return results;
}

/** A gate test stores put in front of load(): hold() makes every load wait until the returned release is called. */
export class LoadGate {
  private gate: Promise<void> | null = null;

  hold(): () => void {
    let release!: () => void;
    this.gate = new Promise((resolve) => (release = resolve));
    return () => {
      this.gate = null;
      release();
    };
  }

  async pass(): Promise<void> {
    if (this.gate) await this.gate;
  }
}
