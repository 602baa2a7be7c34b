// Is the broker still serving? `probe` asks ApiVersions and Metadata on a fresh connection (cheap, used after
// every fuzz batch); `SideChannel` is a real client (KafkaJS) on its own long-lived connection that produces a
// record and reads it back, used after each hostile batch.
import type { Kafka, Producer } from 'kafkajs';
import { createKafka } from '../helpers/kafkajs';
import { fetchWithoutGroup } from '../helpers/kafkajs-fetch';
import { apiVersionsV0Frame, metadataV1Frame, parseApiVersionsV0, RawConnection } from '../helpers/wire';
import { responseProblem } from './responses';

const PROBE_CORRELATION_ID = 0x50524f42; // 'PROB'

/** Null if the broker answers ApiVersions v0 and Metadata v1 within the timeout, else what went wrong. */
export async function probe(host: string, port: number, timeoutMs: number): Promise<string | null> {
  let conn: RawConnection;
  try {
    conn = await RawConnection.open(host, port, timeoutMs);
  } catch (err) {
    return `cannot connect: ${(err as Error).message}`;
  }
  try {
    const apiVersions = apiVersionsV0Frame(PROBE_CORRELATION_ID);
    conn.write(apiVersions);
    const a = await conn.next(timeoutMs);
    if (a.kind !== 'frame') return `ApiVersions: ${a.kind}`;
    if (parseApiVersionsV0(a.frame).errorCode !== 0) return 'ApiVersions answered with an error';
    const metadata = metadataV1Frame(PROBE_CORRELATION_ID + 1, []);
    conn.write(metadata);
    const m = await conn.next(timeoutMs);
    if (m.kind !== 'frame') return `Metadata: ${m.kind}`;
    return responseProblem(metadata, m.frame);
  } finally {
    conn.destroy();
  }
}

/** True once the process is seen gone; waits up to timeoutMs, since a refused connection often comes first. */
export async function exitSeen(isAlive: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return !isAlive();
}

/** A KafkaJS producer and a group-less KafkaJS reader on connections of their own. */
export class SideChannel {
  private probes = 0;

  private constructor(
    private readonly kafka: Kafka,
    private readonly producer: Producer,
    private readonly topic: string,
  ) {}

  /** `topic` must exist (one partition is enough). */
  static async open(bootstrap: string, topic: string): Promise<SideChannel> {
    const kafka = createKafka(bootstrap, 'strata-fuzz-side-channel');
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    return new SideChannel(kafka, producer, topic);
  }

  /** Produces one record with acks=all and reads it back; throws with `after` in the message if either fails. */
  async check(after: string): Promise<void> {
    const value = `side-channel-${++this.probes}`;
    const [res] = await this.producer.send({ topic: this.topic, acks: -1, messages: [{ partition: 0, value }] });
    if (res.errorCode !== 0) throw new Error(`side-channel produce failed (error ${res.errorCode}) after ${after}`);
    const offset = BigInt(res.baseOffset ?? '-1');
    const got = await fetchWithoutGroup(this.kafka, this.topic, new Map([[0, offset + 1n]]), { fromOffset: offset, timeoutMs: 15_000 });
    const values = (got.get(0) ?? []).map((r) => r.value?.toString());
    if (values[0] !== value) throw new Error(`side-channel read ${JSON.stringify(values)} instead of ${value} after ${after}`);
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}
