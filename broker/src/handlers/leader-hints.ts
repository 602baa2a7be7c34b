// KIP-951: a Produce or Fetch refused because this broker does not lead the partition (or the client's epoch is
// stale) names the current leader and epoch, and the response lists that leader's endpoint, so the client can
// redirect without a Metadata round trip. Shared by handlers/produce.ts (v10+) and handlers/fetch.ts (v12+/v16+).
import { ErrorCode } from '../protocol/errors';
import { brokerEndpoint, type MetadataImage } from '../cluster/metadata-image';
import type { BrokerServices } from '../services';

const REDIRECTED = new Set<number>([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.FENCED_LEADER_EPOCH]);

/** The leader to name in a partition's error response, when the error is one that redirects and a leader is known. */
export function currentLeader(image: MetadataImage, topicId: string, index: number, errorCode: number): { leaderId: number; leaderEpoch: number } | undefined {
  if (!REDIRECTED.has(errorCode)) return undefined;
  const state = image.topicsById.get(topicId)?.partitions[index];
  if (!state || state.leader < 0) return undefined;
  const leader = image.brokers.get(state.leader);
  if (!leader || leader.fenced) return undefined;
  return { leaderId: state.leader, leaderEpoch: state.leaderEpoch };
}

/** The endpoints (on the request's listener) of the leaders named in a response. */
export function leaderEndpoints(s: BrokerServices, listenerName: string, leaderIds: ReadonlySet<number>): Array<{ nodeId: number; host: string; port: number; rack: string | null }> {
  const out = [];
  for (const id of leaderIds) {
    const b = s.image.brokers.get(id);
    const e = b && brokerEndpoint(b, listenerName);
    if (b && e) out.push({ nodeId: id, host: e.host, port: e.port, rack: b.rack });
  }
  return out;
}
