// The checker of the exactly-once suites, in the style of Jepsen's queue workloads: given the input values a
// consume-transform-produce job read and what a read_committed consumer of its output saw, every input must
// appear transformed exactly once — none lost, none duplicated (a duplicate is also how a read of an aborted
// transaction's retried output shows), and nothing that no input explains.
export interface ExactlyOnceReport {
  expected: number;
  seen: number;
  lost: string[];
  duplicated: string[];
  unexpected: string[];
}

export function checkExactlyOnce(inputs: readonly string[], outputs: readonly string[], transform: (input: string) => string): ExactlyOnceReport {
  const counts = new Map<string, number>();
  for (const o of outputs) counts.set(o, (counts.get(o) ?? 0) + 1);
  const wanted = new Set(inputs.map(transform));
  const lost = [...wanted].filter((w) => !counts.has(w));
  const duplicated = [...counts].filter(([o, n]) => n > 1 && wanted.has(o)).map(([o, n]) => `${o}×${n}`);
  const unexpected = [...counts.keys()].filter((o) => !wanted.has(o));
  return { expected: wanted.size, seen: outputs.length, lost, duplicated, unexpected };
}

/** A one-line summary for assertion messages (first few offenders of each kind). */
export function describeReport(r: ExactlyOnceReport): string {
  const few = (xs: string[]) => `${xs.length}${xs.length ? ` (${xs.slice(0, 5).join(', ')}${xs.length > 5 ? ', …' : ''})` : ''}`;
  return `expected ${r.expected}, seen ${r.seen}; lost ${few(r.lost)}; duplicated ${few(r.duplicated)}; unexpected ${few(r.unexpected)}`;
}
