// Cluster mode, scaling out (issue 10): a fourth broker joins a running 3-broker cluster and a tiered RF=3 partition
// is reassigned onto it with AlterPartitionReassignments (KIP-455), replacing broker 1. The new replica copies only
// the hot, local part of the log (the cold part stays in the bucket); ListPartitionReassignments shows the move until
// it completes; afterwards the partition lives on 2, 3 and 4, broker 1 drops its copy, and reads from offset 0 are
// byte for byte what the partition held before. Followers keep only the hot tail too. ElectLeaders (preferred) then hands leadership to the first replica.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiKey } from '../broker/src/protocol/apis';
import type { AlterPartitionReassignmentsResponse, ElectLeadersResponse, ListPartitionReassignmentsResponse } from '../broker/src/protocol/schema/types';
import { useCluster } from './helpers/cluster';
import { uniqueName, waitFor } from './helpers/util';

const TIMEOUT_MS = 60_000;
const BATCHES = 120;
const value = (b: number, i: number) => `value ${b}/${i} `.padEnd(300, String.fromCharCode(97 + ((b + i) % 26)));

/** Bytes of the .log segment files under `dir` whose path contains `needle` (a topic's partition directory). */
function segmentBytes(dir: string, needle: string): number {
  let total = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.log') && p.includes(needle)) total += fs.statSync(p).size;
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return total;
}

describe('cluster: adding a broker and reassigning a partition to it', function () {
  this.timeout(240_000);
  const ref = useCluster({ name: 'reassign' });

  it('copies only the hot tail to the new broker, completes, keeps reads byte-for-byte correct, and elects the preferred leader', async () => {
    const c = ref.cluster;
    const topic = uniqueName('reassigned');
    await c.createTopic(topic, {
      partitions: 1,
      replicationFactor: 3,
      configs: { 'min.insync.replicas': '2', 'remote.storage.enable': 'true', 'segment.bytes': '16384', 'local.retention.bytes': '16384' },
    });
    await c.produce(topic, 0, Array.from({ length: BATCHES }, (_, b) => Array.from({ length: 5 }, (_, i) => ({ key: `k-${b}-${i}`, value: value(b, i) }))));
    const { leader } = await c.waitForIsr(topic, 0, 3, TIMEOUT_MS);
    await waitFor(async () => (await c.listOffset(leader, topic, 0, -4)).offset > 0, { timeoutMs: TIMEOUT_MS, what: 'segments tiered and deleted locally' });
    const before = await c.readPartition(topic, 0);
    // Followers too drop the segments the leader uploaded (they re-read its manifest before local retention).
    await waitFor(() => c.ids.every((id) => segmentBytes(c.broker(id).dataDir, `${topic}-0`) < segmentBytes(c.objectStoreDir, '') / 2), {
      timeoutMs: TIMEOUT_MS,
      what: 'every replica to keep only the hot tail locally',
    });

    const added = await c.addBroker();
    assert.equal(added.nodeId, 4);
    await waitFor(async () => (await c.metadata(1)).brokers.some((b) => b.nodeId === 4), { timeoutMs: TIMEOUT_MS, what: 'broker 4 registered' });

    const alter = await c.request<AlterPartitionReassignmentsResponse>(1, ApiKey.AlterPartitionReassignments, 0, {
      timeoutMs: 30_000,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, replicas: [4, 2, 3] }] }],
    });
    assert.equal(alter.errorCode, 0);
    assert.deepEqual(alter.responses[0].partitions.map((p) => p.errorCode), [0]);

    // The move shows in ListPartitionReassignments until broker 4 is in sync, then the partition is on 4, 2, 3 only.
    const listed = await c.request<ListPartitionReassignmentsResponse>(2, ApiKey.ListPartitionReassignments, 0, { timeoutMs: 30_000, topics: null });
    const ongoing = listed.topics.find((t) => t.name === topic)?.partitions[0];
    if (ongoing) {
      assert.deepEqual(ongoing.addingReplicas, [4]);
      assert.deepEqual(ongoing.removingReplicas, [1]);
    }
    const done = await c.waitForLeader(topic, 0, (v) => [...v.replicas].sort().join() === '2,3,4' && v.isr.length === 3, TIMEOUT_MS);
    assert.notEqual(done.leader, 1);
    const after = await c.request<ListPartitionReassignmentsResponse>(3, ApiKey.ListPartitionReassignments, 0, { timeoutMs: 30_000, topics: null });
    assert.equal(after.topics.find((t) => t.name === topic), undefined, 'no reassignment left in progress');

    // Broker 4 holds only the hot tail; broker 1 dropped its copy.
    const earliestLocal = await c.listOffset(done.leader, topic, 0, -4);
    await waitFor(() => segmentBytes(c.broker(1).dataDir, `${topic}-0`) === 0, { timeoutMs: TIMEOUT_MS, what: 'broker 1 to delete its replica' });
    const copied = segmentBytes(c.broker(4).dataDir, `${topic}-0`);
    const bucket = segmentBytes(c.objectStoreDir, '');
    assert.ok(copied > 0, 'broker 4 has the hot tail');
    assert.ok(copied < bucket, `broker 4 copied ${copied} bytes, less than the ${bucket} bytes in the bucket`);
    console.log(`      (broker 4 copied ${copied} bytes of segments; the bucket holds ${bucket}; leader's earliest local offset ${earliestLocal.offset} of ${BATCHES * 5})`);

    // Preferred leader: the first replica, 4, once it leads; reads through it from offset 0 are unchanged.
    const elect = await c.request<ElectLeadersResponse>(2, ApiKey.ElectLeaders, 1, { electionType: 0, topicPartitions: [{ topic, partitions: [0] }], timeoutMs: 30_000 });
    assert.equal(elect.errorCode, 0);
    const code = elect.replicaElectionResults[0].partitionResult[0].errorCode;
    assert.ok(code === 0 || code === 84 /* ELECTION_NOT_NEEDED: 4 already leads */, `ElectLeaders answered ${code}`);
    await c.waitForLeader(topic, 0, (v) => v.leader === 4, TIMEOUT_MS);
    await c.waitForEndOffset(4, topic, 0, BATCHES * 5, TIMEOUT_MS);
    assert.deepEqual(await c.readPartition(topic, 0), before, 'every batch read through the new leader equals what the partition held before');
  });
});
