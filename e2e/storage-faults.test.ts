// Disk faults against a real broker process, over TCP with the project's protocol client:
// - full disk: the data dir lives on a small filesystem this suite mounts (tmpfs with a size limit, or a
//   loopback ext4 image); filling it makes produce answer KAFKA_STORAGE_ERROR while reads keep working, and
//   freeing space lets produce succeed again without a restart, with every acknowledged record still there;
// - a corrupt segment at start-up: that partition is offline (Metadata: no leader, LEADER_NOT_AVAILABLE,
//   offline_replicas; strata_offline_partitions 1) while other partitions and admin operations work, and
//   SIGTERM still stops the broker cleanly;
// - leader epochs: every start bumps them (Metadata leaderEpoch, OffsetForLeaderEpoch).
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ApiKey } from '../broker/src/protocol/apis';
import { ErrorCode } from '../broker/src/protocol/errors';
import { buildRecordBatch } from '../broker/src/protocol/records';
import { ZERO_UUID } from '../broker/src/protocol/codec';
import type {
  CreateTopicsResponse,
  DeleteTopicsResponse,
  MetadataResponse,
  OffsetForLeaderEpochResponse,
} from '../broker/src/protocol/schema/types';
import { BrokerProcess } from './helpers/broker-process';
import { WireClient } from './helpers/protocol-batches';
import { metricValue } from './helpers/groups';
import { makeTempDir, removeTempDir } from './helpers/util';

const run = promisify(execFile);
const PAYLOAD = 'x'.repeat(64 * 1024); // larger than a page: a write into a full filesystem needs new blocks

function batchOf(label: string): Buffer {
  return buildRecordBatch({ records: [{ value: Buffer.from(`${label}:${PAYLOAD}`) }] });
}

async function labels(wire: WireClient, topic: string): Promise<string[]> {
  return (await wire.readBatches(topic, 0)).flatMap((b) => b.records.map((r) => `${r.offset}:${r.value!.split(':')[0]}`));
}

async function createTopic(wire: WireClient, name: string): Promise<void> {
  const res = await wire.client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  assert.equal(res.topics[0].errorCode, 0, `create ${name}: ${res.topics[0].errorMessage}`);
}

async function partitionMetadata(wire: WireClient, topic: string) {
  const res = await wire.client.request<MetadataResponse>(ApiKey.Metadata, 12, {
    topics: [{ topicId: ZERO_UUID, name: topic }],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  const t = res.topics[0];
  assert.equal(t.errorCode, 0, `metadata for ${topic}`);
  return t.partitions[0];
}

/**
 * Mounts a filesystem of `mib` MiB at `dir`: tmpfs with a size limit, or else a loopback ext4 image
 * (needs root either way). Returns how to unmount it.
 */
async function mountSmallFilesystem(dir: string, mib: number): Promise<() => Promise<void>> {
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', dir]);
  } catch (tmpfsErr) {
    const image = `${dir}.img`;
    try {
      await run('truncate', ['-s', `${mib}M`, image]);
      await run('mkfs.ext4', ['-q', '-F', image]);
      await run('mount', ['-o', 'loop', image, dir]);
    } catch (loopErr) {
      fs.rmSync(image, { force: true });
      throw new Error(`cannot mount a small filesystem (tmpfs: ${(tmpfsErr as Error).message}; loop ext4: ${(loopErr as Error).message})`);
    }
    return async () => {
      await run('umount', ['-l', dir]);
      fs.rmSync(image, { force: true });
    };
  }
  return async () => {
    await run('umount', ['-l', dir]);
  };
}

/** Writes `file` until the filesystem refuses more (ENOSPC). */
function fillFilesystem(file: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (const chunk of [Buffer.alloc(1 << 20, 1), Buffer.alloc(4096, 1), Buffer.alloc(1, 1)]) {
      for (;;) {
        try {
          fs.writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

describe('storage faults: full disk', function () {
  this.timeout(120_000);
  let mountPoint = '';
  let unmount: (() => Promise<void>) | null = null;
  let broker: BrokerProcess | undefined;
  let wire: WireClient | undefined;

  before(async () => {
    mountPoint = makeTempDir('full-disk-mnt');
    unmount = await mountSmallFilesystem(mountPoint, 8);
    broker = await BrokerProcess.start({
      name: 'full-disk',
      extraArgs: ['--data-dir', path.join(mountPoint, 'data'), '--offsets-topic-num-partitions', '1'],
    });
    wire = await WireClient.connect(broker.host, broker.port);
    await createTopic(wire, 'full');
  });

  after(async () => {
    try {
      await wire?.close();
      await broker?.stop();
    } finally {
      await broker?.cleanup();
      if (unmount) await unmount();
      removeTempDir(mountPoint);
    }
  });

  it('refuses produce with KAFKA_STORAGE_ERROR while full, keeps serving reads, and recovers by itself', async () => {
    const w = wire!;
    const acked: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await w.produce('full', 0, batchOf(`before-${i}`));
      assert.equal(r.errorCode, 0, r.errorMessage ?? '');
      acked.push(`${r.baseOffset}:before-${i}`);
    }
    const pid = broker!.pid;

    const filler = path.join(mountPoint, 'filler');
    fillFilesystem(filler);
    for (let i = 0; i < 3; i++) {
      const r = await w.produce('full', 0, batchOf(`refused-${i}`));
      assert.equal(r.errorCode, ErrorCode.KAFKA_STORAGE_ERROR, `produce on a full disk: ${JSON.stringify(r)}`);
    }
    assert.deepEqual(await labels(w, 'full'), acked, 'reads on a full disk');

    fs.rmSync(filler);
    for (let i = 0; i < 3; i++) {
      const r = await w.produce('full', 0, batchOf(`after-${i}`));
      assert.equal(r.errorCode, 0, `produce after space was freed: ${r.errorMessage}`);
      acked.push(`${r.baseOffset}:after-${i}`);
    }
    assert.deepEqual(await labels(w, 'full'), acked);
    assert.deepEqual(
      acked.map((a) => Number(a.split(':')[0])),
      [0, 1, 2, 3, 4, 5, 6, 7],
      'refused batches leave no gap in the offsets',
    );
    assert.equal(broker!.pid, pid);
    assert.ok(broker!.isAlive());
  });
});

describe('storage faults: corrupt segment at start-up, leader epochs', function () {
  this.timeout(120_000);
  let broker: BrokerProcess | undefined;
  let wire: WireClient | undefined;

  before(async () => {
    broker = await BrokerProcess.start({ name: 'corrupt-segment', extraArgs: ['--offsets-topic-num-partitions', '1'] });
  });

  after(async () => {
    try {
      await wire?.close();
    } finally {
      await broker?.cleanup();
    }
  });

  it('serves every other partition and admin operation while the corrupt one is offline; SIGTERM still stops cleanly', async () => {
    wire = await WireClient.connect(broker!.host, broker!.port);
    await createTopic(wire, 'good');
    await createTopic(wire, 'bad');
    for (const topic of ['good', 'bad']) assert.equal((await wire.produce(topic, 0, batchOf(`${topic}-0`))).errorCode, 0);
    const epochBefore = (await partitionMetadata(wire, 'good')).leaderEpoch;
    await wire.close();
    assert.equal((await broker!.stop()).code, 0);

    // Structural corruption that makes the open fail whatever the permissions: the segment file is a directory.
    const segment = path.join(broker!.dataDir, 'bad-0', '00000000000000000000.log');
    fs.rmSync(segment);
    fs.mkdirSync(segment);
    await broker!.restart();
    wire = await WireClient.connect(broker!.host, broker!.port);

    const bad = await partitionMetadata(wire, 'bad');
    assert.equal(bad.errorCode, ErrorCode.LEADER_NOT_AVAILABLE);
    assert.equal(bad.leaderId, -1);
    assert.deepEqual(bad.offlineReplicas, [1]);
    assert.equal((await wire.produce('bad', 0, batchOf('bad-1'))).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(metricValue(await broker!.metricsText(), 'strata_offline_partitions'), 1);

    const good = await partitionMetadata(wire, 'good');
    assert.equal(good.errorCode, 0);
    assert.equal(good.leaderId, 1);
    assert.ok(good.leaderEpoch > epochBefore, `leader epoch ${good.leaderEpoch} after a restart, ${epochBefore} before`);
    assert.equal((await wire.produce('good', 0, batchOf('good-1'))).errorCode, 0);
    assert.deepEqual(await labels(wire, 'good'), ['0:good-0', '1:good-1']);
    const batches = await wire.readBatches('good', 0);
    assert.deepEqual(
      batches.map((b) => b.header.partitionLeaderEpoch),
      [epochBefore, good.leaderEpoch],
    );
    // The follower's question: where does the old epoch end? Where the restarted leader's begins.
    const epochs = await wire.client.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, 4, {
      replicaId: -2,
      topics: [{ topic: 'good', partitions: [{ partition: 0, currentLeaderEpoch: good.leaderEpoch, leaderEpoch: epochBefore }] }],
    });
    const answer = epochs.topics[0].partitions[0];
    assert.equal(answer.errorCode, 0);
    assert.deepEqual([answer.leaderEpoch, answer.endOffset], [epochBefore, 1]);

    // Admin operations keep working: create a topic and use it.
    await createTopic(wire, 'later');
    assert.equal((await wire.produce('later', 0, batchOf('later-0'))).errorCode, 0);
    await wire.close();
    assert.equal((await broker!.stop()).code, 0, 'SIGTERM with an offline partition');

    // Still offline after another start (the file is still a directory); deleting the topic clears it.
    await broker!.restart();
    wire = await WireClient.connect(broker!.host, broker!.port);
    assert.equal(metricValue(await broker!.metricsText(), 'strata_offline_partitions'), 1);
    const deleted = await wire.client.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 5, { topics: [], topicNames: ['bad'], timeoutMs: 30_000 });
    assert.equal(deleted.responses[0].errorCode, 0);
    assert.equal(metricValue(await broker!.metricsText(), 'strata_offline_partitions'), 0);
    assert.deepEqual(await labels(wire, 'later'), ['0:later-0']);
    await wire.close();
    assert.equal((await broker!.stop()).code, 0);
  });
});
