// The leader's side of replication through the Fetch handler, over real partition logs and a real metadata
// image: a follower reads to the log end while consumers read to the high watermark; the followers' fetch
// offsets advance the HW and complete acks=all produces; a follower whose last epoch ends earlier on the leader
// is told where (divergingEpoch); only the leader answers Fetch and Produce, and the refusal names the current
// leader (KIP-951).
import { strict as assert } from 'node:assert';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fetch from '../../src/handlers/fetch';
import produce from '../../src/handlers/produce';
import type { RequestContext } from '../../src/handlers/handler';
import { MetadataLog } from '../../src/cluster/metadata-log';
import type { MetadataImage } from '../../src/cluster/metadata-image';
import type { MetadataRecord } from '../../src/cluster/metadata-records';
import { ReplicaManager } from '../../src/cluster/replica-manager';
import { DEFAULT_LOG_CONFIG } from '../../src/log/log-config';
import type { PartitionLog } from '../../src/log/partition-log';
import { createLogger, setLogLevel } from '../../src/logger';
import { ErrorCode, KafkaError } from '../../src/protocol/errors';
import { buildRecordBatch } from '../../src/protocol/records';
import type { FetchRequest, FetchResponse } from '../../src/protocol/schema/types';
import type { BrokerServices } from '../../src/services';
import { loadConfig } from '../../src/config';
import { BrokerMetrics } from '../../src/metrics/registry';
import { LocalObjectStore } from '../../src/tier/local-object-store';
import { testRequestContext } from '../security/context';

setLogLevel((process.env.STRATA_LOG_LEVEL as 'debug' | undefined) ?? 'error');
const logger = createLogger('follower-fetch-test');

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const LEADER = 1;

type PartitionData = FetchResponse['responses'][number]['partitions'][number];

describe('cluster: follower fetch (leader side)', () => {
  let root = '';
  let replicas: ReplicaManager | undefined;

  beforeEach(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-follower-fetch-'));
  });
  afterEach(async () => {
    await replicas?.close();
    replicas = undefined;
    await fsp.rm(root, { recursive: true, force: true });
  });

  /** Broker 1 of a three-broker cluster with topic t: one partition on [1, 2, 3] led by `leader`. */
  async function start(leader = LEADER) {
    const metadataLog = new MetadataLog(new LocalObjectStore(path.join(root, 'bucket')), 'c/');
    const image = await metadataLog.load();
    const records: MetadataRecord[] = [{ type: 'cluster', clusterId: 'c' }];
    for (const nodeId of [1, 2, 3]) records.push({ type: 'broker', nodeId, host: '127.0.0.1', port: 9090 + nodeId, rack: null, incarnationId: `i${nodeId}`, fenced: false });
    records.push({ type: 'topic', name: 't', topicId: TOPIC_ID }, { type: 'partition', topicId: TOPIC_ID, partition: 0, leader, leaderEpoch: 0, replicas: [1, 2, 3], isr: [1, 2, 3] });
    await metadataLog.append(records, image, { nodeId: 1, position: metadataLog.position });
    const rm = new ReplicaManager(path.join(root, 'data'), LEADER, image, DEFAULT_LOG_CONFIG, 2, logger, null, {
      alterIsr: async (topicId, partition, leaderEpoch, isr) => {
        const state = image.topicsById.get(topicId)!.partitions[partition];
        await metadataLog.append([{ type: 'partition', topicId, ...state, leaderEpoch, isr }], image, { nodeId: 1, position: metadataLog.position });
        await rm.sync();
      },
    });
    replicas = rm;
    await rm.sync();
    const bump = async (changes: { leader?: number; isr?: number[] }) => {
      const state = image.topicsById.get(TOPIC_ID)!.partitions[0];
      await metadataLog.append([{ type: 'partition', topicId: TOPIC_ID, ...state, ...changes, leaderEpoch: state.leaderEpoch + 1 }], image, { nodeId: 1, position: metadataLog.position });
      await rm.sync();
    };
    return { image, replicas: rm, bump, log: () => rm.get('t', 0).log };
  }

  function context(image: MetadataImage, rm: ReplicaManager, apiVersion = 17): RequestContext {
    const services = { replicas: rm, image, logger, config: loadConfig([], {}), metrics: new BrokerMetrics({ defaultMetrics: false }) } as unknown as BrokerServices;
    return testRequestContext(services, { apiVersion });
  }

  /** One partition's fetch: by a follower when replicaId >= 0, else by a consumer. */
  async function fetchOne(
    ctx: RequestContext,
    opts: { replicaId: number; fetchOffset: number; lastFetchedEpoch?: number; currentLeaderEpoch?: number; maxWaitMs?: number; minBytes?: number },
  ): Promise<{ data: PartitionData; response: FetchResponse }> {
    const req: FetchRequest = {
      replicaId: -1,
      replicaState: { replicaId: opts.replicaId, replicaEpoch: -1 },
      maxWaitMs: opts.maxWaitMs ?? 0,
      minBytes: opts.minBytes ?? 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: 't',
          topicId: TOPIC_ID,
          partitions: [{ partition: 0, currentLeaderEpoch: opts.currentLeaderEpoch ?? -1, fetchOffset: opts.fetchOffset, lastFetchedEpoch: opts.lastFetchedEpoch ?? -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    };
    const response = (await fetch.handle(req, ctx))!;
    return { data: response.responses[0].partitions[0], response };
  }

  /** Resolves at the log's next append (registered before the write completes: the write is asynchronous). */
  const appended = (log: PartitionLog) => new Promise((resolve) => log.once('append', resolve));
  const bytes = (d: PartitionData) => (d.records as Buffer | null)?.length ?? 0;
  const batch = (n: number) => buildRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`v${i}`) })) });

  it('a follower reads to the log end, a consumer to the HW; the followers\' fetch offsets move the HW and complete acks=all', async () => {
    const { image, replicas: rm, log } = await start();
    const ctx = context(image, rm);
    const acked = rm.appendRecords('t', 0, batch(3), -1, 30_000);
    let ackedDone = false;
    void acked.then(() => (ackedDone = true));
    await appended(log());
    assert.equal(log().logEndOffset, 3);
    assert.equal(log().highWatermark, 0, 'no follower has the records yet');

    const consumer = await fetchOne(ctx, { replicaId: -1, fetchOffset: 0 });
    assert.equal(bytes(consumer.data), 0, 'a consumer sees nothing above the HW');
    const follower = await fetchOne(ctx, { replicaId: 2, fetchOffset: 0 });
    assert.equal(follower.data.errorCode, ErrorCode.NONE);
    assert.ok(bytes(follower.data) > 0, 'a follower reads past the HW');
    assert.equal(follower.data.highWatermark, 0);

    await fetchOne(ctx, { replicaId: 2, fetchOffset: 3, lastFetchedEpoch: 0 });
    assert.equal(log().highWatermark, 0, 'follower 3 has not fetched: the HW holds');
    assert.equal(ackedDone, false);
    await fetchOne(ctx, { replicaId: 3, fetchOffset: 3, lastFetchedEpoch: 0 });
    assert.equal(log().highWatermark, 3);
    assert.equal((await acked).baseOffset, 0);
    assert.ok(bytes((await fetchOne(ctx, { replicaId: -1, fetchOffset: 0 })).data) > 0, 'now the consumer reads them');
  });

  it('a consumer long poll wakes when a follower fetch moves the HW', async () => {
    const { image, replicas: rm, log } = await start();
    const ctx = context(image, rm);
    await fetchOne(ctx, { replicaId: 2, fetchOffset: 0 });
    await fetchOne(ctx, { replicaId: 3, fetchOffset: 0 });
    await rm.appendRecords('t', 0, batch(2), 1);
    const polling = fetchOne(ctx, { replicaId: -1, fetchOffset: 0, maxWaitMs: 60_000, minBytes: 1 });
    await fetchOne(ctx, { replicaId: 2, fetchOffset: 2, lastFetchedEpoch: 0 });
    await fetchOne(ctx, { replicaId: 3, fetchOffset: 2, lastFetchedEpoch: 0 });
    assert.equal(log().highWatermark, 2);
    const woken = await polling; // would take 60 s without the wake-up (mocha's timeout is shorter)
    assert.ok(bytes(woken.data) > 0);
  });

  it('answers divergingEpoch when the follower\'s last epoch ends earlier on the leader', async () => {
    const { image, replicas: rm, bump } = await start();
    const ctx = context(image, rm);
    await rm.appendRecords('t', 0, batch(5), 1); // epoch 0: offsets 0-4
    await bump({}); // epoch 1: nothing written by this leader
    await bump({}); // epoch 2: offsets 5-6
    await rm.appendRecords('t', 0, batch(2), 1);
    // The follower wrote offsets 5-7 under epoch 1 (as some other leader) that this leader never had.
    // Answered at once, not after the long poll (the follower must truncate first).
    const { data } = await fetchOne(ctx, { replicaId: 2, fetchOffset: 8, lastFetchedEpoch: 1, currentLeaderEpoch: 2, maxWaitMs: 60_000, minBytes: 1 });
    assert.equal(data.errorCode, ErrorCode.NONE);
    assert.deepEqual(data.divergingEpoch, { epoch: 0, endOffset: 5 });
    assert.equal(bytes(data), 0);
    // Same epoch as the leader's latest, but past its end.
    const past = await fetchOne(ctx, { replicaId: 2, fetchOffset: 9, lastFetchedEpoch: 2, currentLeaderEpoch: 2 });
    assert.deepEqual(past.data.divergingEpoch, { epoch: 2, endOffset: 7 });
    // In step: no divergence, records.
    const fine = await fetchOne(ctx, { replicaId: 2, fetchOffset: 5, lastFetchedEpoch: 0, currentLeaderEpoch: 2 });
    assert.equal(fine.data.divergingEpoch?.endOffset ?? -1, -1);
    assert.ok(bytes(fine.data) > 0);
  });

  it('refuses fetches from non-replicas, below the log start and with a stale epoch', async () => {
    const { image, replicas: rm, bump } = await start();
    const ctx = context(image, rm);
    await rm.appendRecords('t', 0, batch(4), 1);
    assert.equal((await fetchOne(ctx, { replicaId: 7, fetchOffset: 0 })).data.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.equal((await fetchOne(ctx, { replicaId: 2, fetchOffset: 9 })).data.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    await bump({});
    assert.equal((await fetchOne(ctx, { replicaId: 2, fetchOffset: 0, currentLeaderEpoch: 0 })).data.errorCode, ErrorCode.FENCED_LEADER_EPOCH);
  });

  it('a follower of the partition refuses produce and fetch with NOT_LEADER_OR_FOLLOWER naming the leader', async () => {
    const { image, replicas: rm } = await start(2);
    const ctx = context(image, rm);
    await assert.rejects(rm.appendRecords('t', 0, batch(1), 1), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const produced = (await produce.handle({ transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records: batch(1) }] }] }, context(image, rm, 11)))!;
    const refused = produced.responses[0].partitionResponses[0];
    assert.equal(refused.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.deepEqual(refused.currentLeader, { leaderId: 2, leaderEpoch: 0 });
    assert.deepEqual(produced.nodeEndpoints, [{ nodeId: 2, host: '127.0.0.1', port: 9092, rack: null }]);
    assert.equal(rm.get('t', 0).isLeader, false, 'hosted, as a follower');
    const { data, response } = await fetchOne(ctx, { replicaId: -1, fetchOffset: 0 });
    assert.equal(data.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    assert.deepEqual(data.currentLeader, { leaderId: 2, leaderEpoch: 0 });
    assert.deepEqual(response.nodeEndpoints, [{ nodeId: 2, host: '127.0.0.1', port: 9092, rack: null }]);
  });

  it('acks=all refuses with NOT_ENOUGH_REPLICAS when the ISR is below min.insync.replicas', async () => {
    const { replicas: rm, bump } = await start();
    await bump({ isr: [1] });
    await assert.rejects(rm.appendRecords('t', 0, batch(1), -1), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.NOT_ENOUGH_REPLICAS);
    assert.equal((await rm.appendRecords('t', 0, batch(1), 1)).baseOffset, 0, 'acks=1 still writes');
  });
});
