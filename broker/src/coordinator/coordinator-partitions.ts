// Which partitions of a coordinator's internal topic (__consumer_offsets, __transaction_state) this broker
// coordinates. A coordinator owns the keys of a partition while this broker leads it (CLUSTER.md
// "Coordinators"): on election the partition is `loading` (its requests get COORDINATOR_LOAD_IN_PROGRESS) until
// its state is read back from the local replica, then `loaded`; on resignation it is dropped (NOT_COORDINATOR).
// Every election gets a token, so a load that finishes after its partition was dropped (or re-elected under a
// newer epoch) installs nothing.
import { ErrorCode } from '../protocol/errors';

interface Ownership {
  state: 'loading' | 'loaded';
  /** The partition's leader epoch at election: a transaction coordinator's epoch (fences older coordinators' markers). */
  epoch: number;
  token: number;
}

export class CoordinatorPartitions {
  private readonly owned = new Map<number, Ownership>();
  private nextToken = 1;

  /** Takes a partition on (again): loading under a new token, which finish() and isCurrent() check. */
  begin(partition: number, epoch: number): number {
    const token = this.nextToken++;
    this.owned.set(partition, { state: 'loading', epoch, token });
    return token;
  }

  /** Marks the load of `token` done; false when the partition was dropped or re-elected meanwhile. */
  finish(partition: number, token: number): boolean {
    const o = this.owned.get(partition);
    if (!o || o.token !== token) return false;
    o.state = 'loaded';
    return true;
  }

  /** Drops a partition; whether it was owned (loading or loaded). */
  drop(partition: number): boolean {
    return this.owned.delete(partition);
  }

  /** Whether the election of `token` still holds (loading or loaded). */
  isCurrent(partition: number, token: number): boolean {
    return this.owned.get(partition)?.token === token;
  }

  tokenOf(partition: number): number | undefined {
    return this.owned.get(partition)?.token;
  }

  /** The leader epoch the partition was taken on under (-1 when not owned). */
  epochOf(partition: number): number {
    return this.owned.get(partition)?.epoch ?? -1;
  }

  /** NONE when loaded, COORDINATOR_LOAD_IN_PROGRESS while loading, NOT_COORDINATOR when not owned. */
  errorFor(partition: number): ErrorCode {
    const o = this.owned.get(partition);
    if (!o) return ErrorCode.NOT_COORDINATOR;
    return o.state === 'loaded' ? ErrorCode.NONE : ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
  }

  /** Whether any owned partition is still loading (ListGroups/ListTransactions answer COORDINATOR_LOAD_IN_PROGRESS). */
  get anyLoading(): boolean {
    for (const o of this.owned.values()) if (o.state === 'loading') return true;
    return false;
  }

  get size(): number {
    return this.owned.size;
  }
}
