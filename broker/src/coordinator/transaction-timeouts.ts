// Which transactions the periodic checks act on (pure, so unit tests drive them with a manual clock):
// - transaction.timeout.ms: an Ongoing transaction older than its timeout is aborted (with an epoch bump, so the
//   producer that went silent is fenced and read_committed consumers are never blocked by it for ever);
// - transactional.id.expiration.ms: an id idle (no transaction open) for that long is removed.
import { isIdle, type TransactionMetadata } from './transaction-state';

export function timedOutTransactions(all: Iterable<TransactionMetadata>, now: number): TransactionMetadata[] {
  const out: TransactionMetadata[] = [];
  for (const m of all) if (m.state === 'Ongoing' && m.startMs + m.timeoutMs <= now) out.push(m);
  return out;
}

export function expiredTransactionalIds(all: Iterable<TransactionMetadata>, now: number, expirationMs: number): TransactionMetadata[] {
  const out: TransactionMetadata[] = [];
  for (const m of all) if (isIdle(m.state) && m.lastUpdateMs + expirationMs <= now) out.push(m);
  return out;
}
