// Two broker processes sharing one local object store directory (each its own node id and data dir): the metadata
// log is shared, so a topic created through broker 1 appears in broker 2's Metadata (its tailer applies the entry),
// one broker holds the controller lease (strata_active_controller 1), and when it is killed with SIGKILL the other
// takes the lease over within the lease timeout and admin operations work through it.
import { strict as assert } from 'node:assert';
import { BrokerProcess } from './helpers/broker-process';
import { makeTempDir, removeTempDir, waitFor } from './helpers/util';
import { KafkaClient } from '../broker/src/protocol/client';
import { ApiKey } from '../broker/src/protocol/apis';
import type { CreateTopicsResponse, MetadataResponse } from '../broker/src/protocol/schema/types';

const LEASE_MS = 2000;

describe('cluster metadata: two broker processes on one object store', function () {
  this.timeout(120_000);
  const shared = makeTempDir('cluster-objects');
  const brokers: BrokerProcess[] = [];
  const clients: KafkaClient[] = [];

  const start = async (nodeId: number) => {
    const b = await BrokerProcess.start({
      name: `cluster-b${nodeId}`,
      extraArgs: ['--node-id', String(nodeId), '--object-store-dir', shared, '--controller-lease-ms', String(LEASE_MS)],
    });
    brokers.push(b);
    return b;
  };
  const connect = async (b: BrokerProcess) => {
    const c = await KafkaClient.connect({ host: b.host, port: b.port, clientId: 'cluster-metadata-test' });
    clients.push(c);
    return c;
  };
  const createTopic = async (b: BrokerProcess, name: string) => {
    const res = await (await connect(b)).request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: [{ name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    return res.topics[0].errorCode;
  };
  const metadata = async (b: BrokerProcess) =>
    (await connect(b)).request<MetadataResponse>(ApiKey.Metadata, 12, {
      topics: null,
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
  const controllerActive = async (b: BrokerProcess) => {
    const m = /^strata_active_controller (\d+)$/m.exec(await b.metricsText());
    assert.ok(m, 'strata_active_controller is exported');
    return Number(m[1]);
  };

  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    for (const b of brokers) await b.cleanup();
    removeTempDir(shared);
  });

  it('a topic created on broker 1 appears in broker 2 Metadata, and both brokers are listed', async () => {
    const b1 = await start(1);
    const b2 = await start(2);
    assert.equal(await createTopic(b1, 'made-on-one'), 0);
    const md = await waitFor(
      async () => {
        const m = await metadata(b2);
        return m.topics.some((t) => t.name === 'made-on-one' && t.partitions.length === 2) && m;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: 'broker 2 to list the topic made on broker 1' },
    );
    assert.deepEqual(md.brokers.map((b) => b.nodeId).sort(), [1, 2]);
    const propagated = /^strata_metadata_propagation_seconds_count (\d+)$/m.exec(await b2.metricsText());
    assert.ok(propagated && Number(propagated[1]) > 0, 'broker 2 measured the propagation of entries broker 1 wrote');
  });

  it('the lease holder is the one active controller; after it is killed the other takes over and serves admin requests', async () => {
    const [b1, b2] = brokers;
    assert.deepEqual([await controllerActive(b1), await controllerActive(b2)], [1, 0]);
    await b1.kill9();
    const killedAt = Date.now();
    await waitFor(async () => (await controllerActive(b2)) === 1, { timeoutMs: 5 * LEASE_MS, intervalMs: 50, what: 'broker 2 to become the active controller' });
    const tookMs = Date.now() - killedAt;
    assert.ok(tookMs >= LEASE_MS / 2, `took over ${tookMs} ms after the kill: before the lease could have expired`);
    assert.equal(await createTopic(b2, 'made-on-two'), 0);
    assert.match(b2.logTail(400), /active controller.*"epoch":2/);
  });

  it('a broker stopped with SIGTERM resigns the lease and the restarted other broker takes it over', async () => {
    const [b1, b2] = brokers;
    await b1.restart();
    await waitFor(async () => (await metadata(b1)).topics.some((t) => t.name === 'made-on-two'), { timeoutMs: 30_000, intervalMs: 50, what: 'restarted broker 1 to see the topic made on broker 2' });
    assert.equal(await controllerActive(b1), 0);
    await b2.stop();
    assert.match(b2.logTail(100), /resigned the controller lease/);
    await waitFor(async () => (await controllerActive(b1)) === 1, { timeoutMs: 5 * LEASE_MS, intervalMs: 50, what: 'broker 1 to take over the resigned lease' });
    assert.equal(await createTopic(b1, 'made-on-one-again'), 0);
  });
});
