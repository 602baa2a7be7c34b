// BrokerHeartbeat (api 63) over TCP against a real broker process, through the inter-broker client pool
// (cluster/broker-clients.ts): a single broker holds the controller role itself, answers its registered broker
// (unfenced) and refuses an unknown one; the pool fails fast while the broker is down (backoff) and reconnects
// once it is back on the same endpoint.
import { strict as assert } from 'node:assert';
import { BrokerClients, BrokerUnavailableError } from '../broker/src/cluster/broker-clients';
import type { BrokerImage } from '../broker/src/cluster/metadata-image';
import { ApiKey } from '../broker/src/protocol/apis';
import { ErrorCode } from '../broker/src/protocol/errors';
import type { BrokerHeartbeatResponse } from '../broker/src/protocol/schema/types';
import { useBroker } from './helpers/suite';
import { waitFor } from './helpers/util';

describe('BrokerHeartbeat and inter-broker clients (one broker process)', function () {
  this.timeout(120_000);
  const ref = useBroker({ name: 'heartbeat' });
  let clients: BrokerClients;

  const heartbeat = (brokerId: number, wantShutDown = false) =>
    clients.request<BrokerHeartbeatResponse>(1, ApiKey.BrokerHeartbeat, 1, { brokerId, brokerEpoch: -1, currentMetadataOffset: 0, wantFence: false, wantShutDown });

  before(() => {
    const b = ref.broker;
    const self: BrokerImage = { nodeId: 1, host: b.host, port: b.port, rack: null, incarnationId: '', fenced: false, epoch: 0, endpoints: [{ listener: 'PLAINTEXT', host: b.host, port: b.port, securityProtocol: 'PLAINTEXT' }] };
    clients = new BrokerClients({ image: { brokers: new Map([[1, self]]) }, listenerName: '', clientId: 'heartbeat-test', requestTimeoutMs: 5000, backoffBaseMs: 200, backoffMaxMs: 1000 });
  });
  after(async () => {
    await clients?.close();
  });

  it('answers a registered broker as unfenced and refuses an unknown one', async () => {
    const ok = await heartbeat(1);
    assert.equal(ok.errorCode, ErrorCode.NONE);
    assert.equal(ok.isFenced, false);
    assert.equal(ok.shouldShutDown, false);
    const unknown = await heartbeat(42);
    assert.equal(unknown.errorCode, ErrorCode.BROKER_ID_NOT_REGISTERED);
    assert.equal(unknown.isFenced, true);
  });

  it('fails fast while the broker is down and reconnects when it is back', async () => {
    await ref.broker.kill9();
    await assert.rejects(heartbeat(1), BrokerUnavailableError);
    await assert.rejects(heartbeat(1), BrokerUnavailableError, 'no connection while it is down');
    await ref.broker.restart();
    const res = await waitFor(async () => heartbeat(1), { timeoutMs: 30_000, what: 'a heartbeat answered after the restart' });
    assert.equal(res.errorCode, ErrorCode.NONE);
    assert.equal(res.isFenced, false);
  });
});
