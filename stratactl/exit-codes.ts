// stratactl's exit codes: stable, documented (stratactl --help), one per kind of failure a script branches on.
import type { AdminErrorKind } from '../admin/errors';

export const ExitCode = {
  OK: 0,
  /** A Kafka error not covered below. */
  FAILED: 1,
  /** Bad command line: unknown command or flag, missing or malformed argument. */
  USAGE: 2,
  NOT_FOUND: 3,
  ALREADY_EXISTS: 4,
  /** Authentication failed or the principal is not authorized. */
  AUTH: 5,
  /** No broker reachable, a timeout, or no leader/coordinator available. */
  UNAVAILABLE: 6,
  /** The cluster refused the values (configs, partition counts, replication factor, non-empty group…). */
  INVALID: 7,
} as const;

const BY_KIND: Record<AdminErrorKind, number> = {
  usage: ExitCode.USAGE,
  'not-found': ExitCode.NOT_FOUND,
  exists: ExitCode.ALREADY_EXISTS,
  auth: ExitCode.AUTH,
  unavailable: ExitCode.UNAVAILABLE,
  invalid: ExitCode.INVALID,
  failed: ExitCode.FAILED,
};

export function exitCodeOf(kind: AdminErrorKind): number {
  return BY_KIND[kind];
}

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  other Kafka error
  2  usage error (unknown command or flag, bad argument)
  3  not found (topic, group, user…)
  4  already exists
  5  authentication or authorization failed
  6  unavailable (no broker reachable, timeout, no leader or coordinator)
  7  invalid values refused by the cluster (config, partitions, replication factor, non-empty group…)`;
