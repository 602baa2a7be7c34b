// Leader epochs move at every broker start, so the manifest's epoch fencing fences a broker's previous life:
// the metadata log, controller, replica manager and remote storage of two "lives" of broker 1 over one bucket.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { Controller } from '../../src/cluster/controller';
import { MetadataLog } from '../../src/cluster/metadata-log';
import { ReplicaManager } from '../../src/cluster/replica-manager';
import { DEFAULT_LOG_CONFIG } from '../../src/log/log-config';
import type { RemoteStorage } from '../../src/tier/remote-storage';
import { manifestKey, partitionPrefix } from '../../src/tier/remote-keys';
import { parseManifest } from '../../src/tier/remote-manifest';
import { CLUSTER, appendMany, logger, useTierEnv } from './tier-helpers';

const TOPIC_CONFIGS = { 'remote.storage.enable': 'true', 'segment.bytes': '1024' };
const LOG_DEFAULTS = { ...DEFAULT_LOG_CONFIG, indexIntervalBytes: 128, retentionMs: -1 };

describe('tiered storage: leader epoch fencing across broker restarts', () => {
  const managers: ReplicaManager[] = [];
  // Before useTierEnv's hook, which removes the directories.
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
  });
  const env = useTierEnv();

  /** One start of broker 1: load the metadata, register (which bumps its leader epochs), open its partitions. */
  async function startBroker(dataDir: string, storage: RemoteStorage) {
    const metadataLog = new MetadataLog(env().store, `${CLUSTER}/`);
    const image = await metadataLog.load();
    const controller = new Controller(image, metadataLog, 1, { logger });
    await controller.bootstrap(CLUSTER, '127.0.0.1', 9092);
    const replicas = new ReplicaManager(dataDir, 1, image, LOG_DEFAULTS, 1, logger, storage);
    managers.push(replicas);
    await replicas.sync();
    controller.onCommitted(() => replicas.sync());
    return { image, controller, replicas };
  }

  async function storedManifest(topicId: string) {
    return parseManifest(await env().store.inner.get(manifestKey(partitionPrefix(CLUSTER, topicId, 0))));
  }

  it('a restarted broker leads with a higher epoch, and its previous life can no longer write the manifest', async () => {
    const first = await startBroker(path.join(env().dataDir, 'life-1'), env().storage);
    const { topicId } = await first.controller.createTopic({ name: 'orders', numPartitions: 1, replicationFactor: 1, configs: TOPIC_CONFIGS }, false);
    const old = first.replicas.get('orders', 0);
    await appendMany(old.log, 4, 1_000_000, old.leaderEpoch);
    await old.log.waitForUploads();
    assert.deepEqual((await storedManifest(topicId!)).segments.map((s) => s.baseOffset), [0]);

    // The broker starts again (say on a new node) while its previous process still runs.
    const second = await startBroker(path.join(env().dataDir, 'life-2'), env().restartStorage());
    const current = second.replicas.get('orders', 0);
    assert.ok(current.leaderEpoch > old.leaderEpoch, `epoch ${current.leaderEpoch} after the restart, ${old.leaderEpoch} before`);
    assert.equal(second.image.topic('orders')!.partitions[0].leaderEpoch, current.leaderEpoch);
    await appendMany(current.log, 4, 2_000_000, current.leaderEpoch);
    await current.log.waitForUploads();
    const afterRestart = await storedManifest(topicId!);
    assert.equal(afterRestart.leaderEpoch, current.leaderEpoch);

    // The old writer keeps appending and rolling: its uploads are fenced, the manifest stays the new leader's.
    await appendMany(old.log, 6, 3_000_000, old.leaderEpoch);
    await old.log.waitForUploads();
    assert.deepEqual(await storedManifest(topicId!), afterRestart);
  });
});
