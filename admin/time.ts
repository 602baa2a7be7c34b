// A point in time as people and scripts type it: milliseconds since the epoch, or an ISO-8601 date-time
// (2026-01-31T12:00:00Z). Shared by stratactl's --timestamp and the console's timestamp fields.

/** The time in epoch ms, or undefined when `v` is neither form (or before 1970). */
export function parseTime(v: string): number | undefined {
  const ms = /^\d+$/.test(v) ? Number(v) : /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : NaN;
  return Number.isSafeInteger(ms) && ms >= 0 ? ms : undefined;
}
