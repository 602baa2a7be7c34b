// stratactl topic produce | consume when the cluster changes under them, against a Strata broker process and
// Apache Kafka 4.1.1:
//   - produce is an idempotent producer: a Kafka-aware proxy lets the broker take the second Produce request and
//     then drops the connection instead of its answer; the command sends the same batches again, the broker
//     recognises their sequence numbers, and every line is in the topic once, in order, where the command said.
//     With --acks 1 (idempotence off, as Kafka) the same lost answer fails the command (exit 6) although the
//     records were written, which shows the fault is real.
//   - consume --follow picks up partitions added while it runs and reads them from their beginning.
import { strict as assert } from 'node:assert';
import { partitionForKey } from '../../admin/partitioner';
import { ApiKey } from '../../broker/src/protocol/apis';
import { kcatConsume, requireKcat } from '../helpers/kcat';
import { startStratactl, stratactl } from '../helpers/stratactl';
import { waitFor } from '../helpers/util';
import { KafkaProxy } from './kafka-proxy';
import { forEachTarget, newTopic, waitForLeaders } from './targets';

forEachTarget('stratactl topic produce and consume through faults and growth', (target) => {
  before(() => {
    requireKcat();
  });

  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await stratactl(['--brokers', target().bootstrap, ...args], { input });
    assert.equal(r.code, 0, `stratactl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };

  describe('a Produce request whose answer is lost', () => {
    let proxy: KafkaProxy;
    beforeEach(async () => {
      proxy = await KafkaProxy.start(target().bootstrap);
    });
    afterEach(async () => {
      await proxy.stop();
    });

    // 3000 keyed lines over 3 partitions: ≥ 3 Produce requests (1000 lines each), each with a batch per partition.
    const PARTITIONS = 3;
    const lines = Array.from({ length: 3000 }, (_, i) => `k${i % 30}:line ${i}`);
    const keyOf = (line: string) => line.slice(0, line.indexOf(':'));
    const valueOf = (line: string) => line.slice(line.indexOf(':') + 1);

    it('is sent again and written once: every line in the topic exactly once, in order, at the offsets printed', async () => {
      const topic = await newTopic(target(), 'ctl-idempotent', PARTITIONS);
      proxy.dropAnswerOf(ApiKey.Produce, 2);
      const r = await stratactl(['--brokers', proxy.bootstrap, '-o', 'json', 'topic', 'produce', topic, '-K', ':'], { input: `${lines.join('\n')}\n` });
      assert.equal(r.code, 0, `produce through the proxy exited ${r.code}: ${r.stderr}`);
      assert.equal(proxy.dropped, 1, 'the answer of the second Produce request was dropped');
      assert.ok((proxy.requests.get(ApiKey.Produce) ?? 0) >= 4, `the dropped request was sent again (${proxy.requests.get(ApiKey.Produce)} Produce requests)`);
      assert.equal(proxy.requests.get(ApiKey.InitProducerId), 1, 'one producer id for the whole run');

      // Read straight from the broker: each partition holds its keys' lines once, in input order, at offsets 0…n-1.
      const seen = await kcatConsume(target().bootstrap, topic, { format: '%p|%o|%k|%s\n' });
      assert.equal(seen.length, lines.length, 'no line lost, none written twice');
      for (let p = 0; p < PARTITIONS; p++) {
        const expected = lines.filter((l) => partitionForKey(Buffer.from(keyOf(l)), PARTITIONS) === p).map((l, offset) => `${p}|${offset}|${keyOf(l)}|${valueOf(l)}`);
        const got = seen.filter((s) => s.startsWith(`${p}|`)).sort((a, b) => Number(a.split('|')[1]) - Number(b.split('|')[1]));
        assert.deepEqual(got, expected, `partition ${p}`);
      }
      // What the command printed for each line (the resent batches included) is where the broker has it.
      const at = new Map(seen.map((s) => {
        const [p, o, k, v] = s.split('|');
        return [`${p}|${o}`, `${k}:${v}`] as const;
      }));
      const printed = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { partition: number; offset: number });
      assert.equal(printed.length, lines.length);
      printed.forEach((where, i) => assert.equal(at.get(`${where.partition}|${where.offset}`), lines[i], `line ${i} printed at ${JSON.stringify(where)}`));
    });

    it('fails with exit 6 when idempotence is off (--acks 1), though the broker wrote the records', async () => {
      const topic = await newTopic(target(), 'ctl-not-idempotent', PARTITIONS);
      proxy.dropAnswerOf(ApiKey.Produce, 2);
      const r = await stratactl(['--brokers', proxy.bootstrap, '-o', 'json', 'topic', 'produce', topic, '-K', ':', '--acks', '1'], { input: `${lines.join('\n')}\n` });
      assert.equal(r.code, 6, `expected exit 6 (unavailable): ${r.stderr}`);
      assert.match(r.stderr, /^stratactl: .*closed/m);
      assert.equal(proxy.dropped, 1);
      assert.equal(proxy.requests.get(ApiKey.Produce), 2, 'not sent again');
      assert.equal(proxy.requests.get(ApiKey.InitProducerId), undefined, 'no producer id without idempotence');
      // The log holds the answered first request's records and the unanswered second's.
      const answered = r.stdout.split('\n').filter(Boolean).length;
      const seen = await kcatConsume(target().bootstrap, topic, { format: '%s\n' });
      assert.ok(answered > 0 && seen.length > answered && seen.length < lines.length, `answered ${answered}, in the log ${seen.length}`);
    });
  });

  it('consume --follow picks up partitions added while it runs and reads them from their beginning', async () => {
    const topic = await newTopic(target(), 'ctl-grow', 1);
    const follower = startStratactl(['--brokers', target().bootstrap, 'topic', 'consume', topic, '--follow', '-f', '%p %s\\n']);
    try {
      await ok(['topic', 'produce', topic], 'first\n');
      await waitFor(() => follower.stdout === '0 first\n', { timeoutMs: 30_000, what: `the follower to print the first record (got ${JSON.stringify(follower.stdout)} ${follower.stderr})` });
      await ok(['topic', 'add-partitions', topic, '--total', '3']);
      await waitForLeaders(target().bootstrap, topic, 3);
      // Written right away, before the follower can have seen the partition: read from its beginning, not its end.
      await ok(['topic', 'produce', topic, '-p', '2'], 'on-new-partition\n');
      await ok(['topic', 'produce', topic, '-p', '0'], 'second\n');
      await waitFor(() => follower.stdout.includes('2 on-new-partition\n'), {
        timeoutMs: 30_000,
        what: `the follower to print the new partition's record (got ${JSON.stringify(follower.stdout)} ${follower.stderr})`,
      });
      await waitFor(() => follower.stdout.includes('0 second\n'), { timeoutMs: 30_000, what: `the follower to go on reading partition 0 (got ${JSON.stringify(follower.stdout)})` });
      assert.deepEqual(follower.stdout.split('\n').filter(Boolean).sort(), ['0 first', '0 second', '2 on-new-partition']);
      assert.equal(follower.child.exitCode, null, 'still following');
    } finally {
      follower.child.kill('SIGKILL');
    }
  });
});
