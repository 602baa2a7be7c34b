// ElectLeaders (api 43) over TCP against one broker process: a partition already led by its preferred replica
// needs no election, an unknown partition and a repeated one are refused per partition, an unknown election type
// fails the request, and "every partition" reports nothing when nothing changes. (Elections that move leaders
// are covered by the controller's unit tests and the cluster suites.)
import { strict as assert } from 'node:assert';
import { KafkaClient } from '../broker/src/protocol/client';
import { ApiKey } from '../broker/src/protocol/apis';
import { ErrorCode } from '../broker/src/protocol/errors';
import type { CreateTopicsResponse, ElectLeadersRequest, ElectLeadersResponse } from '../broker/src/protocol/schema/types';
import { useBroker } from './helpers/suite';
import { uniqueName } from './helpers/util';

describe('ElectLeaders (one broker process)', function () {
  this.timeout(60_000);
  const ref = useBroker({ name: 'elect-leaders' });
  const topic = uniqueName('elect');
  let client: KafkaClient;

  const elect = (version: number, body: Omit<ElectLeadersRequest, 'timeoutMs'>) => client.request<ElectLeadersResponse>(ApiKey.ElectLeaders, version, { ...body, timeoutMs: 5000 });
  const codes = (res: ElectLeadersResponse) => res.replicaElectionResults.map((t) => [t.topic, t.partitionResult.map((p) => [p.partitionId, p.errorCode])]);

  before(async () => {
    client = await KafkaClient.connect({ host: ref.broker.host, port: ref.broker.port, clientId: 'elect-test' });
    await client.apiVersions();
    assert.equal(client.pickVersion(ApiKey.ElectLeaders), 2);
    const res = await client.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
      topics: [{ name: topic, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    });
    assert.equal(res.topics[0].errorCode, ErrorCode.NONE);
  });
  after(async () => {
    await client?.close();
  });

  for (const version of [0, 1, 2]) {
    it(`v${version}: preferred election per partition: not needed, unknown partition, repeated partition`, async () => {
      const res = await elect(version, { electionType: 0, topicPartitions: [{ topic, partitions: [0, 1, 7, 0] }, { topic: 'no-such-topic', partitions: [0] }] });
      assert.deepEqual(codes(res), [
        [topic, [[0, ErrorCode.ELECTION_NOT_NEEDED], [1, ErrorCode.ELECTION_NOT_NEEDED], [7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [0, ErrorCode.INVALID_REQUEST]]],
        ['no-such-topic', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
      ]);
      assert.equal(res.errorCode ?? ErrorCode.NONE, ErrorCode.NONE);
    });
  }

  it('unclean election of a partition with an alive leader is not needed; every partition reports nothing', async () => {
    assert.deepEqual(codes(await elect(2, { electionType: 1, topicPartitions: [{ topic, partitions: [1] }] })), [[topic, [[1, ErrorCode.ELECTION_NOT_NEEDED]]]]);
    assert.deepEqual(codes(await elect(2, { electionType: 0, topicPartitions: null })), []);
    assert.deepEqual(codes(await elect(2, { electionType: 1, topicPartitions: null })), []);
  });

  it('an unknown election type fails the whole request', async () => {
    const res = await elect(2, { electionType: 5, topicPartitions: [{ topic, partitions: [0] }] });
    assert.equal(res.errorCode, ErrorCode.INVALID_REQUEST);
    assert.deepEqual(codes(res), [[topic, [[0, ErrorCode.INVALID_REQUEST]]]]);
  });
});
