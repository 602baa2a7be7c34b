// The inter-broker client pool with fake connections on a manual clock: endpoints from the image (the
// inter-broker listener, else the first), backoff after a failed connect, and connections closed when a broker
// leaves or moves.
import { strict as assert } from 'node:assert';
import { BrokerClients, BrokerUnavailableError, interBrokerEndpoint } from '../../src/cluster/broker-clients';
import type { BrokerImage } from '../../src/cluster/metadata-image';
import type { ClientOptions, KafkaClient } from '../../src/protocol/client';
import { ManualClock, settle } from '../manual-clock';

class FakeClient {
  closed = false;
  constructor(readonly address: string) {}
  async apiVersions() {
    return new Map();
  }
  pickVersion(_api: number, max: number) {
    return max;
  }
  async request(_api: number, _v: number, body: object) {
    if (this.closed) throw new Error('closed');
    return { address: this.address, body };
  }
  async close() {
    this.closed = true;
  }
}

const broker = (nodeId: number, port: number): BrokerImage => ({
  nodeId,
  host: 'h',
  port,
  rack: null,
  incarnationId: '',
  fenced: false,
  epoch: 0,
  endpoints: [
    { listener: 'EXTERNAL', host: 'ext', port, securityProtocol: 'PLAINTEXT' },
    { listener: 'INTERNAL', host: 'int', port: port + 1, securityProtocol: 'PLAINTEXT' },
  ],
});

describe('inter-broker clients', () => {
  let clock: ManualClock;
  let brokers: Map<number, BrokerImage>;
  let connects: string[];
  let refuse: boolean;
  let opened: FakeClient[];
  let pool: BrokerClients;

  beforeEach(() => {
    clock = new ManualClock();
    brokers = new Map([[2, broker(2, 9000)]]);
    connects = [];
    opened = [];
    refuse = false;
    pool = new BrokerClients({
      image: { brokers },
      listenerName: 'INTERNAL',
      clientId: 'test',
      clock,
      backoffBaseMs: 1000,
      backoffMaxMs: 1000,
      connect: async (o: ClientOptions) => {
        const address = `${o.host}:${o.port}`;
        connects.push(address);
        if (refuse) throw new Error('ECONNREFUSED');
        const c = new FakeClient(address);
        opened.push(c);
        return c as unknown as KafkaClient;
      },
    });
  });

  it('picks the inter-broker listener, else the first endpoint, else host/port', () => {
    const b = broker(1, 100);
    assert.equal(interBrokerEndpoint(b, 'INTERNAL')!.host, 'int');
    assert.equal(interBrokerEndpoint(b, '')!.host, 'ext');
    assert.equal(interBrokerEndpoint(b, 'OTHER'), null);
    assert.deepEqual(interBrokerEndpoint({ host: 'x', port: 1 }, ''), { listener: '', host: 'x', port: 1, securityProtocol: 'PLAINTEXT' });
  });

  it('reuses one connection per broker on its inter-broker endpoint', async () => {
    const r = await pool.request<{ address: string }>(2, 63, 1, {});
    await pool.request(2, 63, 1, {});
    assert.equal(r.address, 'int:9001');
    assert.deepEqual(connects, ['int:9001']);
  });

  it('backs off after a failed connect instead of reconnecting on every request', async () => {
    refuse = true;
    await assert.rejects(pool.request(2, 63, 1, {}), BrokerUnavailableError);
    await assert.rejects(pool.request(2, 63, 1, {}), /retrying in/);
    assert.equal(connects.length, 1);
    refuse = false;
    await clock.advance(1000);
    await pool.request(2, 63, 1, {});
    assert.equal(connects.length, 2);
  });

  it('refuses unknown brokers and closes connections of brokers that left or moved', async () => {
    await assert.rejects(pool.request(7, 63, 1, {}), /not registered/);
    await pool.request(2, 63, 1, {});
    brokers.set(2, broker(2, 9100));
    pool.sync();
    await settle();
    assert.equal(opened[0].closed, true);
    const r = await pool.request<{ address: string }>(2, 63, 1, {});
    assert.equal(r.address, 'int:9101');
    brokers.delete(2);
    pool.sync();
    await settle();
    assert.equal(opened[1].closed, true);
    await pool.close();
    await assert.rejects(pool.request(2, 63, 1, {}), /closed/);
  });
});
