// Proof from outside the brokers that a cluster really replicates: the bytes of a topic's segment files
// (<logDir>/<topic>-<partition>/*.log, the same layout in Kafka and Strata) on every broker's disk. A partition's ISR
// in Metadata is not enough: both systems list every assigned replica in the ISR of a new partition.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Bytes of the segment files of `topic` under one broker's log dir (0 when it holds none). */
export function topicBytesOnDisk(logDir: string, topic: string): number {
  let bytes = 0;
  let entries: string[];
  try {
    entries = fs.readdirSync(logDir);
  } catch {
    return 0;
  }
  const partitionDir = new RegExp(`^${topic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+$`);
  for (const dir of entries.filter((e) => partitionDir.test(e))) {
    for (const f of fs.readdirSync(path.join(logDir, dir))) {
      if (f.endsWith('.log')) bytes += fs.statSync(path.join(logDir, dir, f)).size;
    }
  }
  return bytes;
}

/**
 * Waits (up to timeoutMs, polling) until every broker's log dir holds at least `payloadBytes` of `topic` — each a
 * full replica, as the topic's records are on every broker — and returns the bytes per broker, reached or not.
 */
export async function waitForReplicaBytes(logDirs: readonly string[], topic: string, payloadBytes: number, timeoutMs: number): Promise<{ complete: boolean; bytes: number[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const bytes = logDirs.map((d) => topicBytesOnDisk(d, topic));
    const complete = bytes.every((b) => b >= payloadBytes);
    if (complete || Date.now() > deadline) return { complete, bytes };
    await new Promise((r) => setTimeout(r, 250));
  }
}
