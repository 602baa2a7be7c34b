// stratactl topic produce | consume as processes, against a Strata broker process and Apache Kafka 4.1.1, with
// kcat (librdkafka) and the Java client on the other side to prove interoperability both ways: records
// stratactl writes are read by kcat (keys on the partitions Kafka's murmur2 partitioner picks), records kcat
// writes (compressed with every codec) are read by stratactl, and a Java transaction's aborted records stay
// hidden under read_committed.
import { strict as assert } from 'node:assert';
import { parseAllDocuments } from 'yaml';
import { ClusterClient } from '../../admin/cluster-client';
import { partitionForKey } from '../../admin/partitioner';
import { produceRecords, readRecords } from '../../admin/records';
import { ApiKey } from '../../broker/src/protocol/apis';
import type { DeleteRecordsResponse } from '../../broker/src/protocol/schema/types';
import { requireJavaClient } from '../helpers/java';
import type { JsonLinesProcess } from '../helpers/json-process';
import { kcat, kcatConsume, kcatProduce, requireKcat } from '../helpers/kcat';
import { startStratactl, stratactl } from '../helpers/stratactl';
import { TxnShell } from '../helpers/txn-shell';
import { uniqueName, waitFor, withTimeout } from '../helpers/util';
import { forEachTarget, newTopic as newTopicOn } from './targets';

forEachTarget('stratactl topic produce and consume', (target) => {
  before(() => {
    requireKcat();
  });

  const newTopic = (prefix: string, partitions = 1, configs: Record<string, string> = {}) => newTopicOn(target(), prefix, partitions, configs);

  const ctl = (args: string[], input?: string) => stratactl(['--brokers', target().bootstrap, ...args], { input });
  const ok = async (args: string[], input?: string) => {
    const r = await ctl(args, input);
    assert.equal(r.code, 0, `stratactl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const jsonLines = (out: string) => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

  it('produces keyed lines with headers that kcat reads back, keys on the partitions of Kafka’s murmur2 partitioner', async () => {
    const topic = await newTopic('ctl-keys', 4);
    const keys = Array.from({ length: 16 }, (_, i) => `user-${i}`);
    const input = keys.map((k, i) => `${k}:value ${i}`).join('\n');
    const produced = jsonLines(await ok(['-o', 'json', 'topic', 'produce', topic, '-K', ':', '-H', 'src=stratactl', '-H', 'trace=t1'], input)) as Array<{ partition: number; offset: number }>;
    assert.equal(produced.length, keys.length);

    // kcat sees every record where stratactl said it put it, with key, value and headers intact.
    const seen = await kcatConsume(target().bootstrap, topic, { format: '%p|%o|%k|%s|%h\n' });
    const expected = keys.map((k, i) => `${produced[i]!.partition}|${produced[i]!.offset}|${k}|value ${i}|src=stratactl,trace=t1`);
    assert.deepEqual([...seen].sort(), [...expected].sort());

    // librdkafka's murmur2 partitioner (Java-compatible) places the same keys on the same partitions.
    const viaKcat = await newTopic('ctl-keys-kcat', 4);
    await kcatProduce(target().bootstrap, viaKcat, keys.map((k) => `${k}:x`), ['-K', ':', '-X', 'partitioner=murmur2_random']);
    const kcatPartition = new Map((await kcatConsume(target().bootstrap, viaKcat, { format: '%k|%p\n' })).map((l) => l.split('|') as [string, string]));
    keys.forEach((k, i) => {
      assert.equal(produced[i]!.partition, Number(kcatPartition.get(k)), `partition of key ${k}`);
      assert.equal(produced[i]!.partition, partitionForKey(Buffer.from(k), 4));
    });
    assert.ok(new Set(produced.map((p) => p.partition)).size > 1, 'the keys spread over several partitions');
  });

  it('prints kcat-produced records exactly as kcat does for the same -f format, and as JSON, YAML, hex and base64', async () => {
    const topic = await newTopic('ctl-formats');
    const lines = ['k1:{"n":1}', 'k2:plain text', 'k3:{"nested":{"a":[1,2]}}'];
    await kcatProduce(target().bootstrap, topic, lines, ['-K', ':', '-H', 'h1=v1', '-H', 'h2=v2']);
    const format = 'topic=%t p=%p o=%o key=%k klen=%K value=%s vlen=%S ts=%T headers=%h\\n';
    const byKcat = (await kcat(['-b', target().bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', format])).stdout;
    assert.equal(await ok(['topic', 'consume', topic, '-f', format]), byKcat);

    const json = jsonLines(await ok(['-o', 'json', 'topic', 'consume', topic, '--value-format', 'json']));
    assert.deepEqual(
      json.map((r) => [r.topic, r.partition, r.offset, r.key, r.value, r.headers]),
      [
        [topic, 0, 0, 'k1', { n: 1 }, [{ key: 'h1', value: 'v1' }, { key: 'h2', value: 'v2' }]],
        [topic, 0, 1, 'k2', 'plain text', [{ key: 'h1', value: 'v1' }, { key: 'h2', value: 'v2' }]],
        [topic, 0, 2, 'k3', { nested: { a: [1, 2] } }, [{ key: 'h1', value: 'v1' }, { key: 'h2', value: 'v2' }]],
      ],
    );
    const kcatTimestamps = (await kcatConsume(target().bootstrap, topic, { format: '%T\n' })).map(Number);
    assert.deepEqual(json.map((r) => r.timestamp), kcatTimestamps);

    const yaml = parseAllDocuments(await ok(['-o', 'yaml', 'topic', 'consume', topic])).map((d) => d.toJSON() as Record<string, unknown>);
    assert.deepEqual(yaml.map((r) => [r.offset, r.key, r.value]), [[0, 'k1', '{"n":1}'], [1, 'k2', 'plain text'], [2, 'k3', '{"nested":{"a":[1,2]}}']]);

    const hex = await ok(['topic', 'consume', topic, '-f', '%k %s\\n', '--key-format', 'base64', '--value-format', 'hex']);
    assert.deepEqual(
      hex.split('\n').filter(Boolean),
      lines.map((l) => {
        const [k, v] = [l.slice(0, 2), l.slice(3)];
        return `${Buffer.from(k).toString('base64')} ${Buffer.from(v).toString('hex')}`;
      }),
    );
  });

  it('starts at an offset, a timestamp, the last n records or the end, and stops after --count', async () => {
    const topic = await newTopic('ctl-positions');
    const t0 = Date.now() - 3_600_000;
    const input = Array.from({ length: 10 }, (_, i) => JSON.stringify({ key: `k${i}`, value: `v${i}`, timestamp: t0 + i * 1000, headers: { i: String(i) } })).join('\n');
    const produced = jsonLines(await ok(['-o', 'json', 'topic', 'produce', topic, '--input', 'json'], input));
    assert.deepEqual(produced.map((p) => p.offset), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const values = async (...args: string[]) => (await ok(['topic', 'consume', topic, ...args])).split('\n').filter(Boolean);
    const all = (from: number) => Array.from({ length: 10 - from }, (_, i) => `v${from + i}`);

    assert.deepEqual(await values(), all(0));
    assert.deepEqual(await values('--offset', '4'), all(4));
    assert.deepEqual(await values('--offset', '-3'), all(7));
    assert.deepEqual(await values('--offset', 'end'), []);
    assert.deepEqual(await values('-c', '2'), ['v0', 'v1']);
    assert.deepEqual(await values('--offset', '3', '--count', '2'), ['v3', 'v4']);
    assert.deepEqual(await values('--timestamp', String(t0 + 5000)), all(5));
    assert.deepEqual(await values('--timestamp', new Date(t0 + 5500).toISOString()), all(6));
    assert.deepEqual(await values('--timestamp', String(t0 + 60_000)), []);
    assert.deepEqual(await values('-f', '%T %h\\n', '--offset', '8'), [`${t0 + 8000} i=8`, `${t0 + 9000} i=9`]);
    // kcat agrees on what the last three are.
    assert.deepEqual(await kcatConsume(target().bootstrap, topic, { offset: -3, format: '%s\n' }), all(7));
  });

  it('decodes batches kcat compressed with gzip, snappy, lz4 and zstd, and kcat reads what stratactl compressed', async () => {
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      const topic = await newTopic(`ctl-${codec}`);
      const lines = Array.from({ length: 200 }, (_, i) => `k${i}:${codec} record ${i} ${'x'.repeat(i % 50)}`);
      await kcatProduce(target().bootstrap, topic, lines, ['-K', ':', '-z', codec]);
      assert.deepEqual((await ok(['topic', 'consume', topic, '-f', '%k:%s\\n'])).split('\n').filter(Boolean), lines, codec);

      const back = await newTopic(`ctl-${codec}-back`);
      await ok(['topic', 'produce', back, '-K', ':', '--compression', codec], lines.join('\n'));
      assert.deepEqual(await kcatConsume(target().bootstrap, back, { format: '%k:%s\n' }), lines, `${codec} produced by stratactl`);
    }
  });

  it('streams thousands of lines in several requests and reads them back across many fetches', async () => {
    const topic = await newTopic('ctl-bulk', 2);
    const n = 6000;
    const value = 'y'.repeat(400);
    const input = Array.from({ length: n }, (_, i) => `${i} ${value}`).join('\n');
    const table = await ok(['topic', 'produce', topic, '-p', '1', '--acks', '1'], input);
    assert.match(table, new RegExp(`^produced ${n} record\\(s\\) to ${topic} \\(partition 1\\)$`, 'm'));
    const out = (await ok(['topic', 'consume', topic, '-p', '1', '-f', '%o %s\\n'])).split('\n').filter(Boolean);
    assert.equal(out.length, n);
    out.forEach((l, i) => assert.equal(l, `${i} ${i} ${value}`));
    assert.equal(await ok(['topic', 'consume', topic, '-p', '0']), '');
  });

  it('follows a topic: prints records produced after it started until --count is reached', async () => {
    const topic = await newTopic('ctl-follow');
    const ctl = startStratactl(['--brokers', target().bootstrap, 'topic', 'consume', topic, '--follow', '-c', '3']);
    try {
      await kcatProduce(target().bootstrap, topic, ['one', 'two']);
      await waitFor(() => ctl.stdout === 'one\ntwo\n', { timeoutMs: 30_000, what: `the follower to print two records (got ${JSON.stringify(ctl.stdout)} ${ctl.stderr})` });
      await kcatProduce(target().bootstrap, topic, ['three', 'four']);
      assert.equal(await withTimeout(ctl.exited, 30_000, 'the follower to stop after 3 records'), 0, ctl.stderr);
      assert.equal(ctl.stdout, 'one\ntwo\nthree\n');
    } finally {
      ctl.child.kill('SIGKILL');
    }
  });

  it('sends each line a person types once no further line follows for a moment, before stdin closes', async () => {
    const topic = await newTopic('ctl-linger');
    const ctl = startStratactl(['--brokers', target().bootstrap, '-o', 'json', 'topic', 'produce', topic]);
    try {
      ctl.child.stdin.write('typed-1\n');
      await waitFor(async () => (await kcatConsume(target().bootstrap, topic, { format: '%s\n' })).length === 1, { timeoutMs: 30_000, what: `the first line to be produced while stdin is open (${ctl.stderr})` });
      assert.deepEqual(JSON.parse(ctl.stdout.trim()), { partition: 0, offset: 0 });
      ctl.child.stdin.end('typed-2\n');
      assert.equal(await withTimeout(ctl.exited, 30_000, 'the producer to exit at end of input'), 0, ctl.stderr);
      assert.deepEqual(await kcatConsume(target().bootstrap, topic, { format: '%s\n' }), ['typed-1', 'typed-2']);
    } finally {
      ctl.child.kill('SIGKILL');
    }
  });

  it('hides the records of an aborted Java transaction under read_committed and shows them under read_uncommitted', async function () {
    requireJavaClient();
    this.timeout(180_000);
    const topic = await newTopic('ctl-txn');
    const jvms: JsonLinesProcess[] = [];
    try {
      const shell = new TxnShell(target().bootstrap, uniqueName('ctl-txn-id'), 60_000, jvms);
      await shell.ok('init', 'begin', `send ${topic} k aborted-1`, `send ${topic} k aborted-2`, 'abort', 'begin', `send ${topic} k committed-1`, 'commit');
      await shell.ok('close');
    } finally {
      for (const j of jvms) await j.stop();
    }
    assert.deepEqual((await ok(['topic', 'consume', topic])).split('\n').filter(Boolean), ['committed-1']);
    assert.deepEqual((await ok(['topic', 'consume', topic, '--isolation', 'read_uncommitted'])).split('\n').filter(Boolean), ['aborted-1', 'aborted-2', 'committed-1']);
    // kcat (librdkafka, read_committed by default) agrees.
    assert.deepEqual(await kcatConsume(target().bootstrap, topic, { format: '%s\n' }), ['committed-1']);
  });

  // The admin library in process (as the console uses it), paused between records to change the log under it.
  describe('readRecords in process', () => {
    let cc: ClusterClient;
    beforeEach(() => {
      cc = new ClusterClient({ bootstrap: [target().bootstrap] });
    });
    afterEach(async () => {
      await cc.close();
    });

    it('stops at the end offset it saw when it started, even when more records arrive while reading', async () => {
      const topic = await newTopic('lib-end');
      await produceRecords(cc, topic, ['a', 'b', 'c'].map((v) => ({ value: Buffer.from(v) })));
      const read: string[] = [];
      for await (const r of readRecords(cc, { topic, start: 'beginning' })) {
        read.push(r.value!.toString());
        if (read.length === 1) await produceRecords(cc, topic, ['d', 'e'].map((v) => ({ value: Buffer.from(v) })));
      }
      assert.deepEqual(read, ['a', 'b', 'c']);
    });

    it('skips ahead when the records it was about to fetch were deleted (OFFSET_OUT_OF_RANGE)', async () => {
      const topic = await newTopic('lib-deleted');
      // 600 KB records: each is its own batch, and a fetch (1 MiB per partition) returns one at a time.
      const big = (i: number) => ({ value: Buffer.concat([Buffer.from(`r${i}:`), Buffer.alloc(600 * 1024, 0x61)]) });
      const produced = await produceRecords(cc, topic, [0, 1, 2, 3, 4].map(big));
      assert.deepEqual(produced.map((p) => p.offset), [0, 1, 2, 3, 4]);
      const offsets: number[] = [];
      for await (const r of readRecords(cc, { topic, start: 'beginning' })) {
        offsets.push(r.offset);
        assert.equal(r.value!.subarray(0, 3).toString(), `r${r.offset}:`);
        if (offsets.length === 1) {
          const c = await cc.any();
          const res = await c.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, c.pickVersion(ApiKey.DeleteRecords, 2), { topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 3 }] }], timeoutMs: 30_000 });
          assert.equal(res.topics[0]!.partitions[0]!.errorCode, 0);
        }
      }
      assert.deepEqual(offsets, [0, 3, 4]);
    });
  });

  it('exits 3 for a missing topic or partition and 2 for bad flags, with nothing on stdout', async () => {
    const topic = await newTopic('ctl-errors');
    const cases: Array<[string[], number, RegExp, string?]> = [
      [['topic', 'consume', 'no-such-topic'], 3, /^stratactl: topic no-such-topic does not exist/],
      [['topic', 'produce', 'no-such-topic'], 3, /^stratactl: topic no-such-topic does not exist/, 'x\n'],
      [['topic', 'consume', topic, '-p', '5'], 3, /has no partition 5/],
      [['topic', 'produce', topic, '-p', '5'], 3, /has no partition 5/, 'x\n'],
      [['topic', 'consume', topic, '--offset', 'soon'], 2, /--offset must be beginning, end/],
      [['topic', 'consume', topic, '--timestamp', 'yesterday'], 2, /--timestamp must be/],
      [['topic', 'consume', topic, '--offset', '1', '--timestamp', '5'], 2, /either --offset or --timestamp/],
      [['topic', 'consume', topic, '-f', '%q'], 2, /unknown format token "%q"/],
      [['topic', 'produce', topic, '--input', 'json'], 2, /line 2 is not JSON/, '{"value":"ok"}\nnot json\n'],
      [['topic', 'produce', topic, '-H', 'novalue'], 2, /--header must be key=value/, 'x\n'],
    ];
    for (const [args, code, message, input] of cases) {
      const r = await ctl(args, input);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
    }
    // The refused JSON input stopped before anything after the bad line; the good line before it was sent or not at all.
    assert.ok((await ok(['topic', 'consume', topic])).split('\n').filter(Boolean).every((v) => v === 'ok'));
  });
});
