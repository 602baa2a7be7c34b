// The Produce handler's answers to idempotent producers, over a real partition log.
import { strict as assert } from 'assert';
import produce from '../../src/handlers/produce';
import type { PartitionLog } from '../../src/log/partition-log';
import { ErrorCode } from '../../src/protocol/errors';
import { testRequestContext } from '../security/context';
import type { ProduceResponse } from '../../src/protocol/schema/types';
import { logger, open, useTempDir } from './helpers';
import { pbatch } from './producer-state-helpers';

type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];

/** Sends one partition's records through the handler, as ReplicaManager.appendRecords would append them. */
async function send(log: PartitionLog, records: Buffer): Promise<Pick<PartitionResponse, 'errorCode' | 'baseOffset'>> {
  const replicas = { appendRecords: (_topic: string, _index: number, r: Buffer) => log.append(r, { leaderEpoch: 0, fromClient: true }) };
  const ctx = testRequestContext({ replicas, logger }, { apiVersion: 9 });
  const res = await produce.handle({ transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] }, ctx);
  const { errorCode, baseOffset } = res!.responses[0].partitionResponses[0];
  return { errorCode, baseOffset };
}

describe('log: idempotent producer through the Produce handler', () => {
  const dir = useTempDir();

  it('answers retries with the original offset and refusals with Kafka’s error codes', async () => {
    const log = await open(dir());
    assert.deepEqual(await send(log, pbatch(5, 0, 0, 3)), { errorCode: 0, baseOffset: 0 });
    assert.deepEqual(await send(log, pbatch(5, 0, 3)), { errorCode: 0, baseOffset: 3 });
    assert.deepEqual(await send(log, pbatch(5, 0, 0, 3)), { errorCode: 0, baseOffset: 0 }, 'duplicate');
    assert.deepEqual(await send(log, pbatch(5, 0, 9)), { errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, baseOffset: -1 });
    assert.deepEqual(await send(log, pbatch(5, 1, 0)), { errorCode: 0, baseOffset: 4 });
    assert.deepEqual(await send(log, pbatch(5, 0, 4)), { errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, baseOffset: -1 });
    assert.equal(log.logEndOffset, 5);
  });
});
