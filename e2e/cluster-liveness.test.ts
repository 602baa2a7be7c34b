// Cluster liveness with three broker processes sharing one local object store (each its own data dir, node id
// and ports): a broker stopped with SIGTERM hands its leaderships over (controlled shutdown) before it exits; a
// broker killed with SIGKILL is fenced after the session timeout and its leaderships move to the other ISR
// members; restarted, it registers again (unfenced, out of the ISRs until it has caught up); a paused broker is
// fenced and unfenced once it heartbeats again. Observed as a client would: Metadata from the other brokers.
// Needs metadata tailing and the controller lease (cluster mode).
import { strict as assert } from 'node:assert';
import { KafkaClient } from '../broker/src/protocol/client';
import { ApiKey } from '../broker/src/protocol/apis';
import { ZERO_UUID } from '../broker/src/protocol/codec';
import { ErrorCode } from '../broker/src/protocol/errors';
import type { CreateTopicsResponse, MetadataResponse, MetadataResponsePartition } from '../broker/src/protocol/schema/types';
import { BrokerProcess } from './helpers/broker-process';
import { makeTempDir, removeTempDir, uniqueName, waitFor } from './helpers/util';

const SESSION_MS = 3000;
const LEASE_MS = 2000;
/** Fencing takes a session timeout, plus a lease takeover when the controller itself died. */
const FAILOVER_MS = 30_000;

describe('cluster liveness: fencing, re-registration and controlled shutdown (3 broker processes)', function () {
  this.timeout(180_000);
  let objects: string;
  const brokers = new Map<number, BrokerProcess>();
  const topic = uniqueName('liveness');

  async function metadata(b: BrokerProcess): Promise<MetadataResponse> {
    const client = await KafkaClient.connect({ host: b.host, port: b.port, clientId: 'liveness-test', timeoutMs: 5000 });
    try {
      await client.apiVersions();
      const v = client.pickVersion(ApiKey.Metadata, 12);
      return await client.request<MetadataResponse>(ApiKey.Metadata, v, {
        topics: [{ topicId: ZERO_UUID, name: topic }],
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
    } finally {
      await client.close();
    }
  }

  /** The topic's partitions as broker `b` reports them (undefined until it knows the topic). */
  async function partitions(b: BrokerProcess): Promise<MetadataResponsePartition[] | undefined> {
    const t = (await metadata(b)).topics.find((x) => x.name === topic);
    return t && t.errorCode === ErrorCode.NONE ? [...t.partitions].sort((a, c) => a.partitionIndex - c.partitionIndex) : undefined;
  }

  const alive = () => [...brokers.entries()].filter(([, b]) => b.isAlive());

  before(async function () {
    objects = makeTempDir('cluster-objects');
    for (const nodeId of [1, 2, 3]) {
      brokers.set(
        nodeId,
        await BrokerProcess.start({
          name: `broker-${nodeId}`,
          extraArgs: [
            '--node-id', String(nodeId),
            '--object-store-dir', objects,
            '--broker-session-timeout-ms', String(SESSION_MS),
            '--broker-heartbeat-interval-ms', '200',
            '--controller-lease-ms', String(LEASE_MS),
            '--metadata-poll-interval-ms', '100',
          ],
        }),
      );
    }
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    for (const [id, b] of brokers) console.log(`--- broker ${id} log tail ---\n${b.logTail(30)}`);
  });

  after(async function () {
    for (const b of brokers.values()) await b.cleanup();
    if (objects) removeTempDir(objects);
  });

  it('every broker sees the three brokers and a replicated topic with full ISRs', async () => {
    const b1 = brokers.get(1)!;
    const client = await KafkaClient.connect({ host: b1.host, port: b1.port, clientId: 'liveness-test' });
    try {
      await client.apiVersions();
      const res = await client.request<CreateTopicsResponse>(ApiKey.CreateTopics, client.pickVersion(ApiKey.CreateTopics, 7), {
        topics: [{ name: topic, numPartitions: 3, replicationFactor: 3, assignments: [], configs: [] }],
        timeoutMs: 10_000,
        validateOnly: false,
      });
      assert.equal(res.topics[0].errorCode, ErrorCode.NONE, res.topics[0].errorMessage ?? '');
    } finally {
      await client.close();
    }
    for (const b of brokers.values()) {
      await waitFor(
        async () => {
          const md = await metadata(b);
          const ps = await partitions(b);
          return md.brokers.length === 3 && ps?.length === 3 && ps.every((p) => p.leaderId > 0 && p.isrNodes.length === 3);
        },
        { timeoutMs: FAILOVER_MS, what: `broker on port ${b.port} to list 3 brokers and ${topic} with 3 in-sync replicas per partition` },
      );
    }
  });

  it('SIGTERM hands the broker\'s leaderships over before it exits (controlled shutdown)', async () => {
    let leaders = await waitFor(() => partitions(alive()[0][1]), { timeoutMs: FAILOVER_MS, what: `${topic} described` });
    const target = leaders.find((p) => p.leaderId > 0 && brokers.get(p.leaderId)!.isAlive())!.leaderId;
    const exit = await brokers.get(target)!.stop(30_000);
    assert.equal(exit.code, 0);
    assert.doesNotMatch(brokers.get(target)!.logTail(200), /controlled shutdown did not complete/);
    const [, other] = alive()[0];
    leaders = await waitFor(
      async () => {
        const ps = await partitions(other);
        return ps?.every((p) => p.leaderId !== target) ? ps : undefined;
      },
      { timeoutMs: FAILOVER_MS, what: `no partition led by broker ${target} after its controlled shutdown` },
    );
    assert.ok(leaders.every((p) => p.leaderId > 0), 'every partition still has a leader');
    // Back for the next tests: registered again, out of the ISRs until it has caught up.
    await brokers.get(target)!.restart();
  });

  it('a killed leader is fenced: its leaderships move to ISR members and it leaves the ISRs', async () => {
    // Broker 1 may have just restarted (the test before): wait until it serves the topic again.
    const before = await waitFor(() => partitions(brokers.get(1)!), { timeoutMs: FAILOVER_MS, what: `broker 1 to know ${topic}` });
    const victim = before[0].leaderId;
    await brokers.get(victim)!.kill9();
    const [, survivor] = alive()[0];
    const after = await waitFor(
      async () => {
        const ps = await partitions(survivor);
        return ps?.every((p) => p.leaderId > 0 && p.leaderId !== victim && !p.isrNodes.includes(victim)) ? ps : undefined;
      },
      { timeoutMs: FAILOVER_MS, what: `partitions led by other brokers than the killed broker ${victim}, without it in any ISR` },
    );
    assert.ok(after[0].leaderEpoch > before[0].leaderEpoch, 'the leadership change bumped the leader epoch');
    await waitFor(async () => !(await metadata(survivor)).brokers.some((b) => b.nodeId === victim), {
      timeoutMs: FAILOVER_MS,
      what: `the fenced broker ${victim} to be left out of Metadata`,
    });

    // Restarted (same disk), it registers again: unfenced (listed again), leading nothing until it is back in an ISR.
    await brokers.get(victim)!.restart();
    await waitFor(async () => (await metadata(survivor)).brokers.some((b) => b.nodeId === victim), {
      timeoutMs: FAILOVER_MS,
      what: `the restarted broker ${victim} to be listed again`,
    });
    const now = await waitFor(() => partitions(brokers.get(victim)!), { timeoutMs: FAILOVER_MS, what: `the restarted broker ${victim} to describe ${topic}` });
    assert.ok(now.every((p) => p.leaderId !== victim || p.isrNodes.includes(victim)));
  });

  it('a paused broker (SIGSTOP past the session timeout) is fenced, and unfenced once it heartbeats again', async () => {
    const [pausedId, paused] = alive()[alive().length - 1];
    const [, observer] = alive()[0];
    process.kill(paused.pid!, 'SIGSTOP');
    try {
      await waitFor(async () => !(await metadata(observer)).brokers.some((b) => b.nodeId === pausedId), {
        timeoutMs: FAILOVER_MS,
        what: `the paused broker ${pausedId} to be fenced (left out of Metadata)`,
      });
      const ps = await waitFor(() => partitions(observer), { timeoutMs: FAILOVER_MS, what: `broker ${observer.port} to describe ${topic}` });
      assert.ok(ps.every((p) => p.leaderId !== pausedId), 'it leads nothing');
    } finally {
      process.kill(paused.pid!, 'SIGCONT');
    }
    await waitFor(async () => (await metadata(observer)).brokers.some((b) => b.nodeId === pausedId), {
      timeoutMs: FAILOVER_MS,
      what: `the resumed broker ${pausedId} to be unfenced (listed again)`,
    });
  });

});
