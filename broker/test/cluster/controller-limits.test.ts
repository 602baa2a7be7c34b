// The controller refuses oversized and malformed admin operations before allocating anything: Kafka's bound of
// 10,000 partitions per operation, the broker's max.topics / max.partitions ceilings, and replica assignments
// that are inconsistent. Runs over a real metadata log in a temp-dir object store.
import { strict as assert } from 'node:assert';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Controller } from '../../src/cluster/controller';
import { MetadataLog } from '../../src/cluster/metadata-log';
import { MAX_PARTITIONS_PER_REQUEST, partitionCount, type TopicLimits } from '../../src/cluster/partition-limits';
import type { MetadataImage } from '../../src/cluster/metadata-image';
import { ErrorCode, KafkaError } from '../../src/protocol/errors';
import { LocalObjectStore } from '../../src/tier/local-object-store';

const INT32_MAX = 2 ** 31 - 1;

async function rejectsWith(p: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof KafkaError, `expected a KafkaError, got ${String(err)}`);
    assert.equal(err.code, code, `error ${err.code} (${err.message}), expected ${code}`);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('controller: request bounds and ceilings', () => {
  let dir: string;
  let image: MetadataImage;
  let controller: Controller;

  async function start(limits?: TopicLimits): Promise<void> {
    const log = new MetadataLog(new LocalObjectStore(dir), 'test/');
    image = await log.load();
    controller = new Controller(image, log, 1, { limits });
    await controller.bootstrap('cluster', 'localhost', 9092);
  }

  const topic = (name: string, numPartitions: number, assignments?: number[][]) => ({ name, numPartitions, replicationFactor: 1, assignments, configs: {} });

  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-controller-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('refuses 2^31-1 partitions in one CreateTopics at once, allocating nothing', async () => {
    await start();
    const before = process.memoryUsage().heapUsed;
    await rejectsWith(controller.createTopic(topic('huge', INT32_MAX), false), ErrorCode.POLICY_VIOLATION, /Excessively large number of partitions/);
    await rejectsWith(controller.createTopic(topic('huge', INT32_MAX), true), ErrorCode.POLICY_VIOLATION);
    assert.ok(process.memoryUsage().heapUsed - before < 50 * 1024 * 1024, 'no per-partition allocation happened');
    assert.equal(image.topicsByName.has('huge'), false);
  });

  it('allows exactly the per-request bound, refuses one more', async () => {
    await start();
    await rejectsWith(controller.createTopic(topic('over', MAX_PARTITIONS_PER_REQUEST + 1), true), ErrorCode.POLICY_VIOLATION);
    const r = await controller.createTopic(topic('at', MAX_PARTITIONS_PER_REQUEST), true);
    assert.equal(r.numPartitions, MAX_PARTITIONS_PER_REQUEST);
  });

  it('refuses CreatePartitions to 2^31-1 and a growth above the per-request bound', async () => {
    await start();
    await controller.createTopic(topic('t', 1), false);
    await rejectsWith(controller.createPartitions('t', INT32_MAX, null, false), ErrorCode.POLICY_VIOLATION);
    await rejectsWith(controller.createPartitions('t', MAX_PARTITIONS_PER_REQUEST + 2, null, false), ErrorCode.POLICY_VIOLATION);
    await controller.createPartitions('t', MAX_PARTITIONS_PER_REQUEST + 1, null, true); // exactly 10,000 more: fine
    assert.equal(image.topicsByName.get('t')!.partitions.length, 1);
  });

  it('enforces max.partitions across topics, internal ones included', async () => {
    await start({ maxTopics: 100, maxPartitions: 10 });
    await controller.createTopic(topic('__consumer_offsets', 6), false);
    await controller.createTopic(topic('a', 3), false);
    await rejectsWith(controller.createTopic(topic('b', 2), false), ErrorCode.POLICY_VIOLATION, /max\.partitions/);
    await rejectsWith(controller.createPartitions('a', 5, null, false), ErrorCode.POLICY_VIOLATION, /max\.partitions/);
    await controller.createTopic(topic('b', 1), false);
    assert.equal(partitionCount(image), 10);
    await rejectsWith(controller.createPartitions('a', 4, null, true), ErrorCode.POLICY_VIOLATION);
  });

  it('enforces max.topics', async () => {
    await start({ maxTopics: 2, maxPartitions: 1000 });
    await controller.createTopic(topic('a', 1), false);
    await controller.createTopic(topic('b', 1), false);
    await rejectsWith(controller.createTopic(topic('c', 1), false), ErrorCode.POLICY_VIOLATION, /max\.topics/);
    await controller.deleteTopic(image.topicsByName.get('a')!.topicId);
    await controller.createTopic(topic('c', 1), false);
  });

  it('refuses illegal names with INVALID_TOPIC_EXCEPTION', async () => {
    await start();
    for (const name of ['', '..', 'a b', 'x'.repeat(250), '\ufffd']) {
      await rejectsWith(controller.createTopic(topic(name, 1), false), ErrorCode.INVALID_TOPIC_EXCEPTION);
    }
  });

  it('refuses hostile replica assignments and replication factors', async () => {
    await start();
    await rejectsWith(controller.createTopic({ ...topic('rf', 1), replicationFactor: 32767 }, false), ErrorCode.INVALID_REPLICATION_FACTOR);
    await rejectsWith(controller.createTopic({ ...topic('rf', 1), replicationFactor: -5 }, false), ErrorCode.INVALID_REPLICATION_FACTOR);
    await rejectsWith(controller.createTopic(topic('empty', -1, [[1], []]), false), ErrorCode.INVALID_REPLICA_ASSIGNMENT, /Inconsistent/);
    await rejectsWith(controller.createTopic(topic('unknown', -1, [[7]]), false), ErrorCode.INVALID_REPLICA_ASSIGNMENT, /Unknown broker 7/);
    await rejectsWith(controller.createTopic(topic('dup', -1, [[1, 1]]), false), ErrorCode.INVALID_REPLICATION_FACTOR);
    await controller.createTopic(topic('t', 1), false);
    await rejectsWith(controller.createPartitions('t', 3, [[1], []], false), ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    await rejectsWith(controller.createPartitions('t', 3, [[1]], false), ErrorCode.INVALID_REPLICA_ASSIGNMENT);
    assert.equal(image.topicsByName.get('t')!.partitions.length, 1);
  });

  it('refuses over-long config names and values without quoting them whole', async () => {
    await start();
    await controller.createTopic(topic('t', 1), false);
    for (const changes of [{ ['n'.repeat(30000)]: '1' }, { 'retention.ms': '9'.repeat(30000) }]) {
      await assert.rejects(controller.alterTopicConfigs('t', changes, false), (err: KafkaError) => {
        assert.equal(err.code, ErrorCode.INVALID_CONFIG);
        assert.ok(err.message.length < 1000, `message of ${err.message.length} characters`);
        return true;
      });
    }
  });
});
