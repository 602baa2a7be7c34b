// The one-broker-at-a-time roll, as decisions on the StatefulSet's RollingUpdate partition (pods with an
// ordinal ≥ partition run the new template; the StatefulSet controller replaces them). Pure, so every rule is
// unit-tested; the reconciler supplies what it observed and asks the cluster only when a step is possible.
//
// A step (partition p → p-1 restarts broker p-1) is taken when the previous step is done (StatefulSet settled,
// the brokers above updated, every broker ready) and it is safe for the cluster: with more than one broker,
// no partition is under-replicated, else the restart could take a partition's last in-sync replica away.
// A broker that is not ready may always be restarted (it serves nothing; a config fix must be able to reach a
// crash-looping broker). A new template starts a roll at once, from the highest ordinal.

export interface RollObservation {
  /** Brokers that stay (the smaller of the desired and the StatefulSet's current replicas). */
  replicas: number;
  /** The desired pod template differs from the StatefulSet's (a config or spec change). */
  templateChanged: boolean;
  /** The StatefulSet's current partition (0 when none). */
  currentPartition: number;
  /** The StatefulSet controller has seen the latest spec (status.observedGeneration). */
  settled: boolean;
  updated: number;
  ready: number;
}

export type RollPlan =
  | { rolling: false; partition: 0 }
  /** `hold` keeps the brokers below it on their template; `step` (when defined) is the next partition if safe. */
  | { rolling: true; hold: number; step: number | undefined };

export function planRoll(o: RollObservation): RollPlan {
  if (o.templateChanged) return { rolling: true, hold: o.replicas, step: o.replicas - 1 };
  if (o.currentPartition <= 0) return { rolling: false, partition: 0 };
  const hold = Math.min(o.currentPartition, o.replicas);
  const stepDone = o.settled && o.updated >= o.replicas - hold && o.ready >= o.replicas;
  return { rolling: true, hold, step: stepDone ? hold - 1 : undefined };
}

/** What the cluster says about restarting one more broker. */
export interface StepSafety {
  replicas: number;
  /** Under-replicated partitions, or an Error when the cluster could not be asked. */
  underReplicated: number | Error;
  /** Whether the broker the step would restart is ready. */
  brokerReady: boolean;
}

/** Undefined when the step may be taken, else why not (for the Reconciling condition). */
export function stepBlocker(s: StepSafety): string | undefined {
  if (s.replicas <= 1 || !s.brokerReady) return undefined;
  if (s.underReplicated instanceof Error) return `cannot ask the cluster for under-replicated partitions (${s.underReplicated.message})`;
  if (s.underReplicated > 0) return `${s.underReplicated} partition(s) are under-replicated; the next broker restarts once every ISR is full again`;
  return undefined;
}
