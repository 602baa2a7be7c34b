// Tiering with replicas: only the partition's leader writes the bucket (setUploading), and a new leader
// continues after what the previous one tiered (reloadRemote), uploading nothing twice.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { PartitionLog } from '../../src/log/partition-log';
import { manifestKey, partitionPrefix } from '../../src/tier/remote-keys';
import { parseManifest } from '../../src/tier/remote-manifest';
import { CLUSTER, TOPIC_ID, appendMany, bucketKeys, logger, readBytes, tieredConfig, useTierEnv } from './tier-helpers';

describe('tiered storage: uploads by the leader only', () => {
  const others: PartitionLog[] = [];
  // Before useTierEnv's hook, which removes the directories.
  afterEach(async () => {
    await Promise.all(others.splice(0).map((l) => l.close().catch(() => undefined)));
  });
  const env = useTierEnv();

  /** The same partition on a second broker: its own data dir, and its own view of the bucket. */
  async function openReplica(leaderEpoch: number): Promise<PartitionLog> {
    const remote = await env().restartStorage().openPartition(TOPIC_ID, 0, leaderEpoch, logger);
    const log = await PartitionLog.open(path.join(env().root, 'broker-2', 'topic-0'), tieredConfig(), { logger, remote });
    others.push(log);
    return log;
  }

  async function storedManifest() {
    return parseManifest(await env().store.inner.get(manifestKey(partitionPrefix(CLUSTER, TOPIC_ID, 0))));
  }

  async function replicate(leader: PartitionLog, follower: PartitionLog): Promise<void> {
    while (follower.logEndOffset < leader.logEndOffset) {
      const r = await leader.read(follower.logEndOffset, 700, { minOneMessage: true });
      await follower.appendAsFollower(Buffer.from(r.records));
    }
    follower.updateHighWatermark(leader.highWatermark);
  }

  it('uploads nothing while uploading is off, and catches up once it is on', async () => {
    const log = await env().open();
    log.setUploading(false);
    await appendMany(log, 10);
    await log.waitForUploads();
    assert.deepEqual(await bucketKeys(env(), '.log'), []);
    assert.equal(log.tieringStats()?.uploadLagSegments, 0, 'no upload lag where there is no uploader');
    log.setUploading(true);
    await log.waitForUploads();
    assert.equal((await bucketKeys(env(), '.log')).length, 3);
  });

  it('a new leader takes the log start the previous leader moved (DeleteRecords) from the reloaded manifest', async () => {
    const leader = await env().open({}, { leaderEpoch: 0 });
    const follower = await openReplica(0);
    follower.replicated = true;
    follower.setUploading(false);
    await appendMany(leader, 10, 1_000_000, 0);
    await replicate(leader, follower);
    await leader.waitForUploads();
    await leader.deleteRecordsBefore(4);
    assert.equal(follower.logStartOffset, 0);

    follower.remoteLog!.leaderEpoch = 1;
    await follower.reloadRemote();
    assert.equal(follower.logStartOffset, 4);
    assert.equal(follower.localLogStartOffset, 4);
    assert.ok(Buffer.compare(await readBytes(follower), await readBytes(leader)) === 0);
  });

  it('a new leader reloads the manifest and continues after the previous leader\'s segments', async () => {
    const leader = await env().open({}, { leaderEpoch: 0 });
    const follower = await openReplica(0);
    follower.replicated = true;
    follower.setUploading(false);
    await appendMany(leader, 10, 1_000_000, 0);
    await replicate(leader, follower);
    await leader.waitForUploads();
    const tieredByLeader = (await storedManifest()).segments;
    assert.equal(tieredByLeader.length, 3);
    assert.equal(follower.remoteLog!.hasSegments, false, 'the follower has not looked at the bucket since it opened');

    // Leadership moves: epoch 1.
    follower.remoteLog!.leaderEpoch = 1;
    await follower.reloadRemote();
    follower.setUploading(true);
    follower.replicated = false;
    assert.equal(follower.highestTieredOffset, tieredByLeader[2].lastOffset);
    await appendMany(follower, 6, 2_000_000, 1);
    await follower.waitForUploads();

    const segments = (await storedManifest()).segments;
    assert.deepEqual(segments.slice(0, 3), tieredByLeader, 'the previous leader\'s segments stay as they were');
    assert.ok(segments.length > 3);
    for (let i = 1; i < segments.length; i++) assert.equal(segments[i].baseOffset, segments[i - 1].lastOffset + 1, 'contiguous');
    const objects = await bucketKeys(env(), '.log');
    assert.equal(objects.length, segments.length, 'no segment uploaded twice');
    assert.ok(Buffer.compare(await readBytes(follower, 0), Buffer.concat([await readBytes(leader, 0), await readBytes(follower, leader.logEndOffset)])) === 0);
  });
});
