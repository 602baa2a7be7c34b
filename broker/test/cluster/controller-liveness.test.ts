// The controller's liveness operations over a real metadata log in a temp-dir object store: registration
// (incarnations, leaving ISRs, the single-broker bootstrap behaviour), fencing and unfencing, controlled
// shutdown, AlterPartition-style ISR changes and ElectLeaders. A second MetadataLog reading the same store
// checks that each operation is one entry that replays to the same image.
import { strict as assert } from 'node:assert';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Controller, type BrokerRegistration } from '../../src/cluster/controller';
import { MetadataLog } from '../../src/cluster/metadata-log';
import type { MetadataImage, PartitionState } from '../../src/cluster/metadata-image';
import { ErrorCode, KafkaError } from '../../src/protocol/errors';
import { LocalObjectStore } from '../../src/tier/local-object-store';

async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => err instanceof KafkaError && err.code === code);
}

const reg = (nodeId: number, incarnationId = `inc-${nodeId}`): BrokerRegistration => ({ nodeId, host: 'localhost', port: 9090 + nodeId, rack: null, incarnationId });

describe('controller: registration, fencing, shutdown, ISR changes and elections', () => {
  let dir: string;
  let image: MetadataImage;
  /** Controllers as each broker would run them (same image: the metadata tailer is not part of these tests). */
  let controllers: Map<number, Controller>;
  let c: Controller;

  async function start(opts: { unclean?: boolean } = {}): Promise<void> {
    const log = new MetadataLog(new LocalObjectStore(dir), 'test/');
    image = await log.load();
    controllers = new Map([1, 2, 3].map((id) => [id, new Controller(image, log, id, { uncleanLeaderElectionEnable: opts.unclean })]));
    c = controllers.get(1)!;
    for (const id of [1, 2, 3]) await c.registerBroker(reg(id), 'cluster-1');
    await c.claimController(1); // broker 1 is the active controller: liveness decisions are its
  }

  async function topic(name: string, assignments: number[][], configs: Record<string, string> = {}): Promise<string> {
    const { topicId } = await c.createTopic({ name, numPartitions: assignments.length, replicationFactor: assignments[0].length, assignments, configs }, false);
    return topicId!;
  }

  const state = (name: string, partition = 0): PartitionState => image.topicsByName.get(name)!.partitions[partition];

  /** The image a broker starting now would load: replaying the log gives what the operations left in memory. */
  async function replayed(): Promise<MetadataImage> {
    return new MetadataLog(new LocalObjectStore(dir), 'test/').load();
  }

  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-controller-liveness-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('registers brokers unfenced with their incarnation and the cluster id once', async () => {
    await start();
    assert.equal(image.clusterId, 'cluster-1');
    assert.deepEqual([...image.brokers.values()].map((b) => [b.nodeId, b.incarnationId, b.fenced]), [[1, 'inc-1', false], [2, 'inc-2', false], [3, 'inc-3', false]]);
    const again = await replayed();
    assert.equal(again.brokers.get(2)!.incarnationId, 'inc-2');
  });

  it('a single-broker restart keeps leading its partitions with the next epoch (bootstrap behaviour)', async () => {
    await start();
    await topic('solo', [[1]]);
    await c.registerBroker(reg(1));
    assert.deepEqual(state('solo'), { partition: 0, leader: 1, leaderEpoch: 1, replicas: [1], isr: [1] });
    await c.bootstrap('cluster-1', 'localhost', 9091);
    assert.equal(state('solo').leaderEpoch, 2);
  });

  it('a restarting broker leaves every ISR where another alive member can lead, in one entry', async () => {
    await start();
    await topic('t', [[1, 2, 3], [2, 1, 3], [3, 2, 1]]);
    const before = image.offset;
    await c.registerBroker(reg(1));
    assert.deepEqual(state('t', 0), { partition: 0, leader: 2, leaderEpoch: 1, replicas: [1, 2, 3], isr: [2, 3] });
    assert.deepEqual(state('t', 1), { partition: 1, leader: 2, leaderEpoch: 0, replicas: [2, 1, 3], isr: [2, 3] });
    assert.deepEqual(state('t', 2), { partition: 2, leader: 3, leaderEpoch: 0, replicas: [3, 2, 1], isr: [3, 2] });
    assert.equal(image.offset - before, 3, 'three partition records, no broker record (nothing about it changed)');
    assert.deepEqual((await replayed()).topicsByName.get('t')!.partitions, image.topicsByName.get('t')!.partitions);
  });

  it('fencing moves leaderships and shrinks ISRs; unfencing gives leaderless partitions their leader back', async () => {
    await start();
    await topic('t', [[1, 2], [2, 1]]);
    await topic('solo', [[1]]);
    await c.fenceBrokers([1]);
    assert.equal(image.brokers.get(1)!.fenced, true);
    assert.deepEqual(state('t', 0), { partition: 0, leader: 2, leaderEpoch: 1, replicas: [1, 2], isr: [2] });
    assert.deepEqual(state('solo'), { partition: 0, leader: -1, leaderEpoch: 1, replicas: [1], isr: [1] });
    assert.deepEqual(state('t', 1), { partition: 1, leader: 2, leaderEpoch: 0, replicas: [2, 1], isr: [2] });
    await c.fenceBrokers([1]); // already fenced: nothing written
    const offset = image.offset;
    await c.fenceBrokers([1, 99]);
    assert.equal(image.offset, offset);
    await c.unfenceBroker(1);
    assert.equal(image.brokers.get(1)!.fenced, false);
    assert.deepEqual(state('solo'), { partition: 0, leader: 1, leaderEpoch: 2, replicas: [1], isr: [1] });
    assert.equal(state('t', 0).leader, 2, 'an alive leader stays');
    const again = await replayed();
    assert.equal(again.brokers.get(1)!.fenced, false);
    assert.deepEqual(again.topicsByName.get('t')!.partitions, image.topicsByName.get('t')!.partitions);
  });

  it('fencing, unfencing and controlled shutdown are refused (NOT_CONTROLLER) once the log names another controller', async () => {
    await start();
    await controllers.get(2)!.claimController(2); // broker 2 took the lease over while broker 1 was paused
    await rejectsWith(c.fenceBrokers([3]), ErrorCode.NOT_CONTROLLER);
    await rejectsWith(c.unfenceBroker(3), ErrorCode.NOT_CONTROLLER);
    await rejectsWith(c.shutDownBroker(3), ErrorCode.NOT_CONTROLLER);
    assert.equal(image.brokers.get(3)!.fenced, false, 'nothing written');
    await controllers.get(2)!.fenceBrokers([3]);
    assert.equal(image.brokers.get(3)!.fenced, true, 'the new controller decides');
  });

  it('fencing two brokers at once never elects one of them', async () => {
    await start();
    await topic('t', [[1, 2, 3]]);
    await c.fenceBrokers([1, 2]);
    assert.deepEqual(state('t'), { partition: 0, leader: 3, leaderEpoch: 1, replicas: [1, 2, 3], isr: [3] });
  });

  it('unclean.leader.election.enable (broker default or topic config) elects outside the ISR', async () => {
    await start();
    await topic('clean', [[1, 2]]);
    await topic('dirty', [[1, 2]], { 'unclean.leader.election.enable': 'true' });
    await controllers.get(1)!.alterIsr(image.topicsByName.get('clean')!.topicId, 0, 0, [1]);
    await controllers.get(1)!.alterIsr(image.topicsByName.get('dirty')!.topicId, 0, 0, [1]);
    await c.fenceBrokers([1]);
    assert.deepEqual(state('clean'), { partition: 0, leader: -1, leaderEpoch: 1, replicas: [1, 2], isr: [1] });
    assert.deepEqual(state('dirty'), { partition: 0, leader: 2, leaderEpoch: 1, replicas: [1, 2], isr: [2] });
  });

  it('a wiped broker (new incarnation) that was the only ISR member does not lead', async () => {
    await start();
    await topic('t', [[1, 2]]);
    await c.alterIsr(image.topicsByName.get('t')!.topicId, 0, 0, [1]);
    await c.fenceBrokers([2]);
    await c.registerBroker(reg(1, 'wiped'));
    assert.equal(image.brokers.get(1)!.incarnationId, 'wiped');
    assert.deepEqual(state('t'), { partition: 0, leader: -1, leaderEpoch: 1, replicas: [1, 2], isr: [] });
  });

  it('controlled shutdown hands leaderships over and reports what is left', async () => {
    await start();
    await topic('t', [[1, 2], [2, 1]]);
    await topic('solo', [[1]]);
    assert.deepEqual(await c.shutDownBroker(1), { pending: 0 });
    assert.deepEqual(state('t', 0), { partition: 0, leader: 2, leaderEpoch: 1, replicas: [1, 2], isr: [2] });
    assert.deepEqual(state('t', 1), { partition: 1, leader: 2, leaderEpoch: 0, replicas: [2, 1], isr: [2] });
    assert.deepEqual(state('solo'), { partition: 0, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1] }, 'nobody else can lead it');
    assert.equal(c.isAlive(1), false);
    // Shutting down, it is never elected: fencing 2 leaves the partition without a leader.
    await c.fenceBrokers([2]);
    assert.equal(state('t', 0).leader, -1);
    // Registering again, or heartbeating without wantShutDown, ends the shutdown.
    await c.registerBroker(reg(1));
    assert.equal(c.isAlive(1), true);
    await c.shutDownBroker(1);
    c.cancelShutdown(1);
    assert.equal(c.isAlive(1), true);
    await rejectsWith(c.shutDownBroker(42), ErrorCode.BROKER_ID_NOT_REGISTERED);
  });

  it('alterIsr: only the leader with its current epoch, with a valid ISR of eligible replicas', async () => {
    await start();
    const id = await topic('t', [[1, 2, 3]]);
    const leader = controllers.get(1)!;
    await leader.alterIsr(id, 0, 0, [1, 3]);
    assert.deepEqual(state('t'), { partition: 0, leader: 1, leaderEpoch: 0, replicas: [1, 2, 3], isr: [1, 3] });
    await rejectsWith(leader.alterIsr(id, 0, 7, [1]), ErrorCode.FENCED_LEADER_EPOCH);
    await rejectsWith(controllers.get(2)!.alterIsr(id, 0, 0, [2, 1]), ErrorCode.FENCED_LEADER_EPOCH);
    await rejectsWith(leader.alterIsr(id, 0, 0, [3]), ErrorCode.INVALID_REQUEST);
    await rejectsWith(leader.alterIsr(id, 0, 0, [1, 4]), ErrorCode.INVALID_REQUEST);
    await rejectsWith(leader.alterIsr(id, 0, 0, [1, 1]), ErrorCode.INVALID_REQUEST);
    await rejectsWith(leader.alterIsr(id, 0, 0, []), ErrorCode.INVALID_REQUEST);
    await rejectsWith(leader.alterIsr(id, 1, 0, [1]), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    await rejectsWith(leader.alterIsr('nope', 0, 0, [1]), ErrorCode.UNKNOWN_TOPIC_ID);
    await c.fenceBrokers([2]);
    await rejectsWith(leader.alterIsr(id, 0, 0, [1, 2, 3]), ErrorCode.INELIGIBLE_REPLICA);
    await c.unfenceBroker(2);
    await leader.alterIsr(id, 0, 0, [1, 2, 3]);
    assert.deepEqual(state('t').isr, [1, 2, 3]);
    assert.deepEqual((await replayed()).topicsByName.get('t')!.partitions[0].isr, [1, 2, 3]);
  });

  it('electLeaders: preferred and unclean, per partition or for all', async () => {
    await start();
    await topic('t', [[1, 2], [2, 1], [3, 1]]);
    await c.fenceBrokers([1]); // t-0 moves to 2
    await c.unfenceBroker(1);
    await c.alterIsr(image.topicsByName.get('t')!.topicId, 1, 0, [2, 1]).catch(() => undefined); // 1 is not t-1's leader: refused
    await controllers.get(2)!.alterIsr(image.topicsByName.get('t')!.topicId, 0, 1, [2, 1]);
    const results = await c.electLeaders('preferred', [
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
      { topic: 't', partition: 9 },
    ]);
    assert.deepEqual(
      results.map((r) => [r.partition, r.error?.code ?? 0]),
      [[0, 0], [1, ErrorCode.ELECTION_NOT_NEEDED], [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
    );
    assert.deepEqual(state('t', 0), { partition: 0, leader: 1, leaderEpoch: 2, replicas: [1, 2], isr: [2, 1] });
    assert.deepEqual(await c.electLeaders('preferred', null), [], 'every partition already led by its preferred replica');

    await c.alterIsr(image.topicsByName.get('t')!.topicId, 0, 2, [1]);
    await c.fenceBrokers([1]);
    assert.equal(state('t', 0).leader, -1);
    const unclean = await c.electLeaders('unclean', [{ topic: 't', partition: 0 }, { topic: 't', partition: 2 }]);
    assert.deepEqual(unclean.map((r) => r.error?.code ?? 0), [0, ErrorCode.ELECTION_NOT_NEEDED]);
    assert.deepEqual(state('t', 0), { partition: 0, leader: 2, leaderEpoch: 4, replicas: [1, 2], isr: [2] });
  });
});
