// Wire-level helpers built on the project's own protocol client (broker/src/protocol/client.ts): produce a
// prepared record batch as is (so a test controls producer id, epoch and sequence), read a partition's
// batch headers back (producer id, epoch, base sequence, record count) and its records, and ask for offsets.
import { ApiKey } from '../../broker/src/protocol/apis';
import { KafkaClient } from '../../broker/src/protocol/client';
import { decodeRecords, LOG_OVERHEAD, readBatchHeader, RECORD_BATCH_HEADER_SIZE, type BatchHeader } from '../../broker/src/protocol/records';
import type { FetchResponse, InitProducerIdResponse, ListOffsetsResponse, ProduceResponse } from '../../broker/src/protocol/schema/types';

export interface ProduceResult {
  errorCode: number;
  baseOffset: number;
  logStartOffset: number;
  errorMessage: string | null;
}

export class WireClient {
  private constructor(readonly client: KafkaClient) {}

  static async connect(host: string, port: number, clientId = 'strata-e2e-wire'): Promise<WireClient> {
    const client = await KafkaClient.connect({ host, port, clientId, timeoutMs: 20_000 });
    await client.apiVersions();
    return new WireClient(client);
  }

  close(): Promise<void> {
    return this.client.close();
  }

  /** InitProducerId for an idempotent (non-transactional) producer. */
  async initProducerId(): Promise<InitProducerIdResponse> {
    const v = this.client.pickVersion(ApiKey.InitProducerId);
    return this.client.request<InitProducerIdResponse>(ApiKey.InitProducerId, v, {
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      producerId: -1,
      producerEpoch: -1,
    });
  }

  /**
   * Produces `batch` to one partition with acks=-1. The broker rewrites the base offset (and maybe the leader
   * epoch) of the buffer it receives, so pass a copy when the same bytes are to be sent again.
   */
  async produce(topic: string, partition: number, batch: Buffer, version = Math.min(9, this.client.pickVersion(ApiKey.Produce))): Promise<ProduceResult> {
    const res = await this.client.request<ProduceResponse>(ApiKey.Produce, version, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 15_000,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
    });
    const p = res.responses[0]?.partitionResponses[0];
    if (!p) throw new Error(`produce response without a partition: ${JSON.stringify(res)}`);
    return { errorCode: p.errorCode, baseOffset: p.baseOffset, logStartOffset: p.logStartOffset, errorMessage: p.errorMessage ?? null };
  }

  /** ListOffsets latest (-1) or earliest (-2) for one partition. */
  async offset(topic: string, partition: number, timestamp: -1 | -2 = -1): Promise<number> {
    const res = await this.client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 4, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] }],
    });
    const p = res.topics[0].partitions[0];
    if (p.errorCode !== 0) throw new Error(`ListOffsets ${topic}[${partition}] error ${p.errorCode}`);
    return p.offset;
  }

  /** Every batch of a partition from offset 0 to the high watermark, with its header and decoded records. */
  async readBatches(topic: string, partition: number): Promise<Array<{ header: BatchHeader; records: Array<{ offset: number; key: string | null; value: string | null }> }>> {
    const end = await this.offset(topic, partition, -1);
    const out: Array<{ header: BatchHeader; records: Array<{ offset: number; key: string | null; value: string | null }> }> = [];
    let next = await this.offset(topic, partition, -2);
    const deadline = Date.now() + 30_000;
    while (next < end) {
      if (Date.now() > deadline) throw new Error(`reading ${topic}[${partition}] did not reach ${end} (at ${next})`);
      const res = await this.client.request<FetchResponse>(ApiKey.Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 100,
        minBytes: 1,
        maxBytes: 16 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: next, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 8 << 20 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      const pr = res.responses[0].partitions[0];
      if (pr.errorCode !== 0) throw new Error(`fetch ${topic}[${partition}] at ${next}: error ${pr.errorCode}`);
      const buf = (pr.records as Buffer | null) ?? Buffer.alloc(0);
      let pos = 0;
      while (pos + RECORD_BATCH_HEADER_SIZE <= buf.length) {
        const header = readBatchHeader(buf, pos);
        const size = header.batchLength + LOG_OVERHEAD;
        if (pos + size > buf.length) break;
        const lastOffset = header.baseOffset + header.lastOffsetDelta;
        if (lastOffset >= next) {
          const recs = (await decodeRecords(buf.subarray(pos, pos + size))).map((r) => ({
            offset: r.offset,
            key: r.key === null ? null : r.key.toString('utf8'),
            value: r.value === null ? null : r.value.toString('utf8'),
          }));
          out.push({ header, records: recs.filter((r) => r.offset >= next) });
          next = lastOffset + 1;
        }
        pos += size;
      }
    }
    return out;
  }
}
