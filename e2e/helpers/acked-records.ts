// The checker of the failover suites, for StrataClientCheck's idem-produce (record n has key "k-n", goes to
// partition n % P, and the producer prints {"ack":n,"p","o"} or {"nack":n,"error"}): given what every partition
// holds afterwards, every acknowledged record must be there exactly once and at the offset it was acknowledged
// with, each partition must hold its records in send order, and no record the producer was told failed may
// appear (nor any record nobody sent).
import type { JsonLine } from './json-process';

export interface StoredRecord {
  offset: number;
  key: string | null;
}

export interface AckedRecordsReport {
  acked: number;
  failed: number;
  stored: number;
  lost: string[];
  duplicated: string[];
  misplaced: string[];
  outOfOrder: string[];
  failedButStored: string[];
  unexpected: string[];
}

const seqOf = (key: string | null): number => (key && /^k-\d+$/.test(key) ? Number(key.slice(2)) : NaN);

export function checkAckedRecords(producerLines: readonly JsonLine[], partitions: ReadonlyArray<readonly StoredRecord[]>): AckedRecordsReport {
  const acks = producerLines.filter((l) => typeof l.ack === 'number');
  const nacks = new Set(producerLines.filter((l) => typeof l.nack === 'number').map((l) => l.nack as number));
  let sentMax = -1; // a loop, not Math.max(...): a long chaos run has more records than a call has arguments
  for (const a of acks) sentMax = Math.max(sentMax, a.ack as number);
  for (const n of nacks) sentMax = Math.max(sentMax, n);
  const where = new Map<number, Array<{ p: number; o: number }>>();
  const outOfOrder: string[] = [];
  const unexpected: string[] = [];
  partitions.forEach((records, p) => {
    let prev = -1;
    for (const r of records) {
      const n = seqOf(r.key);
      if (!Number.isInteger(n) || n > sentMax || n % partitions.length !== p) {
        unexpected.push(`${p}/${r.offset}=${r.key}`);
        continue;
      }
      if (n <= prev) outOfOrder.push(`${p}/${r.offset}: k-${n} after k-${prev}`);
      prev = Math.max(prev, n);
      const list = where.get(n) ?? [];
      list.push({ p, o: r.offset });
      where.set(n, list);
    }
  });
  const lost: string[] = [];
  const duplicated: string[] = [];
  const misplaced: string[] = [];
  for (const a of acks) {
    const n = a.ack as number;
    const found = where.get(n) ?? [];
    if (found.length === 0) lost.push(`k-${n}@${a.p}/${a.o}`);
    else if (found.length > 1) duplicated.push(`k-${n}×${found.length}`);
    else if (found[0].p !== a.p || found[0].o !== a.o) misplaced.push(`k-${n} acked at ${a.p}/${a.o}, stored at ${found[0].p}/${found[0].o}`);
  }
  const failedButStored = [...nacks].filter((n) => where.has(n)).map((n) => `k-${n}`);
  return {
    acked: acks.length,
    failed: nacks.size,
    stored: partitions.reduce((s, r) => s + r.length, 0),
    lost,
    duplicated,
    misplaced,
    outOfOrder,
    failedButStored,
    unexpected,
  };
}

/** True when nothing acknowledged was lost, doubled or moved, and nothing failed or unknown is stored. */
export function isClean(r: AckedRecordsReport): boolean {
  return [r.lost, r.duplicated, r.misplaced, r.outOfOrder, r.failedButStored, r.unexpected].every((xs) => xs.length === 0);
}

export function describeAckedReport(r: AckedRecordsReport): string {
  const few = (xs: string[]) => `${xs.length}${xs.length ? ` (${xs.slice(0, 5).join('; ')}${xs.length > 5 ? '; …' : ''})` : ''}`;
  return (
    `acked ${r.acked}, failed ${r.failed}, stored ${r.stored}; lost ${few(r.lost)}; duplicated ${few(r.duplicated)}; ` +
    `misplaced ${few(r.misplaced)}; out of order ${few(r.outOfOrder)}; failed but stored ${few(r.failedButStored)}; unexpected ${few(r.unexpected)}`
  );
}
