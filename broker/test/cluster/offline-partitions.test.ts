// A partition whose log cannot be opened is offline; the metadata change that created it stays committed
// and reported as done, and every other partition and later admin operation carries on.
import { strict as assert } from 'node:assert';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Controller } from '../../src/cluster/controller';
import { MetadataLog } from '../../src/cluster/metadata-log';
import { ReplicaManager } from '../../src/cluster/replica-manager';
import { DEFAULT_LOG_CONFIG } from '../../src/log/log-config';
import { createLogger, setLogLevel } from '../../src/logger';
import { ErrorCode, KafkaError } from '../../src/protocol/errors';
import { buildRecordBatch } from '../../src/protocol/records';
import { LocalObjectStore } from '../../src/tier/local-object-store';

setLogLevel((process.env.STRATA_LOG_LEVEL as 'debug' | undefined) ?? 'error');
const logger = createLogger('offline-test');

describe('cluster: offline partitions', () => {
  let root = '';
  let replicas: ReplicaManager | undefined;

  beforeEach(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-offline-'));
  });
  afterEach(async () => {
    await replicas?.close();
    replicas = undefined;
    await fsp.rm(root, { recursive: true, force: true });
  });

  async function start() {
    const metadataLog = new MetadataLog(new LocalObjectStore(path.join(root, 'bucket')), 'c/');
    const image = await metadataLog.load();
    const controller = new Controller(image, metadataLog, 1, { logger });
    await controller.bootstrap('c', '127.0.0.1', 9092);
    replicas = new ReplicaManager(path.join(root, 'data'), 1, image, DEFAULT_LOG_CONFIG, 1, logger);
    await replicas.sync();
    controller.onCommitted(() => replicas!.sync());
    return { image, controller, replicas };
  }

  const spec = (name: string, numPartitions = 1) => ({ name, numPartitions, replicationFactor: 1, configs: {} });
  const oneRecord = () => buildRecordBatch({ records: [{ value: Buffer.from('v') }] });

  it('a topic whose log cannot be created is still created; its partition is offline, the others serve', async () => {
    const { image, controller, replicas: rm } = await start();
    await controller.createTopic(spec('fine'), false);
    // Where the new partition's directory should go there is a file: the open fails.
    await fsp.writeFile(path.join(root, 'data', 'blocked-1'), 'not a directory');
    const created = await controller.createTopic(spec('blocked', 2), false);
    assert.ok(created.topicId);
    assert.ok(image.topic('blocked'));

    const blockedId = image.topic('blocked')!.topicId;
    assert.equal(rm.isOffline(blockedId, 1), true);
    assert.equal(rm.isOffline(blockedId, 0), false);
    assert.equal(rm.offlineCount(), 1);
    await assert.rejects(rm.appendRecords('blocked', 1, oneRecord(), -1), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal((await rm.appendRecords('blocked', 0, oneRecord(), -1)).baseOffset, 0);
    assert.equal((await rm.appendRecords('fine', 0, oneRecord(), 1)).baseOffset, 0);

    // Later admin operations: another topic, and deleting the offline one.
    await controller.createTopic(spec('later'), false);
    assert.equal((await rm.appendRecords('later', 0, oneRecord(), 1)).baseOffset, 0);
    await controller.deleteTopic(blockedId);
    assert.equal(rm.offlineCount(), 0);
  });

  it('a corrupt log at start-up leaves only that partition offline, and closing still works', async () => {
    let { controller, replicas: rm } = await start();
    await controller.createTopic(spec('good'), false);
    await controller.createTopic(spec('bad'), false);
    for (const t of ['good', 'bad']) await rm.appendRecords(t, 0, oneRecord(), 1);
    await rm.close();
    const segment = path.join(root, 'data', 'bad-0', '00000000000000000000.log');
    await fsp.rm(segment);
    await fsp.mkdir(segment);

    ({ replicas: rm } = await start());
    assert.equal(rm.offlineCount(), 1);
    assert.throws(() => rm.get('bad', 0), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal((await rm.appendRecords('good', 0, oneRecord(), -1)).baseOffset, 1);
  });
});
