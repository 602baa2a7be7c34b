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

/** Ready=False and Reconciling=False with one reason: a problem to fix in the spec, or something to wait for. */
export function notReady(reason: string, message: string): ConditionInput[] {
  return [
    { type: 'Ready', status: 'False', reason, message },
    { type: 'Reconciling', status: 'False', reason, message },
  ];
}

interface StatusWithConditions {
  conditions?: StrataCondition[];
  observedGeneration?: number;
}

/**
 * A status writer for one object as read at the start of a reconcile: sets the conditions (and any extra
 * status fields) for its generation and patches the status subresource only when something changed.
 */
export function statusReporter<S extends StatusWithConditions>(
  patchStatus: (status: object) => Promise<void>,
  obj: { metadata: { generation?: number }; status?: S },
): (conds: ConditionInput[], extra?: Partial<S>) => Promise<void> {
  const generation = obj.metadata.generation;
  return async (conds, extra = {}) => {
    const status = { ...obj.status, ...extra, conditions: setConditions(obj.status?.conditions, conds, generation), observedGeneration: generation };
    if (JSON.stringify(status) !== JSON.stringify(obj.status)) await patchStatus(JSON.parse(JSON.stringify(status)) as object);
  };
}
