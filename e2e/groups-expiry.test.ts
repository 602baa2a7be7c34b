// Groups do not outlive their use (issue 9: memory bounded by the broker): a deleted group's metric series leave
// /metrics at once, and a group that only committed offsets loses them after offsets.retention.minutes (here the
// minimum, 1 minute, checked every 500 ms), is gone from ListGroups and /metrics, and stays gone after a restart
// (tombstones in __consumer_offsets). A broker process over TCP with the KafkaJS admin client.
import { strict as assert } from 'node:assert';
import type { Admin } from 'kafkajs';
import { committedOffsets, metricValue } from './helpers/groups';
import { createKafka } from './helpers/kafkajs';
import { useBroker } from './helpers/suite';
import { uniqueName, waitFor, withTimeout } from './helpers/util';

const RETENTION_MINUTES = 1;

describe('group expiry and removal (offsets.retention.minutes, DeleteGroups, /metrics)', function () {
  this.timeout(180_000);
  const ref = useBroker({
    name: 'groups-expiry',
    autoCreateTopics: false,
    extraArgs: ['--offsets-retention-minutes', String(RETENTION_MINUTES), '--offsets-retention-check-interval-ms', '500'],
  });
  const topic = uniqueName('expiry');
  const deleted = uniqueName('expiry-deleted');
  const expiring = uniqueName('expiry-expiring');
  let admin: Admin;
  let expiringCommittedAt = 0;

  async function connectAdmin(): Promise<void> {
    admin = createKafka(ref.broker.bootstrap, 'groups-expiry-test', { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 }).admin();
    await admin.connect();
  }

  /** [partition, offset] of the group's committed partitions (fetchOffsets answers -1 for the others). */
  const committed = async (group: string) => [...(await committedOffsets(admin, group, topic))].filter(([, o]) => o >= 0).sort();
  const seriesOf = async (group: string) => (await ref.broker.metricsText()).split('\n').filter((l) => l.includes(`group="${group}"`));

  before(async function () {
    await connectAdmin();
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] }), true);
    // Admin commits (generation -1): groups without members whose offsets expire one by one from their commit.
    expiringCommittedAt = Date.now();
    await admin.setOffsets({ groupId: expiring, topic, partitions: [{ partition: 0, offset: '5' }, { partition: 1, offset: '7' }] });
    await admin.setOffsets({ groupId: deleted, topic, partitions: [{ partition: 0, offset: '3' }] });
  });

  after(async () => {
    await withTimeout(admin?.disconnect() ?? Promise.resolve(), 5000, 'admin disconnect').catch(() => undefined);
  });

  it('DeleteGroups removes the group and every metric series labelled with it', async () => {
    assert.equal(metricValue(await ref.broker.metricsText(), 'strata_group_offset_commits_total', { group: deleted }), 1);
    assert.ok((await seriesOf(deleted)).length >= 2, 'commit counter and lag gauge of the group');
    await admin.deleteGroups([deleted]);
    assert.deepEqual(await seriesOf(deleted), [], 'no series of the deleted group');
    assert.ok((await seriesOf(expiring)).length >= 2, 'the other group keeps its series');
  });

  it('offsets expire after offsets.retention.minutes; the emptied group leaves ListGroups and /metrics, also after a restart', async () => {
    assert.deepEqual(await committed(expiring), [[0, 5], [1, 7]]);
    const retentionMs = RETENTION_MINUTES * 60_000;
    await waitFor(async () => (await committed(expiring)).length === 0, {
      timeoutMs: retentionMs + 60_000,
      intervalMs: 500,
      what: `offsets of ${expiring} expired`,
    });
    assert.ok(Date.now() - expiringCommittedAt >= retentionMs, 'not before the retention period');
    const listed = (await admin.listGroups()).groups.map((g) => g.groupId);
    assert.ok(!listed.includes(expiring), `${expiring} is not listed (${listed.join(', ')})`);
    assert.deepEqual(await seriesOf(expiring), [], 'no series of the expired group');

    await admin.disconnect();
    await ref.broker.stop();
    await ref.broker.restart();
    await connectAdmin();
    assert.deepEqual(await committed(expiring), [], 'still expired after a restart');
    assert.ok(!(await admin.listGroups()).groups.some((g) => g.groupId === expiring));
  });
});
