// Shared pieces of the tiered-storage e2e suites: a moto server, the fault proxy in front of it, and a broker
// process configured with `--object-store-type s3` pointing at the proxy; plus readers of what the broker left
// in the bucket (manifests and segment objects, read straight from moto, not through the proxy) and on its
// local disk (segment files), and a deterministic record generator for byte-for-byte comparisons.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { BrokerProcess, type BrokerOptions } from '../helpers/broker-process';
import { FaultProxy } from '../helpers/fault-proxy';
import { fetchWithoutGroup } from '../helpers/kafkajs-fetch';
import { kcatConsume } from '../helpers/kcat';
import { MOTO_ACCESS_KEY, MOTO_REGION, MOTO_SECRET_KEY, MotoServer } from '../helpers/moto';
import { waitFor } from '../helpers/util';

/** Key prefix the brokers use in the bucket (exercises --s3-prefix). */
export const S3_PREFIX = 'strata-e2e';
export const SEGMENT_SUFFIXES = ['.log', '.index', '.timeindex'] as const;

/** Extra broker flags for the tiering suites, e.g. GC or upload intervals: STRATA_TIER_E2E_ARGS="--a 1 --b 2". */
export function extraTierArgs(): string[] {
  return (process.env.STRATA_TIER_E2E_ARGS ?? '').split(/\s+/).filter((s) => s !== '');
}

export function s3BrokerArgs(endpoint: string, bucket: string, requestTimeoutMs = 2000): string[] {
  return [
    '--object-store-type', 's3',
    '--s3-endpoint', endpoint,
    '--s3-bucket', bucket,
    '--s3-prefix', S3_PREFIX,
    '--s3-path-style', 'true',
    '--s3-access-key-id', MOTO_ACCESS_KEY,
    '--s3-secret-access-key', MOTO_SECRET_KEY,
    '--s3-region', MOTO_REGION,
    '--s3-request-timeout-ms', String(requestTimeoutMs),
  ];
}

export interface TierStack {
  moto: MotoServer;
  proxy: FaultProxy;
  broker: BrokerProcess;
  bucket: string;
}

/** moto + fault proxy (pass-through) + a broker tiering into a fresh bucket through the proxy. */
export async function startTierStack(bucket: string, opts: BrokerOptions & { requestTimeoutMs?: number } = {}): Promise<TierStack> {
  const moto = await MotoServer.start({ buckets: [bucket] });
  let proxy: FaultProxy | undefined;
  try {
    proxy = await FaultProxy.start(moto.port);
    const broker = await BrokerProcess.start({
      autoCreateTopics: false,
      ...opts,
      extraArgs: (port) => [
        ...s3BrokerArgs(proxy!.endpoint, bucket, opts.requestTimeoutMs),
        '--log-retention-check-interval-ms', '500',
        ...extraTierArgs(),
        ...(typeof opts.extraArgs === 'function' ? opts.extraArgs(port) : (opts.extraArgs ?? [])),
      ],
    });
    return { moto, proxy, broker, bucket };
  } catch (err) {
    await proxy?.stop();
    await moto.stop();
    throw err;
  }
}

export async function stopTierStack(s: Partial<TierStack> | undefined): Promise<void> {
  if (!s) return;
  try {
    await s.broker?.cleanup();
  } finally {
    await s.proxy?.stop();
    await s.moto?.stop();
  }
}

/** The topic id the broker wrote next to a partition's local log (partition.metadata). */
export function topicIdOf(broker: BrokerProcess, topic: string, partition = 0): string {
  const text = fs.readFileSync(path.join(broker.dataDir, `${topic}-${partition}`, 'partition.metadata'), 'utf8');
  const m = /topic_id: (\S+)/.exec(text);
  if (!m) throw new Error(`no topic_id in partition.metadata of ${topic}-${partition}: ${text}`);
  return m[1];
}

/** Base offsets of the local segment files (.log) of a partition, sorted. */
export function localSegments(broker: BrokerProcess, topic: string, partition: number): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(broker.dataDir, `${topic}-${partition}`));
  } catch {
    return [];
  }
  return names
    .map((n) => /^(\d{20})\.log$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

export interface ManifestSegment {
  id: string;
  baseOffset: number;
  lastOffset: number;
  sizeBytes: number;
  key: string;
}

export interface PartitionTier {
  /** The partition's key prefix in the bucket (with the S3 prefix), or undefined when nothing is there yet. */
  prefix: string | undefined;
  manifest: { logStartOffset: number; segments: ManifestSegment[] } | null;
  /** Every key under the partition prefix, with sizes. */
  objects: Array<{ key: string; size: number }>;
}

/**
 * What the bucket holds for one partition, read from moto directly: a listing taken between two reads of the
 * same manifest, so it is consistent with it (an upload the manifest references finished before the listing,
 * and objects it references are deleted only after a newer manifest drops them). Retried while the broker
 * changes the manifest under the reader.
 */
export async function partitionTier(moto: MotoServer, bucket: string, topicId: string, partition: number): Promise<PartitionTier> {
  const marker = `/topics/${topicId}/${partition}/`;
  const hit = (await moto.listObjects(bucket, `${S3_PREFIX}/`)).find((o) => o.key.includes(marker));
  if (!hit) return { prefix: undefined, manifest: null, objects: [] };
  const prefix = hit.key.slice(0, hit.key.indexOf(marker) + marker.length);
  const readManifest = async () => {
    try {
      return (await moto.getObject(bucket, `${prefix}manifest.json`)).toString('utf8');
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null; // no manifest yet
      throw err;
    }
  };
  for (let attempt = 1; ; attempt++) {
    const before = await readManifest();
    const objects = (await moto.listObjects(bucket, prefix)).filter((o) => o.key.startsWith(prefix));
    const after = await readManifest();
    if (before === after || attempt === 20) {
      const manifest = after === null ? null : (JSON.parse(after) as PartitionTier['manifest']);
      return { prefix, manifest, objects };
    }
  }
}

/** One past the last offset in the bucket according to the manifest (0 when nothing is tiered). */
export function tieredEnd(t: PartitionTier): number {
  const segs = t.manifest?.segments ?? [];
  return segs.length === 0 ? 0 : segs[segs.length - 1].lastOffset + 1;
}

/** Bucket keys a manifest references (its segments' three objects each), with the S3 prefix. */
export function referencedKeys(t: PartitionTier): Set<string> {
  const out = new Set<string>();
  for (const s of t.manifest?.segments ?? []) for (const suf of SEGMENT_SUFFIXES) out.add(`${S3_PREFIX}/${s.key}${suf}`);
  return out;
}

/**
 * Checks the manifest against the bucket: segments in offset order without gaps or overlaps, every referenced
 * object present, every .log object exactly sizeBytes long (no partial upload is referenced).
 */
export function assertManifestConsistent(t: PartitionTier, what: string): void {
  const segs = t.manifest?.segments ?? [];
  const sizes = new Map(t.objects.map((o) => [o.key, o.size]));
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    assert.ok(s.lastOffset >= s.baseOffset, `${what}: segment ${s.baseOffset}-${s.lastOffset} is inverted`);
    if (i > 0) assert.equal(s.baseOffset, segs[i - 1].lastOffset + 1, `${what}: gap or overlap before segment ${s.baseOffset}`);
    for (const suf of SEGMENT_SUFFIXES) {
      const key = `${S3_PREFIX}/${s.key}${suf}`;
      assert.ok(sizes.has(key), `${what}: manifest references ${key}, which is not in the bucket`);
    }
    assert.equal(sizes.get(`${S3_PREFIX}/${s.key}.log`), s.sizeBytes, `${what}: ${s.key}.log size differs from the manifest`);
  }
}

/** Objects under the partition prefix that no manifest references (besides the manifest itself). */
export function orphanKeys(t: PartitionTier): string[] {
  const ref = referencedKeys(t);
  return t.objects.map((o) => o.key).filter((k) => !ref.has(k) && !k.endsWith('/manifest.json'));
}

// ------------------------------------------------------------------------------------------------
// Records

export interface Rec {
  partition: number;
  key: string;
  value: string;
}

/** Deterministic records: key k<p>-<i>, a printable value of 300-1100 bytes derived from a hash (kcat-safe). */
export function makeRecords(tag: string, partition: number, from: number, count: number): Rec[] {
  const out: Rec[] = [];
  for (let i = from; i < from + count; i++) {
    const seed = createHash('sha256').update(`${tag}/${partition}/${i}`).digest();
    const len = 300 + (seed.readUInt16BE(0) % 800);
    let v = '';
    for (let h = seed; v.length < len; h = createHash('sha256').update(h).digest()) v += h.toString('base64url');
    out.push({ partition, key: `k${partition}-${i}`, value: `${i}:${v.slice(0, len)}` });
  }
  return out;
}

/** Produces with acks=-1 in batches of `batch` and checks each batch landed at the expected offsets. */
export async function produceAll(kafka: Kafka, topic: string, recs: Rec[], firstOffset: Map<number, number>, batch = 40): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const next = new Map(firstOffset);
    for (let i = 0; i < recs.length; i += batch) {
      const chunk = recs.slice(i, i + batch);
      const res = await producer.send({
        topic,
        acks: -1,
        timeout: 15_000,
        messages: chunk.map((r) => ({ partition: r.partition, key: r.key, value: r.value })),
      });
      for (const r of res) {
        assert.equal(r.errorCode, 0);
        const want = next.get(r.partition) ?? 0;
        assert.equal(Number(r.baseOffset), want, `partition ${r.partition}: batch landed at ${r.baseOffset}, expected ${want}`);
        next.set(r.partition, want + chunk.filter((c) => c.partition === r.partition).length);
      }
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** Reads [0, end) of each partition with KafkaJS (no group) and compares keys and values byte for byte. */
export async function verifyWithKafkaJS(kafka: Kafka, topic: string, expected: Map<number, Rec[]>, timeoutMs = 60_000): Promise<void> {
  const ends = new Map([...expected].map(([p, recs]) => [p, BigInt(recs.length)]));
  const got = await fetchWithoutGroup(kafka, topic, ends, { fromOffset: 0n, timeoutMs });
  for (const [p, recs] of expected) {
    const read = got.get(p) ?? [];
    assert.equal(read.length, recs.length, `KafkaJS read ${read.length} of ${recs.length} records of partition ${p}`);
    for (let i = 0; i < recs.length; i++) {
      const r = read[i];
      assert.equal(r.offset, BigInt(i), `partition ${p}: record ${i} has offset ${r.offset}`);
      assert.ok(r.key !== null && r.key.equals(Buffer.from(recs[i].key)), `partition ${p} offset ${i}: key differs`);
      assert.ok(r.value !== null && r.value.equals(Buffer.from(recs[i].value)), `partition ${p} offset ${i}: value differs`);
    }
  }
}

/** Reads the first `recs.length` records of a partition with kcat and compares offset, key and value. */
export async function verifyWithKcat(bootstrap: string, topic: string, partition: number, recs: Rec[], timeoutMs = 60_000): Promise<void> {
  const lines = await kcatConsume(bootstrap, topic, { partition, offset: 'beginning', count: recs.length, format: '%o|%k|%s\n', timeoutMs });
  assert.equal(lines.length, recs.length, `kcat read ${lines.length} of ${recs.length} records of partition ${partition}`);
  for (let i = 0; i < recs.length; i++) {
    const want = `${i}|${recs[i].key}|${recs[i].value}`;
    if (lines[i] !== want) assert.fail(`kcat partition ${partition} offset ${i}: got ${lines[i].slice(0, 80)}…, want ${want.slice(0, 80)}…`);
  }
}

/** Waits until the manifest covers at least `minEnd` offsets of the partition. */
export async function waitTiered(moto: MotoServer, bucket: string, topicId: string, partition: number, minEnd: number, timeoutMs: number): Promise<PartitionTier> {
  return waitFor(
    async () => {
      const t = await partitionTier(moto, bucket, topicId, partition);
      return tieredEnd(t) >= minEnd ? t : undefined;
    },
    { timeoutMs, intervalMs: 250, what: `partition ${partition} of topic ${topicId} tiered up to offset ${minEnd}` },
  );
}
