// The group coordinator over a real ReplicaManager and __consumer_offsets log: metadata records that move a
// partition's leadership away from this broker and back make ReplicaManager.leadership drop and reload the
// partition's groups; writes to a partition this broker no longer leads fail as NOT_COORDINATOR.
import { strict as assert } from 'node:assert';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Controller } from '../../src/cluster/controller';
import { MetadataLog } from '../../src/cluster/metadata-log';
import type { MetadataImage } from '../../src/cluster/metadata-image';
import { ReplicaManager } from '../../src/cluster/replica-manager';
import { GroupCoordinator } from '../../src/coordinator/group-coordinator';
import { GroupStore, OFFSETS_TOPIC } from '../../src/coordinator/group-store';
import { followLeadership } from '../../src/coordinator/leadership';
import { DEFAULT_LOG_CONFIG } from '../../src/log/log-config';
import { ErrorCode, KafkaError } from '../../src/protocol/errors';
import { LocalObjectStore } from '../../src/tier/local-object-store';
import { options, silentLogger } from './helpers';

/** Resolves once `cond` holds; fails after `ms`. */
async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('group coordinator following a real ReplicaManager', () => {
  let root = '';
  let replicas: ReplicaManager | undefined;
  let coord: GroupCoordinator | undefined;

  beforeEach(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-coordmove-'));
  });
  afterEach(async () => {
    coord?.close();
    await replicas?.close();
    replicas = coord = undefined;
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('drops a partition\'s groups when another broker becomes its leader and loads them again when leadership returns', async () => {
    const metadataLog = new MetadataLog(new LocalObjectStore(path.join(root, 'bucket')), 'c/');
    const image: MetadataImage = await metadataLog.load();
    const controller = new Controller(image, metadataLog, 1, { logger: silentLogger });
    await controller.bootstrap('c', '127.0.0.1', 9092);
    replicas = new ReplicaManager(path.join(root, 'data'), 1, image, DEFAULT_LOG_CONFIG, 1, silentLogger);
    await replicas.sync();
    controller.onCommitted(() => replicas!.sync());
    await controller.createTopic({ name: OFFSETS_TOPIC, numPartitions: 2, replicationFactor: 1, configs: { 'cleanup.policy': 'compact' } }, false);

    const store = new GroupStore(replicas, 2, { logger: silentLogger });
    coord = new GroupCoordinator(store, options(), silentLogger);
    await followLeadership(replicas, OFFSETS_TOPIC, coord, silentLogger);
    const c = coord;
    const commit = (offset: number) => c.commitOffsets('g', -1, '', null, [{ topic: 'a', partition: 0, offset, leaderEpoch: -1, metadata: null }]);
    assert.equal(c.errorFor('g'), ErrorCode.NONE);
    assert.deepEqual(await commit(5), [ErrorCode.NONE]);

    const topic = image.topicsByName.get(OFFSETS_TOPIC)!;
    const p = c.partitionFor('g');
    const moveLeader = async (leader: number) => {
      const state = topic.partitions[p];
      await metadataLog.append([{ type: 'partition', topicId: topic.topicId, partition: p, leader, leaderEpoch: state.leaderEpoch + 1, replicas: [1, 2], isr: [leader] }], image, { nodeId: 1, position: metadataLog.position });
      await replicas!.sync();
    };

    await moveLeader(2);
    assert.equal(c.errorFor('g'), ErrorCode.NOT_COORDINATOR);
    assert.deepEqual(await commit(6), [ErrorCode.NOT_COORDINATOR]);
    // A write that was already on its way when leadership went: refused by the log, answered as NOT_COORDINATOR.
    await assert.rejects(store.append('g', [{ kind: 'group', group: 'g', value: null }]), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.NOT_COORDINATOR);
    const other = ['h', 'i', 'j', 'k'].find((g) => c.partitionFor(g) !== p)!;
    assert.equal(c.errorFor(other), ErrorCode.NONE, 'the other partition stays');

    // (Until followers replicate, the partition's local log went with its leadership: it comes back empty.)
    await moveLeader(1);
    await waitFor(() => c.errorFor('g') === ErrorCode.NONE, 10_000, 'reload after re-election');
    assert.deepEqual(await commit(7), [ErrorCode.NONE]);
    assert.deepEqual(
      c.fetchOffsets('g', null).map((f) => f.committed?.offset),
      [7],
    );
  });
});
