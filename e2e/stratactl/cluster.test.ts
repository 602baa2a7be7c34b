// stratactl's shared behaviour, run as a process against a broker process: cluster info in every output
// format, and the exit codes scripts rely on for usage errors and unreachable brokers.
import { strict as assert } from 'node:assert';
import { parse as parseYaml } from 'yaml';
import { BrokerProcess } from '../helpers/broker-process';
import { ClusterClient } from '../../admin/cluster-client';
import { stratactl } from '../helpers/stratactl';
import { freePort, waitFor } from '../helpers/util';
import { forEachTarget } from './targets';

describe('stratactl: cluster info and exit codes (broker process)', function () {
  this.timeout(120_000);
  let broker: BrokerProcess;

  before(async () => {
    broker = await BrokerProcess.start({ name: 'stratactl-cluster' });
  });
  after(async () => {
    await broker?.cleanup();
  });

  it('prints the cluster as a table, JSON and YAML, taking the brokers from --brokers or STRATA_BROKERS', async () => {
    const table = await stratactl(['--brokers', broker.bootstrap, 'cluster', 'info']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID\s+HOST\s+PORT\s+RACK\s+CONTROLLER$/m);
    assert.match(table.stdout, new RegExp(`^1\\s+\\S+\\s+${broker.port}\\s+-\\s+yes$`, 'm'));

    const json = await stratactl(['-o', 'json', 'cluster', 'info'], { env: { STRATA_BROKERS: broker.bootstrap } });
    assert.equal(json.code, 0, json.stderr);
    const data = JSON.parse(json.stdout);
    assert.equal(data.controllerId, 1);
    assert.deepEqual(data.brokers.map((b: { nodeId: number; port: number }) => [b.nodeId, b.port]), [[1, broker.port]]);
    assert.equal(typeof data.clusterId, 'string');

    const yaml = await stratactl(['--brokers', broker.bootstrap, '--output', 'yaml', 'cluster', 'info']);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.deepEqual(parseYaml(yaml.stdout), data);
  });

  it('tries the next bootstrap broker when the first does not answer', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const r = await stratactl(['--brokers', `${dead},${broker.bootstrap}`, '-o', 'json', 'cluster', 'info']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).controllerId, 1);
  });

  it('a long-lived ClusterClient (the console keeps one) reconnects by itself after the broker restarts', async () => {
    const cc = new ClusterClient({ bootstrap: [broker.bootstrap], timeoutMs: 10_000 });
    try {
      const before = await cc.metadata([]);
      const leaderConnection = await cc.broker(1);
      await broker.restart();
      // The cached connections died with the broker; the next calls open new ones instead of failing forever.
      await waitFor(async () => leaderConnection.isClosed, { timeoutMs: 30_000, what: 'the old connection to notice the restart' });
      const after = await cc.metadata([]);
      assert.equal(after.clusterId, before.clusterId);
      const again = await cc.broker(1);
      assert.notEqual(again, leaderConnection);
      assert.equal(again.isClosed, false);
    } finally {
      await cc.close();
    }
  });

  it('exits 6 with a message naming the address when no broker is reachable', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const r = await stratactl(['--brokers', dead, 'cluster', 'info']);
    assert.equal(r.code, 6);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^stratactl: no broker reachable: .*${dead}`));
  });

  it('exits 2 on usage errors: unknown command, bad flag value, bad broker address', async () => {
    const unknown = await stratactl(['--brokers', broker.bootstrap, 'clusterr', 'info']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'clusterr'/);
    const badTimeout = await stratactl(['--brokers', broker.bootstrap, '--timeout', '-5', 'cluster', 'info']);
    assert.equal(badTimeout.code, 2);
    assert.match(badTimeout.stderr, /--timeout must be a positive integer/);
    const badOutput = await stratactl(['--brokers', broker.bootstrap, '-o', 'xml', 'cluster', 'info']);
    assert.equal(badOutput.code, 2);
    assert.match(badOutput.stderr, /xml/);
    const badAddress = await stratactl(['--brokers', 'no-port-here', 'cluster', 'info']);
    assert.equal(badAddress.code, 2);
    assert.match(badAddress.stderr, /bad broker address "no-port-here"/);
  });

  it('exits 0 for --help and lists the exit codes', async () => {
    const r = await stratactl(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Exit codes:/);
    assert.match(r.stdout, /6 {2}unavailable/);
  });
});

forEachTarget('stratactl cluster info', (target) => {
  it('reports the cluster id, the controller and the brokers', async () => {
    const r = await stratactl(['--brokers', target().bootstrap, '-o', 'json', 'cluster', 'info']);
    assert.equal(r.code, 0, r.stderr);
    const data = JSON.parse(r.stdout);
    assert.equal(typeof data.clusterId, 'string');
    assert.equal(data.brokers.length, 1);
    assert.equal(`${data.brokers[0].host}:${data.brokers[0].port}`.endsWith(`:${target().bootstrap.split(':')[1]}`), true);
    assert.equal(data.controllerId >= 0, true);
  });
});
