// `/tier`: per-partition tiering status: which offsets are on local disk, which in the object store, the upload
// lag and the bytes on each side.
import type { ConsoleContext } from '../context';
import { formatBytes, localRange, remoteRange, tierStatus } from '../data';
import { html, type Html, url } from '../html';
import { facts, table } from '../layout';

export async function tierPage(ctx: ConsoleContext): Promise<Html> {
  const status = await tierStatus(ctx.cluster);
  const tiered = status.filter((s) => s.tiered);
  const sum = (f: (s: (typeof status)[number]) => number | null) => status.reduce<number | null>((acc, s) => (f(s) === null ? acc : (acc ?? 0) + f(s)!), null);
  return html`${facts(
    [
      ['Partitions', status.length],
      ['With tiered segments', tiered.length],
      ['Local bytes', formatBytes(sum((s) => s.localBytes))],
      ['Remote bytes', formatBytes(sum((s) => s.remoteBytes))],
    ],
    'tier-summary',
  )}
${table(
  ['Topic', 'Partition', 'Leader', 'Log start', 'Local start', 'Highest tiered', 'Log end', 'Local range', 'Remote range', 'Upload lag (records)', 'Local bytes', 'Remote bytes', 'Error'],
  status.map((s) => [
    html`<a href="${url`/topics/${s.topic}`}">${s.topic}</a>`,
    s.partition,
    s.leader,
    s.logStartOffset,
    s.localStartOffset,
    s.highestTieredOffset >= 0 ? s.highestTieredOffset : '–',
    s.logEndOffset,
    localRange(s) ?? 'empty',
    remoteRange(s) ?? 'none',
    s.uploadLagRecords ?? '–',
    formatBytes(s.localBytes),
    formatBytes(s.remoteBytes),
    s.error ?? '',
  ]),
  { id: 'tier', empty: 'No partitions.' },
)}`;
}
