// Cluster mode, controller failover (issue 10): kill -9 the broker holding the controller lease; another broker
// takes the lease over within the lease timeout (plus the polling that notices it), every survivor names the
// same new controller, and admin operations (CreateTopics of an RF=3 topic, which needs the survivors' and then
// the restarted broker's replicas) work again. The killed broker comes back as an ordinary broker.
import { strict as assert } from 'node:assert';
import { TEST_CLUSTER_CONFIG, useCluster } from './helpers/cluster';
import { uniqueName } from './helpers/util';

const LEASE_MS = Number(TEST_CLUSTER_CONFIG.controllerLeaseMs);

describe('cluster: kill the controller', function () {
  this.timeout(120_000);
  const ref = useCluster({ name: 'controller' });

  it('another broker takes over within the lease timeout and CreateTopics works again', async () => {
    const c = ref.cluster;
    const first = await c.waitForController((id) => id > 0, 30_000);
    await c.createTopic(uniqueName('before'), { partitions: 2, replicationFactor: 3 });

    const killedAt = Date.now();
    await c.kill(first, 'SIGKILL');
    const survivors = c.running;
    // Generous bound for a loaded CI machine: the lease must expire (LEASE_MS) and be noticed and taken over.
    const second = await c.waitForController((id) => id > 0 && id !== first, 3 * LEASE_MS + 5000, survivors);
    const takeoverMs = Date.now() - killedAt;
    assert.ok(survivors.includes(second), `the new controller ${second} is a running broker (${survivors.join(',')})`);

    // Admin works again. Once the new controller has fenced the dead broker (a session timeout after its grace
    // period), new replicas go to the two survivors only.
    await c.waitForBrokers(survivors, 3 * LEASE_MS + 10_000);
    const after = uniqueName('after');
    await c.createTopic(after, { partitions: 2, replicationFactor: 2 });
    const view = await c.partition(second, after, 0);
    assert.ok(view && view.replicas.every((r) => survivors.includes(r)), `replicas of the new topic on the survivors ${survivors.join(",")} (controller ${first} was killed): ${JSON.stringify(view)}`);

    // The old controller returns as a follower of the new one: the controller stays, RF=3 creation works.
    await c.restart(first);
    assert.equal(await c.waitForController((id) => id > 0, 30_000), second, 'the restarted broker does not take the lease back');
    await c.createTopic(uniqueName('rejoined'), { partitions: 1, replicationFactor: 3 });
    console.log(`      (controller ${first} killed; broker ${second} took over after ${takeoverMs} ms, lease ${LEASE_MS} ms)`);
  });
});
