// Client quotas against a broker process: set and described with the Java Admin (AlterClientQuotas /
// DescribeClientQuotas), refused for bad input, and enforced. A producer (and a consumer) over its byte rate is
// throttled: responses carry throttle_time_ms and the broker mutes the connection, so the rate measured on the
// client side, after the first window, is not above the quota + 20 %. Another client id, sending at the same
// time, is not held back. The broker runs with a short quota window (quota.window.num 2 × 1 s: rates are
// measured over 1-2 s) so the test takes seconds; each measurement runs 13 s and counts the last 10.
import { strict as assert } from 'node:assert';
import { KafkaClient } from '../broker/src/protocol/client';
import { ApiKey } from '../broker/src/protocol/apis';
import { ZERO_UUID } from '../broker/src/protocol/codec';
import { ErrorCode } from '../broker/src/protocol/errors';
import { buildRecordBatch } from '../broker/src/protocol/records';
import type { AlterClientQuotasResponse, CreateTopicsResponse, DescribeClientQuotasResponse, FetchResponse, MetadataResponse, ProduceResponse } from '../broker/src/protocol/schema/types';
import { requireJavaClient, runJava, summary } from './helpers/java';
import { useBroker } from './helpers/suite';

const QUOTA = 100_000; // bytes per second
const BATCH_VALUE = 10_000;
const RUN_MS = 13_000;
/**
 * By Kafka's sampled-rate design a client may send a burst of one minimum window's worth (window.num - 1 samples)
 * at once, and again whenever the sample holding a burst expires; only the average over many windows is the
 * quota. So the broker runs with quota.window.num 2 × 1 s (bursts of 1 s worth) and the rate is measured over the
 * last 10 s, after the first full window: a burst moves it by at most 10 %.
 */
const WARMUP_MS = 3_000;

interface Sample {
  at: number;
  bytes: number;
}

/** Bytes per second of the samples after the warm-up (the first window's burst allowance is Kafka's too). */
function steadyRate(samples: Sample[], start: number): number {
  const from = start + WARMUP_MS;
  const inWindow = samples.filter((s) => s.at > from);
  const end = inWindow.length > 0 ? inWindow[inWindow.length - 1].at : from;
  const bytes = inWindow.reduce((n, s) => n + s.bytes, 0);
  return (bytes * 1000) / Math.max(end - from, 1);
}

describe('client quotas', function () {
  this.timeout(120_000);
  const ref = useBroker({ name: 'quotas', autoCreateTopics: false, extraArgs: ['--quota-window-num', '2', '--quota-window-size-seconds', '1'] });
  const clients: KafkaClient[] = [];
  const connect = async (clientId: string) => {
    const c = await KafkaClient.connect({ host: ref.broker.host, port: ref.broker.port, clientId, timeoutMs: 60_000 });
    clients.push(c);
    return c;
  };
  const topic = 'quota-data';

  before(async () => {
    requireJavaClient();
    const admin = await connect('quota-admin');
    const created = await admin.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
      topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    assert.equal(created.topics[0].errorCode, 0);
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  it('the Java Admin sets and describes client quotas (client-id and default user entities)', async () => {
    await runJava('quota-alter', [ref.broker.bootstrap, '-', 'slow-producer', `producer_byte_rate=${QUOTA}`]);
    await runJava('quota-alter', [ref.broker.bootstrap, '-', 'slow-consumer', `consumer_byte_rate=${QUOTA}`]);
    await runJava('quota-alter', [ref.broker.bootstrap, 'someone', '-', 'request_percentage=50']);
    const described = summary(await runJava('quota-describe', [ref.broker.bootstrap]), 'quota-describe');
    const entries = (described.entries as Array<{ entity: Record<string, string>; values: Record<string, number> }>).map((e) => JSON.stringify(e)).sort();
    assert.deepEqual(entries, [
      JSON.stringify({ entity: { 'client-id': 'slow-consumer' }, values: { consumer_byte_rate: QUOTA } }),
      JSON.stringify({ entity: { 'client-id': 'slow-producer' }, values: { producer_byte_rate: QUOTA } }),
      JSON.stringify({ entity: { user: 'someone' }, values: { request_percentage: 50 } }),
    ]);
  });

  it('bad AlterClientQuotas/DescribeClientQuotas input gets INVALID_REQUEST per entry, changing nothing', async () => {
    const c = await connect('quota-bad');
    const entry = (entity: Array<{ entityType: string; entityName: string | null }>, key: string, value: number) => ({ entity, ops: [{ key, value, remove: false }] });
    const r = await c.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, 1, {
      entries: [
        entry([{ entityType: 'client-id', entityName: 'x' }], 'no_such_quota', 1),
        entry([{ entityType: 'ip', entityName: '1.2.3.4' }], 'producer_byte_rate', 1),
        entry([{ entityType: 'client-id', entityName: 'x' }, { entityType: 'client-id', entityName: 'y' }], 'producer_byte_rate', 1),
        entry([{ entityType: 'client-id', entityName: 'x' }], 'producer_byte_rate', -5),
        entry([{ entityType: 'client-id', entityName: 'x'.repeat(30_000) }], 'producer_byte_rate', 1),
        entry([], 'producer_byte_rate', 1),
      ],
      validateOnly: false,
    });
    assert.deepEqual(r.entries.map((e) => e.errorCode), Array(6).fill(ErrorCode.INVALID_REQUEST));
    const d = await c.request<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, 1, { components: [{ entityType: 'user', matchType: 7, match: null }], strict: false });
    assert.equal(d.errorCode, ErrorCode.INVALID_REQUEST);
    const all = await c.request<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, 1, { components: [], strict: false });
    assert.equal(all.entries!.length, 3, 'nothing was added');
  });

  it('a producer over producer_byte_rate is throttled to the quota (+20 %) with throttle_time_ms; another client id is not', async () => {
    const slow = await connect('slow-producer');
    const fast = await connect('fast-producer');
    const value = Buffer.alloc(BATCH_VALUE, 7);
    const produceLoop = async (c: KafkaClient, until: number) => {
      const samples: Sample[] = [];
      let maxThrottle = 0;
      while (performance.now() < until) {
        const records = buildRecordBatch({ records: [{ key: null, value }] });
        const r = await c.request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
        assert.equal(r.responses[0].partitionResponses[0].errorCode, 0);
        samples.push({ at: performance.now(), bytes: records.length });
        maxThrottle = Math.max(maxThrottle, r.throttleTimeMs);
      }
      return { samples, maxThrottle };
    };
    const start = performance.now();
    const [s, f] = await Promise.all([produceLoop(slow, start + RUN_MS), produceLoop(fast, start + RUN_MS)]);
    const slowRate = steadyRate(s.samples, start);
    const fastRate = steadyRate(f.samples, start);
    console.log(`      producer_byte_rate ${QUOTA} B/s: throttled client ${Math.round(slowRate)} B/s (max throttle_time_ms ${s.maxThrottle}), other client ${Math.round(fastRate)} B/s`);
    assert.ok(s.maxThrottle > 0, 'throttle_time_ms was reported');
    assert.ok(slowRate <= QUOTA * 1.2, `throttled rate ${slowRate} is above quota + 20 %`);
    assert.ok(slowRate >= QUOTA * 0.4, `throttled rate ${slowRate} is far below the quota: throttled too hard`);
    assert.equal(f.maxThrottle, 0, 'the other client id was never throttled');
    assert.ok(fastRate > QUOTA * 2, `the other client id ran at ${fastRate} B/s`);
  });

  it('a consumer over consumer_byte_rate is throttled to the quota (+20 %); throttled fetches are empty', async () => {
    const c = await connect('slow-consumer');
    const samples: Sample[] = [];
    let maxThrottle = 0;
    let emptyThrottled = 0;
    let offset = 0;
    const start = performance.now();
    while (performance.now() < start + RUN_MS) {
      const r = await c.request<FetchResponse>(ApiKey.Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 100,
        minBytes: 1,
        maxBytes: 64 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 64 * 1024 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      maxThrottle = Math.max(maxThrottle, r.throttleTimeMs);
      if (r.throttleTimeMs > 0 && r.responses.length === 0) emptyThrottled++;
      const p = r.responses[0]?.partitions[0];
      const records = (p?.records as Buffer | null) ?? Buffer.alloc(0);
      if (records.length > 0) {
        // Batches here hold one record each: the next offset is the last batch's base offset + 1.
        let pos = 0;
        let last = offset;
        while (pos + 12 <= records.length) {
          last = Number(records.readBigInt64BE(pos));
          pos += 12 + records.readInt32BE(pos + 8);
        }
        offset = last + 1;
      }
      samples.push({ at: performance.now(), bytes: records.length });
    }
    const rate = steadyRate(samples, start);
    console.log(`      consumer_byte_rate ${QUOTA} B/s: throttled consumer ${Math.round(rate)} B/s (max throttle_time_ms ${maxThrottle}, ${emptyThrottled} empty throttled responses)`);
    assert.ok(maxThrottle > 0 && emptyThrottled > 0);
    assert.ok(rate <= QUOTA * 1.2, `throttled consumer rate ${rate} is above quota + 20 %`);
    assert.ok(rate >= QUOTA * 0.4, `throttled consumer rate ${rate} is far below the quota`);
  });

  it('request_percentage: a client spending more than 1 % of a request thread is throttled, with throttle_time_ms', async () => {
    const admin = await connect('quota-admin-2');
    const set = await admin.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, 1, {
      entries: [{ entity: [{ entityType: 'client-id', entityName: 'busy' }], ops: [{ key: 'request_percentage', value: 1, remove: false }] }],
      validateOnly: false,
    });
    assert.equal(set.entries[0].errorCode, 0);
    const busy = await connect('busy');
    // 1 % of one thread is 10 ms of broker time per second: back-to-back Metadata requests exceed it quickly.
    const deadline = performance.now() + 20_000;
    let throttle = 0;
    let requests = 0;
    let sentAt = 0;
    while (throttle === 0 && performance.now() < deadline) {
      sentAt = performance.now();
      const r = await busy.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });
      throttle = r.throttleTimeMs;
      requests++;
    }
    console.log(`      request_percentage 1: throttled after ${requests} Metadata requests by ${throttle} ms`);
    assert.ok(throttle > 0, `not throttled after ${requests} requests`);
    // The connection is muted for that long after the throttled answer was sent, so the next answer cannot come
    // sooner than `throttle` ms after the throttled request left (measured from there: no race with the transit).
    await busy.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    assert.ok(performance.now() - sentAt >= throttle, 'the next request waited out the throttle');
  });

  it('throttling is counted by quota', async () => {
    const text = await ref.broker.metricsText();
    assert.match(text, /strata_quota_throttled_responses_total\{quota="producer_byte_rate"\} [1-9]/);
    assert.match(text, /strata_quota_throttled_responses_total\{quota="consumer_byte_rate"\} [1-9]/);
    assert.match(text, /strata_quota_throttle_time_seconds_total\{quota="producer_byte_rate"\} [0-9.]*[1-9]/);
    assert.match(text, /strata_quota_throttled_responses_total\{quota="request_percentage"\} [1-9]/);
  });
});
