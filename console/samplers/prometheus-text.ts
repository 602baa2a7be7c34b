// Reads the few series the broker charts need out of a Prometheus text exposition (prom-client only writes that
// format, it has no parser): for each wanted metric name, the sum of its samples over all label sets. Lines of
// other metrics are skipped without being stored, so the work is bounded by the text (itself size-capped).

/** Sum of every sample of each wanted metric; a wanted metric with no sample is absent from the map. */
export function sumSeries(text: string, wanted: ReadonlySet<string>): Map<string, number> {
  const sums = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const nameEnd = line.search(/[{\s]/);
    if (nameEnd <= 0) continue;
    const name = line.slice(0, nameEnd);
    if (!wanted.has(name)) continue;
    const rest = line[nameEnd] === '{' ? afterLabels(line, nameEnd) : line.slice(nameEnd);
    if (rest === null) continue;
    const value = parseValue(rest.trim().split(/\s+/)[0] ?? '');
    if (value === null) continue;
    sums.set(name, (sums.get(name) ?? 0) + value);
  }
  return sums;
}

/** The text after the label set starting at `open` ('{'), honouring quoted values with escapes; null if unterminated. */
function afterLabels(line: string, open: number): string | null {
  let quoted = false;
  for (let i = open + 1; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '}') return line.slice(i + 1);
  }
  return null;
}

function parseValue(s: string): number | null {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  const n = Number(s);
  return s === '' || Number.isNaN(n) ? null : n;
}
