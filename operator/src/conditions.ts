// Status conditions (metav1.Condition): setting one keeps lastTransitionTime unless the status changed.
import type { StrataCondition } from './api';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface ConditionInput {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** The condition list with `c` set (replacing one of the same type), sorted by type for stable output. */
export function setCondition(
  existing: readonly StrataCondition[] | undefined,
  c: ConditionInput,
  generation: number | undefined,
  now: Date = new Date(),
): StrataCondition[] {
  const list = (existing ?? []).filter((x) => x.type !== c.type);
  const prev = (existing ?? []).find((x) => x.type === c.type);
  const lastTransitionTime = prev && prev.status === c.status ? prev.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const next: StrataCondition = {
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    lastTransitionTime,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
  return [...list, next].sort((a, b) => a.type.localeCompare(b.type));
}

export function setConditions(
  existing: readonly StrataCondition[] | undefined,
  cs: readonly ConditionInput[],
  generation: number | undefined,
  now: Date = new Date(),
): StrataCondition[] {
  let out = [...(existing ?? [])];
  for (const c of cs) out = setCondition(out, c, generation, now);
  return out;
}

export function findCondition(list: readonly StrataCondition[] | undefined, type: string): StrataCondition | undefined {
  return list?.find((c) => c.type === type);
}
