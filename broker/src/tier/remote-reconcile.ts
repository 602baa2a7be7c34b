// Lining a local log up with its remote side, when the log opens and when this broker becomes the
// partition's leader (the manifest reloaded). One rule for both: when the bucket holds offsets past the local
// end (the data dir was wiped, is older than the bucket, or an unclean leader lags it), the local log restarts
// empty at the remote end, so appends continue after the tiered offsets; a remote start past the local start
// (retention or DeleteRecords, maybe cut short by a crash, or done by the previous leader) moves the local
// start. Leader epochs of tiered segments fill in the epoch cache below its first local entry.
import type { Logger } from '../logger';
import type { LogConfig } from '../log/log-config';
import type { LeaderEpochCache } from '../log/leader-epoch-cache';
import type { LoadedPartition } from '../log/recovery';
import { Segment } from '../log/segment';
import type { RemoteLog } from './remote-log';

/** What the local log must do to line up with the remote side. */
export interface RemotePlan {
  /** Empty the local log and start it here. */
  restartAt?: number;
  /** Move the local log start here. */
  moveStartTo?: number;
}

export function planAgainstRemote(remote: RemoteLog, localStart: number, localEnd: number): RemotePlan {
  if (!remote.isActive) return {};
  if (remote.endOffset > localEnd) return { restartAt: remote.endOffset };
  if (remote.logStartOffset > localStart) return { moveStartTo: remote.logStartOffset };
  return {};
}

/** At open, before the producer state is loaded: applies the plan to the freshly loaded partition. */
export async function reconcileWithRemote(dir: string, config: LogConfig, loaded: LoadedPartition, remote: RemoteLog, logger: Logger): Promise<void> {
  const plan = planAgainstRemote(remote, loaded.logStartOffset, loaded.logEndOffset);
  if (plan.restartAt !== undefined) {
    const remoteEnd = plan.restartAt;
    if (loaded.segments.some((s) => s.size > 0)) {
      logger.warn('local log ends before the tiered data; restarting it at the remote end', { localEnd: loaded.logEndOffset, remoteEnd });
    } else if (remote.hasSegments) {
      logger.info('local log is empty; continuing after the tiered data', { remoteEnd });
    }
    await Promise.all(loaded.segments.map((s) => s.delete()));
    loaded.segments = [new Segment(dir, remoteEnd, config.segmentIndexBytes, Date.now(), { newFile: true })];
    loaded.txnIndexRebuilds.clear();
    loaded.logStartOffset = loaded.logEndOffset = remoteEnd;
  } else if (plan.moveStartTo !== undefined) {
    loaded.logStartOffset = plan.moveStartTo;
  }
  if (remote.isActive) mergeRemoteEpochs(loaded.epochs, remote, loaded.logEndOffset);
}

/** Fills in the leader epochs of the tiered segments below the cache's first entry (in place). */
export function mergeRemoteEpochs(epochs: LeaderEpochCache, remote: RemoteLog, logEndOffset: number): void {
  const local = epochs.toJSON();
  const firstLocal = local[0];
  const merged: Array<[number, number]> = [];
  for (const seg of remote.segments) {
    for (const [epoch, start] of seg.leaderEpochs) {
      const last = merged[merged.length - 1];
      if (last && (epoch <= last[0] || start < last[1])) continue;
      if (firstLocal && (epoch >= firstLocal[0] || start >= firstLocal[1])) continue;
      merged.push([epoch, start]);
    }
  }
  if (merged.length === 0) return;
  epochs.replace([...merged, ...local]);
  epochs.truncateFromEnd(logEndOffset);
}
