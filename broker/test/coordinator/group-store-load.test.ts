// Loading groups from a real __consumer_offsets partition log that holds garbage between good records: the
// garbage is skipped and counted, everything decodable around it is loaded, and nothing throws.
import { strict as assert } from 'node:assert';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ReplicaManager } from '../../src/cluster/replica-manager';
import { GroupStore, OFFSETS_TOPIC } from '../../src/coordinator/group-store';
import { encodeOffsetsRecord, type OffsetsRecord } from '../../src/coordinator/offsets-records';
import { DEFAULT_LOG_CONFIG } from '../../src/log/log-config';
import { PartitionLog } from '../../src/log/partition-log';
import '../../src/protocol/compression';
import { buildRecordBatch, Compression, computeBatchCrc, type RecordInput } from '../../src/protocol/records';
import { newCoordinator, silentLogger, useCoordinators } from './helpers';

const ATTRIBUTES_OFFSET = 21;
const CRC_OFFSET = 17;

function offsetRecord(group: string, topic: string, partition: number, offset: number): OffsetsRecord {
  return { kind: 'offset', group, topic, partition, value: { offset, leaderEpoch: -1, metadata: '', commitTimestamp: 1 } };
}

function batchOf(records: RecordInput[]): Buffer {
  return buildRecordBatch({ timestamp: 1_000_000, records });
}

/** A batch whose header says gzip but whose body is not gzip data; the CRC is valid, so the log accepts it. */
function garbageGzipBatch(): Buffer {
  const b = batchOf([{ key: Buffer.from('k'), value: Buffer.from('not gzip at all') }]);
  b.writeInt16BE(b.readInt16BE(ATTRIBUTES_OFFSET) | Compression.GZIP, ATTRIBUTES_OFFSET);
  b.writeUInt32BE(computeBatchCrc(b, 0, b.length), CRC_OFFSET);
  return b;
}

describe('loading __consumer_offsets with undecodable records', () => {
  useCoordinators();
  let dir: string;
  let log: PartitionLog;

  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-offsets-load-'));
    log = await PartitionLog.open(path.join(dir, `${OFFSETS_TOPIC}-0`), DEFAULT_LOG_CONFIG, { logger: silentLogger });
  });
  afterEach(async () => {
    await log.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('skips, logs and counts garbage batches and records; loads every good record around them', async () => {
    await log.append(batchOf([encodeOffsetsRecord(offsetRecord('g1', 'a', 0, 5))]), { leaderEpoch: 0 });
    // One batch of undecodable records between good ones: a key version with a truncated body, a one-byte key,
    // a record without a key, and a valid key whose value is garbage.
    await log.append(
      batchOf([
        { key: Buffer.from([0x00, 0x01, 0x7f]), value: null },
        { key: Buffer.from([0x01]), value: Buffer.from('x') },
        { key: null, value: Buffer.from('no key') },
        { key: encodeOffsetsRecord(offsetRecord('g3', 'a', 0, 1)).key, value: Buffer.from([0x00, 0x03, 0xff]) },
        encodeOffsetsRecord(offsetRecord('g4', 'a', 1, 9)), // a good record in the same batch is kept
      ]),
      { leaderEpoch: 0 },
    );
    await log.append(garbageGzipBatch(), { leaderEpoch: 0 });
    await log.append(batchOf([encodeOffsetsRecord(offsetRecord('g1', 'a', 0, 7)), encodeOffsetsRecord(offsetRecord('g2', 'b', 2, 3))]), { leaderEpoch: 0 });

    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (msg: string) => void warnings.push(msg) };
    let skipped = 0;
    const replicas = { topicIdOf: () => undefined, get: (topic: string, p: number) => (topic === OFFSETS_TOPIC && p === 0 ? { log } : assert.fail(`unexpected ${topic}-${p}`)) };
    const store = new GroupStore(replicas as unknown as ReplicaManager, 1, { logger, onUndecodable: () => skipped++ });

    const { coord } = await newCoordinator({ partitionExists: () => true }, store as never);
    assert.ok(coord.isLoaded);
    assert.equal(skipped, 5, '4 undecodable records and 1 undecodable batch');
    assert.ok(warnings.some((w) => /undecodable batch/.test(w)));
    assert.ok(warnings.some((w) => /undecodable record/.test(w)));
    const committed = (group: string) => coord.fetchOffsets(group, null).map((f) => [f.topic, f.partition, f.committed?.offset]);
    assert.deepEqual(committed('g1'), [['a', 0, 7]]);
    assert.deepEqual(committed('g2'), [['b', 2, 3]]);
    assert.deepEqual(committed('g4'), [['a', 1, 9]]);
    assert.deepEqual(committed('g3'), []);
  });

  it('logs at most a bounded number of skipped records one by one, then a summary', async () => {
    await log.append(batchOf(Array.from({ length: 50 }, () => ({ key: Buffer.from([0x01]), value: null }))), { leaderEpoch: 0 });
    const warnings: string[] = [];
    let skipped = 0;
    const replicas = { topicIdOf: () => undefined, get: () => ({ log }) };
    const store = new GroupStore(replicas as unknown as ReplicaManager, 1, { logger: { ...silentLogger, warn: (m: string) => void warnings.push(m) }, onUndecodable: () => skipped++ });
    for await (const r of store.load(0)) assert.fail(`nothing decodable, got ${JSON.stringify(r)}`);
    assert.equal(skipped, 50);
    assert.equal(warnings.length, 11, '10 single warnings and one summary');
  });
});
