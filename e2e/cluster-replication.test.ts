// Replication across three broker processes sharing one object store (issue 10): an RF=3 topic written with
// acks=all ends up byte for byte in every broker's log; the leader serves a follower's Fetch past the high
// watermark; with min.insync.replicas=2, a follower killed with -9 leaves the ISR (after replica.lag.time.max.ms or
// its fencing) and acks=all keeps succeeding; with a second follower gone the lone leader (1 of 3 brokers, which
// cannot tell deaths from its own isolation) keeps its ISR and acknowledges nothing (the request times out), and
// both come back into the ISR once restarted, caught up.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiKey } from '../broker/src/protocol/apis';
import { ErrorCode } from '../broker/src/protocol/errors';
import { buildRecordBatch } from '../broker/src/protocol/records';
import type { FetchResponse } from '../broker/src/protocol/schema/types';
import { useCluster, type Cluster } from './helpers/cluster';
import { WireClient } from './helpers/protocol-batches';
import { waitFor } from './helpers/util';

const TOPIC = 'replicated';

/** Concatenated segment files of one broker's copy of the partition: what it stores, byte for byte. */
function localLogBytes(c: Cluster, id: number): Buffer {
  const dir = path.join(c.broker(id).dataDir, `${TOPIC}-0`);
  const segments = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  return Buffer.concat(segments.map((f) => fs.readFileSync(path.join(dir, f))));
}

function batchOf(i: number): Buffer {
  return buildRecordBatch({ records: [{ key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}`) }] });
}

/** Produces one batch per index through the current leader with acks=all; returns each answer's error code. */
/**
 * Produces records from..from+count-1 one by one through the leader, returning each one's error code. As a client
 * does, a NOT_LEADER_OR_FOLLOWER answer (nothing was written: leadership moved, e.g. back to a preferred replica
 * that rejoined) is retried through the broker Metadata names as leader by then.
 */
async function produceAll(c: Cluster, from: number, count: number): Promise<number[]> {
  const codes: number[] = [];
  for (let i = from; i < from + count; i++) {
    codes.push(
      await waitFor(
        async () => {
          const { wire } = await c.leaderClient(TOPIC, 0);
          try {
            const code = (await wire.produce(TOPIC, 0, batchOf(i))).errorCode;
            return code === ErrorCode.NOT_LEADER_OR_FOLLOWER ? undefined : code;
          } finally {
            await wire.close();
          }
        },
        { timeoutMs: 30_000, what: `record ${i} answered by the partition's leader` },
      ),
    );
  }
  return codes;
}

/** Waits until every broker in `ids` holds the same bytes for the partition as the leader, ending at `endOffset`. */
async function waitForIdenticalLogs(c: Cluster, leader: number, ids: number[], endOffset: number): Promise<void> {
  await c.waitForEndOffset(leader, TOPIC, 0, endOffset, 30_000);
  await waitFor(
    async () => {
      const expected = localLogBytes(c, leader);
      return ids.every((id) => localLogBytes(c, id).equals(expected)) || undefined;
    },
    { timeoutMs: 30_000, what: `brokers ${ids.join(',')} to hold the leader's log` },
  );
}

describe('cluster: replication (3 brokers, RF=3)', function () {
  this.timeout(180_000);
  const ref = useCluster({ name: 'replication' });

  it('acks=all records reach every replica byte for byte; the leader serves a follower past the HW', async () => {
    const c = ref.cluster;
    await c.createTopic(TOPIC, { partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const codes = await produceAll(c, 0, 20);
    assert.deepEqual(codes, new Array(20).fill(ErrorCode.NONE));
    const view = await c.waitForIsr(TOPIC, 0, 3, 30_000);
    const followers = c.ids.filter((id) => id !== view.leader);
    await waitForIdenticalLogs(c, view.leader, followers, 20);

    // A consumer reads the 20 records through the leader.
    const batches = await c.readPartition(TOPIC, 0);
    assert.deepEqual(batches.flatMap((b) => b.records.map((r) => r.value)), Array.from({ length: 20 }, (_, i) => `value-${i}`));

    // The leader answers a follower's Fetch (replica state, v15+) with its log and HW; a non-leader refuses it.
    const leader = c.broker(view.leader);
    const wire = await WireClient.connect(leader.host, leader.port);
    try {
      const fetch = await wire.client.request<FetchResponse>(ApiKey.Fetch, 15, {
        replicaId: -1,
        replicaState: { replicaId: followers[0], replicaEpoch: -1 },
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: TOPIC, topicId: (await c.metadata(view.leader, [TOPIC])).topics[0].topicId, partitions: [{ partition: 0, currentLeaderEpoch: view.leaderEpoch, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      const p = fetch.responses[0].partitions[0];
      assert.equal(p.errorCode, ErrorCode.NONE);
      assert.equal(p.highWatermark, 20);
      assert.ok((p.records as Buffer).length > 0);
    } finally {
      await wire.close();
    }
  });

  it('kill -9 of a follower: it leaves the ISR and acks=all keeps succeeding with min.insync.replicas=2; with both followers gone nothing is acknowledged', async () => {
    const c = ref.cluster;
    const view = await c.waitForIsr(TOPIC, 0, 3, 30_000);
    const [victim, other] = c.ids.filter((id) => id !== view.leader);
    await c.kill(victim, 'SIGKILL');
    // Written while the dead follower is still in the ISR: answered once it is dropped (lag time or fencing).
    assert.deepEqual(await produceAll(c, 20, 5), new Array(5).fill(ErrorCode.NONE));
    const shrunk = await c.waitForLeader(TOPIC, 0, (p) => !p.isr.includes(victim) && p.isr.length === 2, 30_000);
    assert.equal(shrunk.leader, view.leader, 'losing a follower does not move leadership');
    assert.deepEqual(await produceAll(c, 25, 5), new Array(5).fill(ErrorCode.NONE));

    // The second follower goes too. The leader is then alone of three brokers and cannot tell that from being cut
    // off itself, so (as with a Kafka controller quorum) nobody shrinks the ISR to it alone: acks=all is not
    // acknowledged, the request times out (the record stays in the leader's log, committed once a follower is back).
    await c.kill(other, 'SIGKILL');
    assert.deepEqual(await produceAll(c, 30, 1), [ErrorCode.REQUEST_TIMED_OUT]);
    const alone = await c.waitForLeader(TOPIC, 0, () => true, 30_000);
    assert.equal(alone.leader, view.leader);
    assert.equal(alone.isr.length, 2, `the ISR is not shrunk to the lone leader: ${JSON.stringify(alone)}`);

    // Both come back, catch up from the leader and rejoin the ISR with identical logs.
    await c.restart(victim);
    await c.restart(other);
    await c.waitForIsr(TOPIC, 0, 3, 60_000);
    assert.deepEqual(await produceAll(c, 31, 2), [ErrorCode.NONE, ErrorCode.NONE]);
    const leader = (await c.waitForIsr(TOPIC, 0, 3, 30_000)).leader;
    await waitForIdenticalLogs(c, leader, c.ids.filter((id) => id !== leader), 33);
  });
});
