// DescribeLogDirs (key 35), v1–4 as Kafka 4.1 serves them (v0 was removed in 4.0): the broker's log directories
// and the size of each partition replica in them (kafka-log-dirs.sh, AdminClient.describeLogDirs). Needs DESCRIBE
// on the cluster, as in Kafka: without it the answer lists no directory and (v3+) carries
// CLUSTER_AUTHORIZATION_FAILED. `topics` null describes every hosted partition; otherwise only the named ones this
// broker hosts (unknown ones are left out, as Kafka does).
//
// Two "log dirs" are reported:
//   - the data directory (log.dirs, absolute path): every hosted partition with its local size, offsetLag 0 and
//     isFutureKey false (there is no AlterReplicaLogDirs); v4's totalBytes/usableBytes from an asynchronous statfs
//     of its filesystem (-1 when it cannot be read).
//   - the object store, named by its location (`s3://bucket/prefix`, or `file:///dir` for the local store): each
//     tiered partition this broker leads (remote.storage.enable, or a manifest already in the store), with the
//     bytes of its segments in the remote manifest; totalBytes/usableBytes -1 (unknown: a bucket has no volume).
// Why the object store is a log dir: Kafka's protocol has no field for a partition's remote size (Kafka itself
// reports only local segments), so this is the one place an unmodified client can see it, and tools such as
// kafka-log-dirs.sh then show the remote copy too. Only the leader lists it because only the leader keeps its
// view of the manifest current. Everything comes from memory (segment sizes, the loaded manifest): no object-store
// request is made per DescribeLogDirs.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { DescribeLogDirsRequest, DescribeLogDirsResponse } from '../protocol/schema/types';
import type { Partition } from '../cluster/partition';
import { objectStoreLocation } from '../tier/object-store-factory';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';
import { defineHandler } from './handler';

type LogDirResult = DescribeLogDirsResponse['results'][number];
type TopicResult = LogDirResult['topics'][number];

/** v4 reports the volume's size; unknown is -1 (the schema's default). */
const UNKNOWN = -1;

export default defineHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>({
  apiKey: ApiKey.DescribeLogDirs,
  minVersion: 1,
  maxVersion: 4,
  async handle(req, ctx) {
    if (!ctx.authorize(AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
    }
    const { config, replicas } = ctx.services;
    const wanted = selector(req.topics);
    const hosted = [...replicas.all()].filter((p) => wanted(p.topic, p.index));
    const tiered = hosted.filter((p) => {
      const remote = p.log.remoteLog;
      return p.isLeader && remote !== null && (p.log.config.remoteStorageEnable || remote.isActive);
    });
    const volume = ctx.apiVersion >= 4 ? await volumeOf(config.dataDir) : { totalBytes: UNKNOWN, usableBytes: UNKNOWN };
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      results: [
        { errorCode: ErrorCode.NONE, logDir: path.resolve(config.dataDir), topics: byTopic(hosted, (p) => p.log.sizeBytes), ...volume },
        { errorCode: ErrorCode.NONE, logDir: objectStoreLocation(config), topics: byTopic(tiered, (p) => p.log.remoteLog!.sizeBytes), totalBytes: UNKNOWN, usableBytes: UNKNOWN },
      ],
    };
  },
});

/** Whether a hosted partition was asked for (every one when topics is null). */
function selector(topics: DescribeLogDirsRequest['topics']): (topic: string, index: number) => boolean {
  if (topics === null) return () => true;
  const asked = new Map<string, Set<number>>();
  for (const t of topics) {
    let set = asked.get(t.topic);
    if (!set) asked.set(t.topic, (set = new Set()));
    for (const i of t.partitions) set.add(i);
  }
  return (topic, index) => asked.get(topic)?.has(index) ?? false;
}

/** Partitions grouped by topic, both sorted, each with its size in this log dir. */
function byTopic(partitions: Partition[], size: (p: Partition) => number): TopicResult[] {
  const topics = new Map<string, TopicResult>();
  for (const p of [...partitions].sort((a, b) => a.topic.localeCompare(b.topic) || a.index - b.index)) {
    let t = topics.get(p.topic);
    if (!t) topics.set(p.topic, (t = { name: p.topic, partitions: [] }));
    t.partitions.push({ partitionIndex: p.index, partitionSize: size(p), offsetLag: 0, isFutureKey: false });
  }
  return [...topics.values()];
}

/** The data directory's filesystem, asynchronously (a slow disk must not block the event loop). */
async function volumeOf(dir: string): Promise<{ totalBytes: number; usableBytes: number }> {
  try {
    const s = await fs.statfs(dir);
    return { totalBytes: s.blocks * s.bsize, usableBytes: s.bavail * s.bsize };
  } catch {
    return { totalBytes: UNKNOWN, usableBytes: UNKNOWN };
  }
}
