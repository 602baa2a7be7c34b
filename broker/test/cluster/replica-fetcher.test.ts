// Leader and follower in one process: two ReplicaManagers (nodes 1 and 2, own data dirs) over one metadata image,
// the follower's fetcher calling the leader's Fetch and ListOffsets handlers directly. Proves the whole loop with
// real logs: acks=all completes once the follower has the records and the logs are byte for byte the same; a
// follower that wrote records under an epoch the new leader never had truncates them (divergingEpoch) and
// continues with the leader's; a follower with an empty log below the leader's log start starts there.
import { strict as assert } from 'node:assert';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fetchHandler from '../../src/handlers/fetch';
import listOffsetsHandler from '../../src/handlers/list-offsets';
import type { ApiHandler, RequestContext } from '../../src/handlers/handler';
import { MetadataLog } from '../../src/cluster/metadata-log';
import type { MetadataImage } from '../../src/cluster/metadata-image';
import type { MetadataRecord } from '../../src/cluster/metadata-records';
import { ReplicaManager } from '../../src/cluster/replica-manager';
import { DEFAULT_LOG_CONFIG } from '../../src/log/log-config';
import { createLogger, setLogLevel } from '../../src/logger';
import { ApiKey } from '../../src/protocol/apis';
import { buildRecordBatch } from '../../src/protocol/records';
import type { BrokerServices } from '../../src/services';
import { loadConfig } from '../../src/config';
import { BrokerMetrics } from '../../src/metrics/registry';
import { LocalObjectStore } from '../../src/tier/local-object-store';
import { testRequestContext } from '../security/context';

setLogLevel((process.env.STRATA_LOG_LEVEL as 'debug' | undefined) ?? 'error');
const logger = createLogger('replica-fetcher-test');

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAg';
const HANDLERS = new Map<number, ApiHandler>([
  [ApiKey.Fetch, fetchHandler],
  [ApiKey.ListOffsets, listOffsetsHandler],
]);

/** Resolves once `cond` holds, checking every few milliseconds; fails after `timeoutMs` saying what it waited for. */
async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('cluster: replica fetcher (leader and follower in one process)', function () {
  this.timeout(60_000);
  let root = '';
  const managers = new Map<number, ReplicaManager>();

  beforeEach(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-replica-fetcher-'));
  });
  afterEach(async () => {
    for (const rm of managers.values()) await rm.close();
    managers.clear();
    await fsp.rm(root, { recursive: true, force: true });
  });

  async function start(opts: { leader: number; isr?: number[]; startOffset?: number } = { leader: 1 }) {
    const metadataLog = new MetadataLog(new LocalObjectStore(path.join(root, 'bucket')), 'c/');
    const image = await metadataLog.load();
    const records: MetadataRecord[] = [{ type: 'cluster', clusterId: 'c' }];
    for (const nodeId of [1, 2]) records.push({ type: 'broker', nodeId, host: '127.0.0.1', port: 9090 + nodeId, rack: null, incarnationId: `i${nodeId}`, fenced: false });
    records.push({ type: 'topic', name: 't', topicId: TOPIC_ID }, { type: 'partition', topicId: TOPIC_ID, partition: 0, leader: opts.leader, leaderEpoch: 0, replicas: [1, 2], isr: opts.isr ?? [1, 2] });
    await metadataLog.append(records, image, { nodeId: 1, position: metadataLog.position });
    const fault = { blocked: false };
    const syncAll = async () => {
      for (const rm of managers.values()) await rm.sync();
    };
    const services = (rm: ReplicaManager) =>
      ({ replicas: rm, image, logger, config: loadConfig([], {}), metrics: new BrokerMetrics({ defaultMetrics: false }) }) as unknown as BrokerServices;
    const context = (rm: ReplicaManager, apiVersion: number): RequestContext => testRequestContext(services(rm), { apiVersion, clientId: 'follower' });
    for (const nodeId of [1, 2]) {
      const rm = new ReplicaManager(path.join(root, `broker-${nodeId}`), nodeId, image, DEFAULT_LOG_CONFIG, 1, logger, null, {
        alterIsr: async (topicId, partition, leaderEpoch, isr) => {
          const state = image.topicsById.get(topicId)!.partitions[partition];
          if (state.leaderEpoch !== leaderEpoch) throw new Error('stale epoch');
          await metadataLog.append([{ type: 'partition', topicId, ...state, isr }], image, { nodeId: 1, position: metadataLog.position });
          await syncAll();
        },
        fetcher: {
          // The leader's handlers, called directly. The fault cuts the "network" both ways: a request in flight
          // when it starts (a long poll) loses its response.
          request: async <T>(leaderId: number, apiKey: number, maxVersion: number, body: object): Promise<T> => {
            if (fault.blocked) throw new Error('connection refused (test)');
            const leader = managers.get(leaderId)!;
            const response = await HANDLERS.get(apiKey)!.handle(body, context(leader, maxVersion));
            if (fault.blocked) throw new Error('connection lost (test)');
            return response as T;
          },
          brokerEpoch: () => 1,
          replicaFetchWaitMaxMs: 100,
          replicaFetchMaxBytes: 1 << 20,
          replicaFetchResponseMaxBytes: 1 << 20,
        },
      });
      managers.set(nodeId, rm);
    }
    await syncAll();
    const elect = async (leader: number, isr: number[]) => {
      const state = image.topicsById.get(TOPIC_ID)!.partitions[0];
      await metadataLog.append([{ type: 'partition', topicId: TOPIC_ID, ...state, leader, isr, leaderEpoch: state.leaderEpoch + 1 }], image, { nodeId: 1, position: metadataLog.position });
      await syncAll();
    };
    const log = (nodeId: number) => managers.get(nodeId)!.get('t', 0).log;
    return { image: image as MetadataImage, fault, elect, log, rm: (id: number) => managers.get(id)! };
  }

  const batch = (tag: string, n = 1) => buildRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`${tag}-${i}`) })) });

  /** Every byte of a replica's log from offset 0, read locally (up to its log end). */
  async function contents(rm: ReplicaManager): Promise<Buffer> {
    const log = rm.get('t', 0).log;
    const r = await log.read(log.logStartOffset, 1 << 20, { isolationMaxOffset: log.logEndOffset });
    return r.records;
  }

  it('acks=all completes once the follower has the records; both logs are byte for byte the same', async () => {
    const { log, rm } = await start();
    const results = await Promise.all([rm(1).appendRecords('t', 0, batch('a', 3), -1), rm(1).appendRecords('t', 0, batch('b', 2), -1)]);
    assert.deepEqual(results.map((r) => r.baseOffset), [0, 3]);
    assert.ok(log(2).logEndOffset >= 5, 'acknowledged: the follower has every record');
    await until(() => log(2).highWatermark === 5, 'the follower to learn the HW');
    assert.deepEqual(await contents(rm(2)), await contents(rm(1)));
    assert.equal(log(2).latestEpoch, 0);
  });

  it('a follower that diverged truncates to the new leader\'s history and continues with it', async () => {
    const { log, rm, fault, elect } = await start();
    await rm(1).appendRecords('t', 0, batch('common', 3), -1);
    // The network fails: leader 1 takes two more records (acks=1) that never reach 2.
    fault.blocked = true;
    await rm(1).appendRecords('t', 0, batch('lost', 2), 1);
    assert.equal(log(1).logEndOffset, 5);
    // 2 becomes leader (epoch 1) and writes its own record at offset 3; 1 becomes its follower.
    await elect(2, [2]);
    assert.equal(rm(2).get('t', 0).isLeader, true);
    assert.equal((await rm(2).appendRecords('t', 0, batch('new', 1), 1)).baseOffset, 3);
    fault.blocked = false;
    await until(() => log(1).logEndOffset === 4 && log(1).latestEpoch === 1, 'follower 1 to truncate its epoch-0 tail and fetch the epoch-1 record');
    assert.deepEqual(await contents(rm(1)), await contents(rm(2)));
    // And it rejoins the ISR once caught up.
    await until(() => rm(2).get('t', 0).isr.includes(1), 'follower 1 back in the ISR');
  });

  it('a follower whose fetch offset is below the leader\'s log start starts its log there', async () => {
    const { log, rm, fault } = await start();
    fault.blocked = true; // the follower gets nothing while the leader writes and deletes records
    await rm(1).appendRecords('t', 0, batch('x', 6), 1);
    // Only the leader in the ISR now, so the HW follows the leader's log end and DeleteRecords may move the start.
    const state = rm(1).get('t', 0);
    state.followers!.updateIsr([1]);
    assert.equal(log(1).highWatermark, 6);
    await log(1).deleteRecordsBefore(4);
    assert.equal(log(1).logStartOffset, 4);
    fault.blocked = false;
    await until(() => log(2).logEndOffset === 6, 'the follower to restart at the leader\'s log start and catch up');
    assert.equal(log(2).logStartOffset, 4);
  });
});
