// Deleting the old end of a partition log: retention.ms / retention.bytes (with tiered storage, over the whole
// log, remote segments first, and local.retention.* over local segments whose copy the manifest confirms),
// DeleteRecords, and the deletion of local segments itself. The remote side is changed only by the broker
// that writes the bucket (the partition's leader).
import { LogError } from './log-error';
import { ErrorCode } from '../protocol/errors';
import type { LogState } from './log-state';
import { countDeletableSegments, countTieredSegments, localRetentionLimit } from './retention';
import type { UploadScheduler } from '../tier/upload-scheduler';

export class LogRetention {
  constructor(
    private readonly s: LogState,
    private readonly uploads: UploadScheduler,
    private readonly log: { roll(now: number): void },
  ) {}

  /** DeleteRecords: moves the log start to `offset` (persisted) and deletes the segments wholly below it. */
  async deleteRecordsBefore(offset: number): Promise<number> {
    const s = this.s;
    s.ensureWritable();
    if (offset < 0 || offset > s.hw) {
      throw new LogError(ErrorCode.OFFSET_OUT_OF_RANGE, `cannot delete before ${offset}: high watermark is ${s.hw}`);
    }
    // The bucket first: its start moves and its segments wholly below go (manifest, then objects).
    const remote = s.remote;
    if (remote?.isActive && this.uploads.uploadsOn && offset > remote.logStartOffset) {
      try {
        await remote.deleteRecordsBefore(offset);
      } catch (err) {
        throw s.remoteError('remote DeleteRecords', err);
      }
    }
    return s.housekeeping.run(async () => {
      await this.moveLocalStart(offset);
      return s.logStartOffset;
    });
  }

  /** Moves the local log start to `offset` (persisted) and deletes the segments wholly below it. Runs on the housekeeping queue. */
  async moveLocalStart(offset: number): Promise<void> {
    const s = this.s;
    if (offset > s.startOffset) {
      s.startOffset = offset;
      s.epochs.truncateFromStart(offset);
      await s.saveState(false);
    }
    let below = 0;
    while (below < s.segments.length - 1 && s.segments[below + 1].baseOffset <= s.startOffset) below++;
    await this.deleteSegments(below);
  }

  /**
   * Deletes segments past retention.ms / retention.bytes or below the log start offset. With tiered storage,
   * retention.ms/bytes apply to the whole log (remote segments go first, from the bucket), and
   * local.retention.ms/bytes delete local segments, but only those whose remote copy is in the manifest.
   */
  async enforceRetention(now: number): Promise<{ deletedSegments: number; deletedRemoteSegments?: number }> {
    const s = this.s;
    s.ensureWritable();
    s.producers.removeExpired(now);
    const remote = s.remote;
    let deletedRemoteSegments = 0;
    if (remote?.hasSegments && !remote.isClosed && !this.uploads.isFenced && this.uploads.uploadsOn) {
      try {
        deletedRemoteSegments = await remote.enforceRetention({
          now,
          retentionMs: s.cfg.retentionMs,
          retentionBytes: s.cfg.retentionBytes,
          deleteEnabled: s.cfg.cleanupPolicy.delete,
          localOnlyBytes: this.localOnlyBytes(),
        });
      } catch (err) {
        s.logger.warn('remote retention failed', { error: err instanceof Error ? err.message : String(err) });
      }
    }
    return s.housekeeping.run(async () => {
      const segments = s.segments;
      const infos = segments.map((seg, i) => ({
        size: seg.size,
        largestTimestamp: seg.largestTimestamp >= 0 ? seg.largestTimestamp : seg.lastModifiedMs,
        upperBoundOffset: i + 1 < segments.length ? segments[i + 1].baseOffset : s.nextOffset,
      }));
      const cfg = s.cfg;
      const base = { now, deleteEnabled: cfg.cleanupPolicy.delete, logStartOffset: s.startOffset, highWatermark: s.hw };
      let count: number;
      if (this.uploads.tieringEnabled) {
        // Local limits, and only over segments the manifest confirms (the whole-log limits were applied remotely,
        // counting local-only bytes; local segments are the newest part of the log).
        const local = countDeletableSegments(infos, {
          ...base,
          retentionMs: localRetentionLimit(cfg.localRetentionMs, cfg.retentionMs),
          retentionBytes: localRetentionLimit(cfg.localRetentionBytes, cfg.retentionBytes),
        });
        count = Math.min(local, countTieredSegments(infos, s.remote!.confirmedUpTo));
      } else if (s.remote?.hasSegments) {
        // Tiering turned off with data still in the bucket: that older data goes first; locally only what
        // lies below the log start.
        count = countDeletableSegments(infos, { ...base, retentionMs: -1, retentionBytes: -1 });
      } else {
        count = countDeletableSegments(infos, { ...base, retentionMs: cfg.retentionMs, retentionBytes: cfg.retentionBytes });
      }
      if (count === segments.length) this.log.roll(now); // a log always keeps an active segment
      await this.deleteSegments(count);
      if (count === 0 && deletedRemoteSegments > 0) {
        s.epochs.truncateFromStart(s.logStartOffset);
        await s.saveState(false);
      }
      return deletedRemoteSegments > 0 ? { deletedSegments: count, deletedRemoteSegments } : { deletedSegments: count };
    });
  }

  /** Bytes of local segments not (yet) in the bucket. */
  private localOnlyBytes(): number {
    const s = this.s;
    const end = s.remote?.endOffset ?? 0;
    let bytes = 0;
    for (let i = 0; i < s.segments.length; i++) {
      const upper = i + 1 < s.segments.length ? s.segments[i + 1].baseOffset : s.nextOffset;
      if (upper > end) bytes += s.segments[i].size;
    }
    return bytes;
  }

  /** Removes the first `count` segments, moving the log start to the first one left. Runs on the housekeeping queue. */
  private async deleteSegments(count: number): Promise<void> {
    const s = this.s;
    if (count === 0) return;
    const doomed = s.segments.slice(0, count);
    s.segments = s.segments.slice(count);
    for (const seg of doomed) {
      s.totalSize -= seg.size;
      s.dirty.delete(seg);
    }
    const firstOffset = s.segments[0].baseOffset;
    if (firstOffset > s.startOffset) {
      s.startOffset = firstOffset;
      s.epochs.truncateFromStart(s.logStartOffset); // epochs of tiered offsets stay known
    }
    await s.saveState(false);
    // Closing a segment waits for reads in flight; later reads of it fail as out of range.
    await Promise.all(doomed.map((seg) => seg.delete()));
    s.logger.info('deleted segments', { baseOffsets: doomed.map((seg) => seg.baseOffset), logStartOffset: s.startOffset });
  }
}
