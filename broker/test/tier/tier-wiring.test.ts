import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { MetadataImage, type TopicImage } from '../../src/cluster/metadata-image';
import { ReplicaManager } from '../../src/cluster/replica-manager';
import { DEFAULT_LOG_CONFIG } from '../../src/log/log-config';
import { resolveLogConfig } from '../../src/log/topic-config';
import { ManualClock } from '../manual-clock';
import { CLUSTER, TOPIC_ID, appendMany, bucketKeys, logger, readBytes, useTierEnv } from './tier-helpers';

describe('tiered storage: wiring', () => {
  describe('rate limit', () => {
    const clock = new ManualClock();
    const env = useTierEnv({ uploadBytesPerSec: 4000, clock });

    it('holds uploads to remoteUploadBytesPerSec', async () => {
      const log = await env().open();
      const t0 = clock.now();
      await appendMany(log, 22); // 7 closed segments, ~6.5 kB with indexes
      await clock.skipWaitsUntil(log.waitForUploads()); // the clock moves only while the limiter waits
      const elapsed = clock.now() - t0;
      const bytes = log.tieringStats()!.bytesUploaded;
      assert.ok(bytes > 6000, `${bytes} bytes`);
      // The first 4000 bytes are the burst; the rest goes at 4000 B/s (each wait rounded up to a whole ms).
      const expected = ((bytes - 4000) / 4000) * 1000;
      assert.ok(elapsed >= expected && elapsed < expected + 100, `${bytes} bytes in ${elapsed} ms of waiting, expected ${expected}`);
    });
  });

  describe('topic configs and replica manager', () => {
    const env = useTierEnv();

    it('maps the tiering topic configs into LogConfig', () => {
      const cfg = resolveLogConfig(
        { 'remote.storage.enable': 'true', 'local.retention.ms': '1000', 'local.retention.bytes': '-2', 'remote.upload.max.lag.ms': '30000' },
        DEFAULT_LOG_CONFIG,
      );
      assert.equal(cfg.remoteStorageEnable, true);
      assert.equal(cfg.localRetentionMs, 1000);
      assert.equal(cfg.localRetentionBytes, -2);
      assert.equal(cfg.remoteUploadMaxLagMs, 30000);
      assert.equal(DEFAULT_LOG_CONFIG.remoteUploadMaxLagMs, -1);
    });

    it('gives each partition its remote side and deletes a deleted topic’s remote data', async () => {
      const image = new MetadataImage();
      const topic: TopicImage = {
        name: 'orders',
        topicId: TOPIC_ID,
        partitions: [{ partition: 0, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] }],
        configs: { 'remote.storage.enable': 'true', 'segment.bytes': '1024', 'local.retention.bytes': '0' },
      };
      image.topicsByName.set(topic.name, topic);
      image.topicsById.set(topic.topicId, topic);
      const defaults = { ...DEFAULT_LOG_CONFIG, indexIntervalBytes: 128, retentionMs: -1 };
      let replicas = new ReplicaManager(path.join(env().dataDir), 1, image, defaults, 1, logger, env().storage);
      await replicas.sync();
      let log = replicas.get('orders', 0).log;
      assert.ok(log.remoteLog);
      const appended = await appendMany(log, 10);
      await log.waitForUploads();
      await log.enforceRetention();
      assert.ok(log.localLogStartOffset > 0);
      await replicas.close();

      // Restart with an empty data dir: the partition serves its tiered offsets again.
      replicas = new ReplicaManager(path.join(env().dataDir, 'wiped'), 1, image, defaults, 1, logger, env().restartStorage());
      await replicas.sync();
      log = replicas.get('orders', 0).log;
      assert.ok((await readBytes(log)).equals(Buffer.concat(appended.slice(0, 9))));

      image.topicsByName.delete(topic.name);
      image.topicsById.delete(topic.topicId);
      await replicas.sync();
      assert.deepEqual(await bucketKeys(env()), []);
      assert.ok(!replicas.topicExists(TOPIC_ID));
      await replicas.close();
      assert.equal(CLUSTER, 'cluster-1');
    });
  });
});
