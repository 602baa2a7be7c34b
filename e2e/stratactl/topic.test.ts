// stratactl topic list|describe|create|alter-config|add-partitions|delete and broker config, each run as a
// process against a Strata broker process and against Apache Kafka 4.1.1: table, JSON and YAML output, and the
// exit codes scripts rely on (exists 4, not found 3, refused values 7, usage 2, --if-exists/--if-not-exists 0).
import { strict as assert } from 'node:assert';
import { parse as parseYaml } from 'yaml';
import { ClusterClient } from '../../admin/cluster-client';
import { kcatProduce, requireKcat } from '../helpers/kcat';
import { stratactl } from '../helpers/stratactl';
import { waitFor } from '../helpers/util';
import { forEachTarget } from './targets';

interface ConfigJson {
  name: string;
  value: string | null;
  source: string;
  isDefault: boolean;
}

forEachTarget('stratactl topic and broker config', (target) => {
  const ctl = (...args: string[]) => stratactl(['--brokers', target().bootstrap, ...args]);
  const json = async (...args: string[]) => {
    const r = await ctl('-o', 'json', ...args);
    assert.equal(r.code, 0, `stratactl ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  const overrides = (configs: ConfigJson[]) => Object.fromEntries(configs.filter((c) => c.source === 'TOPIC').map((c) => [c.name, c.value]));

  before(() => requireKcat());

  it('creates a topic, lists it and describes its partitions, offsets and configs as table, JSON and YAML', async () => {
    const created = await ctl('topic', 'create', 'orders', '-p', '3', '-r', '1', '-c', 'retention.ms=3600000', '--config', 'cleanup.policy=compact');
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'Created topic orders\n');
    await kcatProduce(target().bootstrap, 'orders', ['k1:a', 'k2:b', 'k3:c'], ['-p', '1', '-K:']);

    const list = await ctl('topic', 'list');
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^NAME\s+PARTITIONS\s+RF\s+UNDER-REPLICATED\s+OFFLINE$/m);
    assert.match(list.stdout, /^orders\s+3\s+1\s+0\s+0$/m);
    const listed = (await json('topic', 'list')).find((t: { name: string }) => t.name === 'orders');
    assert.equal(typeof listed.topicId, 'string');
    assert.deepEqual({ ...listed, topicId: 'x' }, { name: 'orders', topicId: 'x', isInternal: false, partitions: 3, replicationFactor: 1, underReplicatedPartitions: 0, offlinePartitions: 0 });

    const table = await ctl('topic', 'describe', 'orders');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`^Topic orders {2}id ${listed.topicId} {2}partitions 3$`, 'm'));
    assert.match(table.stdout, /^PARTITION\s+LEADER\s+REPLICAS\s+ISR\s+OFFLINE\s+EARLIEST\s+LATEST$/m);
    assert.match(table.stdout, /^0\s+\d+\s+\d+\s+\d+\s+-\s+0\s+0$/m);
    assert.match(table.stdout, /^1\s+\d+\s+\d+\s+\d+\s+-\s+0\s+3$/m);
    assert.match(table.stdout, /^retention\.ms\s+3600000\s+TOPIC\b/m);
    assert.match(table.stdout, /^cleanup\.policy\s+compact\s+TOPIC\b/m);

    const d = await json('topic', 'describe', 'orders');
    assert.equal(d.name, 'orders');
    assert.equal(d.topicId, listed.topicId);
    assert.equal(d.isInternal, false);
    assert.deepEqual(d.partitions.map((p: { partition: number; earliestOffset: number; latestOffset: number }) => [p.partition, p.earliestOffset, p.latestOffset]), [[0, 0, 0], [1, 0, 3], [2, 0, 0]]);
    for (const p of d.partitions) {
      assert.equal(p.replicas.length, 1);
      assert.deepEqual(p.isr, p.replicas);
      assert.equal(p.leader, p.replicas[0]);
      assert.deepEqual(p.offlineReplicas, []);
    }
    assert.deepEqual(overrides(d.configs), { 'cleanup.policy': 'compact', 'retention.ms': '3600000' });
    assert.ok(d.configs.every((c: ConfigJson) => !c.isDefault), 'only non-default configs without --all-configs');

    const yaml = await ctl('-o', 'yaml', 'topic', 'describe', 'orders');
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.deepEqual(parseYaml(yaml.stdout), d);

    const all = await json('topic', 'describe', 'orders', '--all-configs');
    const byName = new Map<string, ConfigJson>(all.configs.map((c: ConfigJson) => [c.name, c]));
    assert.equal(byName.get('retention.ms')?.value, '3600000');
    assert.ok(all.configs.length > d.configs.length);
    assert.equal(byName.get('compression.type')?.isDefault, true, 'defaults are listed with --all-configs');
    assert.ok(all.configs.every((c: ConfigJson) => c.isDefault === (c.source === 'DEFAULT')));
  });

  it('exits 4 when the topic exists (0 with --if-not-exists), 3 for a missing topic, 7 for a refused value, 2 for bad flags', async () => {
    const again = await ctl('topic', 'create', 'orders', '-p', '3');
    assert.equal(again.code, 4);
    assert.equal(again.stdout, '');
    assert.match(again.stderr, /^stratactl: creating topic orders: TOPIC_ALREADY_EXISTS/);
    assert.deepEqual(await json('topic', 'create', 'orders', '--if-not-exists'), { name: 'orders', created: false, validateOnly: false });

    const missing = await ctl('topic', 'describe', 'nope');
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^stratactl: topic nope does not exist$/m);

    const bad = await ctl('topic', 'create', 'badcfg', '-c', 'cleanup.policy=sometimes');
    assert.equal(bad.code, 7);
    assert.match(bad.stderr, /^stratactl: creating topic badcfg: INVALID_CONFIG/);
    assert.equal((await ctl('topic', 'describe', 'badcfg')).code, 3, 'nothing was created');

    for (const args of [['topic', 'create', 'x', '-p', '0'], ['topic', 'create', 'x', '-c', 'novalue'], ['topic', 'create', 'x', '--bogus'], ['topic', 'describe'], ['topic', 'add-partitions', 'orders']]) {
      const r = await ctl(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
    }

    const validated = await json('topic', 'create', 'checked', '-p', '2', '--validate-only');
    assert.deepEqual(validated, { name: 'checked', created: false, validateOnly: true });
    assert.equal((await ctl('topic', 'describe', 'checked')).code, 3, 'validate-only creates nothing');
  });

  it('alters configs with --set and --delete, refusing bad values (7) and an empty change (2)', async () => {
    const r = await ctl('topic', 'alter-config', 'orders', '--set', 'max.message.bytes=4096', '--delete', 'cleanup.policy');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Altered configs of topic orders: set max.message.bytes, deleted cleanup.policy\n');
    assert.deepEqual(overrides((await json('topic', 'describe', 'orders')).configs), { 'max.message.bytes': '4096', 'retention.ms': '3600000' });

    const bad = await ctl('topic', 'alter-config', 'orders', '--set', 'retention.ms=abc');
    assert.equal(bad.code, 7);
    assert.match(bad.stderr, /^stratactl: altering configs of topic orders: INVALID_CONFIG/);
    assert.equal((await ctl('topic', 'alter-config', 'orders')).code, 2);
    assert.equal((await ctl('topic', 'alter-config', 'orders', '--set', 'a=1', '--delete', 'a')).code, 2);
    assert.equal((await ctl('topic', 'alter-config', 'nope', '--set', 'retention.ms=1')).code, 3);
  });

  it('grows a topic with add-partitions, refusing a shrink (7) and a missing topic (3)', async () => {
    assert.deepEqual(await json('topic', 'add-partitions', 'orders', '--total', '5'), { name: 'orders', partitions: 5 });
    const d = await json('topic', 'describe', 'orders');
    assert.deepEqual(d.partitions.map((p: { partition: number }) => p.partition), [0, 1, 2, 3, 4]);
    const shrink = await ctl('topic', 'add-partitions', 'orders', '--total', '2');
    assert.equal(shrink.code, 7);
    assert.match(shrink.stderr, /^stratactl: growing topic orders to 2 partitions: INVALID_PARTITIONS/);
    assert.equal((await ctl('topic', 'add-partitions', 'nope', '--total', '3')).code, 3);
  });

  it('lists internal topics only with --internal', async () => {
    // Looking up a group coordinator makes the cluster create __consumer_offsets.
    const cc = new ClusterClient({ bootstrap: [target().bootstrap] });
    try {
      await waitFor(
        async () => {
          await cc.coordinatorId('stratactl-topic-test');
          return (await cc.metadata(['__consumer_offsets'])).topics.some((t) => t.name === '__consumer_offsets' && t.errorCode === 0);
        },
        { timeoutMs: 60_000, intervalMs: 250, what: '__consumer_offsets to exist' },
      );
    } finally {
      await cc.close();
    }
    const plain = await json('topic', 'list');
    assert.ok(plain.some((t: { name: string }) => t.name === 'orders'));
    assert.ok(plain.every((t: { isInternal: boolean }) => !t.isInternal));
    const withInternal = await json('topic', 'list', '--internal');
    const offsets = withInternal.find((t: { name: string }) => t.name === '__consumer_offsets');
    assert.equal(offsets?.isInternal, true);
    assert.equal(withInternal.length, plain.length + withInternal.filter((t: { isInternal: boolean }) => t.isInternal).length);
  });

  it('describes a broker’s configs, non-default ones unless --all; 3 for an unknown broker', async () => {
    const id = String((await json('cluster', 'info')).brokers[0].nodeId);
    const table = await ctl('broker', 'config', id);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^NAME\s+VALUE\s+SOURCE\s+READ-ONLY\s+SENSITIVE$/m);
    const some = await json('broker', 'config', id);
    assert.equal(String(some.nodeId), id);
    assert.ok(some.configs.length > 0);
    assert.ok(some.configs.every((c: ConfigJson) => !c.isDefault));
    const all = await json('broker', 'config', id, '--all');
    assert.ok(all.configs.length > some.configs.length);
    assert.ok(all.configs.some((c: ConfigJson) => c.isDefault && c.source === 'DEFAULT'));
    const unknown = await ctl('broker', 'config', '99');
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /^stratactl: broker 99 is not in the cluster$/m);
  });

  it('deletes a topic: 3 when missing, 0 with --if-exists', async () => {
    assert.deepEqual(await json('topic', 'delete', 'orders'), { name: 'orders', deleted: true });
    await waitFor(async () => (await ctl('topic', 'describe', 'orders')).code === 3, { timeoutMs: 30_000, what: 'orders to be gone' });
    const missing = await ctl('topic', 'delete', 'orders');
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^stratactl: deleting topic orders: UNKNOWN_TOPIC_OR_PARTITION/);
    const ifExists = await ctl('topic', 'delete', 'orders', '--if-exists');
    assert.equal(ifExists.code, 0, ifExists.stderr);
    assert.equal(ifExists.stdout, 'Topic orders does not exist\n');
  });
});
