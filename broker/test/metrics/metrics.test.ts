import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { ManualClock } from '../manual-clock';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/http';
import { BrokerMetrics, type PartitionStats } from '../../src/metrics/registry';

/** The value of one sample line, e.g. sample(text, 'strata_bytes_in_total{topic="a"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics', () => {
  let metrics: BrokerMetrics;
  let server: MetricsServer;
  let readiness: { ready: boolean; reason: string };
  let partitions: PartitionStats[];
  const url = (p: string) => `http://127.0.0.1:${server.port}${p}`;
  const scrape = async () => {
    const res = await fetch(url('/metrics'));
    assert.equal(res.status, 200);
    const type = res.headers.get('content-type') ?? '';
    assert.ok(type.startsWith('text/plain;') && type.includes('version=0.0.4'), type); // Prometheus text format
    return res.text();
  };

  beforeEach(async () => {
    metrics = new BrokerMetrics();
    readiness = { ready: false, reason: 'starting' };
    partitions = [];
    metrics.setPartitionSource(() => partitions);
    server = await startMetricsServer('127.0.0.1', 0, metrics, readiness);
  });
  afterEach(() => server.close());

  it('serves every Strata metric with Prometheus names, plus process and Node.js metrics', async () => {
    const text = await scrape();
    for (const [name, type] of [
      ['strata_bytes_in_total', 'counter'],
      ['strata_bytes_out_total', 'counter'],
      ['strata_messages_in_total', 'counter'],
      ['strata_requests_total', 'counter'],
      ['strata_request_errors_total', 'counter'],
      ['strata_request_duration_seconds', 'histogram'],
      ['strata_connections', 'gauge'],
      ['strata_connections_total', 'counter'],
      ['strata_connection_errors_total', 'counter'],
      ['strata_log_size_bytes', 'gauge'],
      ['strata_log_start_offset', 'gauge'],
      ['strata_log_end_offset', 'gauge'],
      ['strata_partitions', 'gauge'],
      ['strata_object_store_requests_total', 'counter'],
      ['strata_topic_remote_bytes', 'gauge'],
      ['strata_topic_local_bytes', 'gauge'],
      ['strata_topic_estimated_monthly_cost_dollars', 'gauge'],
      ['strata_estimated_monthly_cost_dollars', 'gauge'],
      ['strata_log_dir_free_bytes', 'gauge'],
      ['strata_log_dir_size_bytes', 'gauge'],
      ['process_cpu_seconds_total', 'counter'],
      ['nodejs_heap_size_used_bytes', 'gauge'],
    ]) {
      assert.ok(text.includes(`# TYPE ${name} ${type}\n`), `missing ${name} (${type})`);
    }
  });

  it('passes promtool\'s naming lint (promtool from the Debian package prometheus, installed by make test-deps)', async function () {
    assert.ok(!spawnSync('promtool', ['--version']).error, 'promtool is not installed: run make test-deps');
    metrics.topic('orders').bytesIn.inc(1);
    metrics.observeRequest('Produce', 0.001, 'NOT_LEADER_OR_FOLLOWER');
    metrics.connectionClosed('socket error: x');
    metrics.observeObjectStore('get', 0.01, undefined, { key: 'cluster.json', bytesRead: 10 });
    metrics.setLogDir('.');
    partitions = [{ topic: 'orders', partition: 0, sizeBytes: 1, logStartOffset: 0, logEndOffset: 1, lastStableOffset: 1, openTransactions: 0 }];
    // Only our own series: prom-client's nodejs_active_*_total gauges fail this lint upstream.
    const ours = (await scrape()).split('\n').filter((l) => l.includes('strata_')).join('\n');
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: `${ours}\n`, encoding: 'utf8' });
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
  });

  it('counts bytes and messages per topic through cached children', async () => {
    assert.equal(metrics.topic('orders'), metrics.topic('orders'));
    metrics.topic('orders').bytesIn.inc(100);
    metrics.topic('orders').bytesIn.inc(50);
    metrics.topic('orders').messagesIn.inc(3);
    metrics.topic('orders').bytesOut.inc(70);
    metrics.topic('clicks').bytesIn.inc(1);
    const text = await scrape();
    assert.equal(sample(text, 'strata_bytes_in_total{topic="orders"}'), 150);
    assert.equal(sample(text, 'strata_messages_in_total{topic="orders"}'), 3);
    assert.equal(sample(text, 'strata_bytes_out_total{topic="orders"}'), 70);
    assert.equal(sample(text, 'strata_bytes_in_total{topic="clicks"}'), 1);
  });

  it('drops a removed topic’s series, and counts from zero if it comes back', async () => {
    metrics.topic('gone').bytesIn.inc(10);
    metrics.removeTopic('gone');
    const text = await scrape();
    assert.equal(sample(text, 'strata_bytes_in_total{topic="gone"}'), undefined);
    metrics.topic('gone').bytesIn.inc(1);
    assert.equal(sample(await scrape(), 'strata_bytes_in_total{topic="gone"}'), 1);
  });

  it('counts requests, errors by Kafka error name and latency by API', async () => {
    metrics.observeRequest('Produce', 0.0004);
    metrics.observeRequest('Produce', 0.003, false);
    metrics.observeRequest('Produce', 0.02, 'NOT_LEADER_OR_FOLLOWER');
    metrics.observeRequest('Fetch', 2, true);
    const text = await scrape();
    assert.equal(sample(text, 'strata_requests_total{api="Produce"}'), 3);
    assert.equal(sample(text, 'strata_requests_total{api="Fetch"}'), 1);
    assert.equal(sample(text, 'strata_request_errors_total{api="Produce",error="NOT_LEADER_OR_FOLLOWER"}'), 1);
    assert.equal(sample(text, 'strata_request_errors_total{api="Fetch",error="UNKNOWN_SERVER_ERROR"}'), 1);
    assert.equal(sample(text, 'strata_request_duration_seconds_bucket{le="0.0001",api="Produce"}'), 0);
    assert.equal(sample(text, 'strata_request_duration_seconds_bucket{le="0.0005",api="Produce"}'), 1);
    assert.equal(sample(text, 'strata_request_duration_seconds_bucket{le="10",api="Produce"}'), 3);
    assert.equal(sample(text, 'strata_request_duration_seconds_count{api="Fetch"}'), 1);
  });

  it('tracks open connections and errors with a bounded reason label', async () => {
    metrics.connectionOpened();
    metrics.connectionOpened();
    metrics.connectionOpened();
    metrics.connectionClosed(null);
    metrics.connectionClosed('socket error: read ECONNRESET');
    const text = await scrape();
    assert.equal(sample(text, 'strata_connections'), 1);
    assert.equal(sample(text, 'strata_connections_total'), 3);
    assert.equal(sample(text, 'strata_connection_errors_total{reason="socket_error"}'), 1);
    metrics.connectionClosed('frame size 200000000 exceeds socket.request.max.bytes (104857600)');
    assert.equal(sample(await scrape(), 'strata_connection_errors_total{reason="frame_size"}'), 1);
  });

  it('reads partition gauges from the source at scrape time', async () => {
    partitions = [
      { topic: 'orders', partition: 0, sizeBytes: 4096, logStartOffset: 10, logEndOffset: 250, lastStableOffset: 240, openTransactions: 2 },
      { topic: 'orders', partition: 1, sizeBytes: 0, logStartOffset: 0, logEndOffset: 0, lastStableOffset: 0, openTransactions: 0 },
    ];
    let text = await scrape();
    assert.equal(sample(text, 'strata_log_size_bytes{topic="orders",partition="0"}'), 4096);
    assert.equal(sample(text, 'strata_log_start_offset{topic="orders",partition="0"}'), 10);
    assert.equal(sample(text, 'strata_log_end_offset{topic="orders",partition="0"}'), 250);
    assert.equal(sample(text, 'strata_log_end_offset{topic="orders",partition="1"}'), 0);
    assert.equal(sample(text, 'strata_partition_lso_lag{topic="orders",partition="0"}'), 10);
    assert.equal(sample(text, 'strata_partition_open_transactions{topic="orders",partition="0"}'), 2);
    assert.equal(sample(text, 'strata_partitions'), 2);

    partitions[0].logEndOffset = 300;
    partitions.pop(); // partition moved away or topic deleted
    text = await scrape();
    assert.equal(sample(text, 'strata_log_end_offset{topic="orders",partition="0"}'), 300);
    assert.equal(sample(text, 'strata_log_end_offset{topic="orders",partition="1"}'), undefined);
    assert.equal(sample(text, 'strata_partitions'), 1);
  });

  it('reads consumer group state, members and lag from the group source', async () => {
    metrics.setGroupSource(() => [
      { group: 'g1', state: 'Stable', members: 2, offsets: [{ topic: 't', partition: 0, committed: 40, logEndOffset: 55 }] },
      { group: 'g2', state: 'Empty', members: 0, offsets: [] },
    ]);
    metrics.groupRebalanced('g1');
    metrics.offsetsCommitted('g1', 3);
    const text = await scrape();
    assert.equal(sample(text, 'strata_groups{state="Stable"}'), 1);
    assert.equal(sample(text, 'strata_groups{state="Empty"}'), 1);
    assert.equal(sample(text, 'strata_group_members{group="g1"}'), 2);
    assert.equal(sample(text, 'strata_group_lag{group="g1",topic="t",partition="0"}'), 15);
    assert.equal(sample(text, 'strata_group_rebalances_total{group="g1"}'), 1);
    assert.equal(sample(text, 'strata_group_offset_commits_total{group="g1"}'), 3);
  });

  it('reads tiering figures per partition and the chunk cache from the tier source', async () => {
    const errors = { throttled: 2, server: 1 };
    metrics.setTierSource(
      () => ({ cache: { hits: 3, misses: 1, memoryBytes: 100, diskBytes: 200 } }),
      () => [
        {
          topic: 't',
          partition: 1,
          stats: { uploadLagBytes: 10, uploadLagSegments: 1, remoteSegments: 4, remoteBytes: 4000, bytesUploaded: 4000, bytesDownloaded: 500, uploadErrors: errors, getErrors: { timeout: 1 } },
        },
      ],
    );
    metrics.observeObjectStore('get', 0.01);
    metrics.observeObjectStore('put', 0.2, 'SlowDown');
    const text = await scrape();
    assert.equal(sample(text, 'strata_tier_upload_lag_bytes{topic="t",partition="1"}'), 10);
    assert.equal(sample(text, 'strata_tier_remote_segments{topic="t",partition="1"}'), 4);
    assert.equal(sample(text, 'strata_tier_uploaded_bytes_total{topic="t",partition="1"}'), 4000);
    assert.equal(sample(text, 'strata_tier_downloaded_bytes_total{topic="t",partition="1"}'), 500);
    assert.equal(sample(text, 'strata_tier_errors_total{operation="upload",cause="throttled"}'), 2);
    assert.equal(sample(text, 'strata_tier_errors_total{operation="get",cause="timeout"}'), 1);
    assert.equal(sample(text, 'strata_tier_cache_hit_ratio'), 0.75);
    assert.equal(sample(text, 'strata_tier_cache_bytes{level="disk"}'), 200);
    assert.equal(sample(text, 'strata_object_store_request_duration_seconds_count{operation="get"}'), 1);
    assert.equal(sample(text, 'strata_object_store_request_errors_total{operation="put",cause="SlowDown"}'), 1);
  });

  it('sums storage per topic, counts object-store requests by topic and estimates the monthly cost', async () => {
    const clock = new ManualClock();
    const prices = { storagePerGbMonth: 0.02, putPerThousand: 5, getPerThousand: 0.5, egressPerGb: 0.1 };
    const m = new BrokerMetrics({ defaultMetrics: false, prices, clock });
    const tier = (partition: number, remoteBytes: number) => ({
      topic: 't',
      partition,
      stats: { uploadLagBytes: 0, uploadLagSegments: 0, remoteSegments: 1, remoteBytes, bytesUploaded: 0, bytesDownloaded: 0, uploadErrors: {}, getErrors: {} },
    });
    m.setTierSource(() => null, () => [tier(0, 2 ** 30), tier(1, 2 ** 30)]);
    m.setPartitionSource(() => [
      { topic: 't', partition: 0, sizeBytes: 100, logStartOffset: 0, logEndOffset: 1, lastStableOffset: 1, openTransactions: 0 },
      { topic: 't', partition: 1, sizeBytes: 50, logStartOffset: 0, logEndOffset: 1, lastStableOffset: 1, openTransactions: 0 },
    ]);
    m.setObjectKeyTopic((key) => (key.startsWith('c/topics/id1/') ? 't' : '_other'));
    for (let i = 0; i < 3600; i++) m.observeObjectStore('put', 0.01, undefined, { key: 'c/topics/id1/0/x.log', bytesRead: 0 });
    m.observeObjectStore('get', 0.01, 'NotFound', { key: 'elsewhere', bytesRead: 0 });
    await clock.advance(3_600_000);
    const text = await m.scrape();
    assert.equal(sample(text, 'strata_object_store_requests_total{operation="put",topic="t"}'), 3600);
    assert.equal(sample(text, 'strata_object_store_requests_total{operation="get",topic="_other"}'), 1);
    assert.equal(sample(text, 'strata_object_store_request_duration_seconds_count{operation="put"}'), 3600, 'the latency histogram keeps its labels');
    assert.equal(sample(text, 'strata_topic_remote_bytes{topic="t"}'), 2 ** 31);
    assert.equal(sample(text, 'strata_topic_local_bytes{topic="t"}'), 150);
    assert.equal(sample(text, 'strata_topic_estimated_monthly_cost_dollars{topic="t",component="storage"}'), 0.04);
    // 1 PUT/s for 30 days at $5 per 1,000.
    assert.equal(sample(text, 'strata_topic_estimated_monthly_cost_dollars{topic="t",component="requests"}'), 12960);
    assert.equal(sample(text, 'strata_topic_estimated_monthly_cost_dollars{topic="t",component="egress"}'), 0);
    const other = sample(text, 'strata_topic_estimated_monthly_cost_dollars{topic="_other",component="requests"}')!;
    assert.ok(Math.abs(sample(text, 'strata_estimated_monthly_cost_dollars')! - (12960.04 + other)) < 1e-6);
  });

  it('reports the free and total bytes of the data directory\'s filesystem, NaN when it cannot be read', async () => {
    metrics.setLogDir(os.tmpdir());
    const text = await scrape();
    const free = sample(text, 'strata_log_dir_free_bytes')!;
    const size = sample(text, 'strata_log_dir_size_bytes')!;
    assert.ok(free > 0 && size >= free, `${free} of ${size}`);
    metrics.setLogDir(path.join(os.tmpdir(), 'strata-no-such-dir-' + process.pid));
    assert.ok(Number.isNaN(sample(await scrape(), 'strata_log_dir_free_bytes')));
  });

  it('keeps the registries of several brokers in one process apart', async () => {
    const other = new BrokerMetrics({ defaultMetrics: false });
    other.topic('orders').bytesIn.inc(5);
    metrics.topic('orders').bytesIn.inc(7);
    assert.equal(sample(await other.scrape(), 'strata_bytes_in_total{topic="orders"}'), 5);
    assert.equal(sample(await scrape(), 'strata_bytes_in_total{topic="orders"}'), 7);
    assert.ok(!(await other.scrape()).includes('process_cpu_seconds_total'));
  });

  it('answers /healthz while live', async () => {
    const res = await fetch(url('/healthz'));
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok\n');
  });

  it('answers /readyz with 503 and the reason until the broker is ready, then 200', async () => {
    let res = await fetch(url('/readyz'));
    assert.equal(res.status, 503);
    assert.equal(await res.text(), 'not ready: starting\n');
    readiness.ready = true;
    res = await fetch(url('/readyz'));
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ready\n');
    readiness.ready = false;
    readiness.reason = 'shutting down';
    res = await fetch(url('/readyz'));
    assert.equal(res.status, 503);
    assert.equal(await res.text(), 'not ready: shutting down\n');
  });

  it('answers 404 for other paths', async () => {
    assert.equal((await fetch(url('/nope'))).status, 404);
  });

  it('fails to start on a port in use', async () => {
    await assert.rejects(startMetricsServer('127.0.0.1', server.port, metrics, readiness), { code: 'EADDRINUSE' });
  });

  it('closes promptly while a scraper holds a keep-alive connection', async () => {
    const extra = await startMetricsServer('127.0.0.1', 0, metrics, readiness);
    await (await fetch(`http://127.0.0.1:${extra.port}/healthz`)).text();
    // A hang here (close waiting for the keep-alive connection) fails by the suite's timeout, not a stopwatch.
    await extra.close();
    await assert.rejects(fetch(`http://127.0.0.1:${extra.port}/healthz`));
  });
});
