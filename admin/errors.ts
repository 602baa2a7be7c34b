// One error type for admin calls, classified by what a script would branch on (not found, already exists,
// refused, unreachable…). stratactl turns the kind into its exit code; the console into an HTTP status.
import { ErrorCode, errorName, KafkaError } from '../broker/src/protocol/errors';

export type AdminErrorKind =
  | 'usage' // the caller's arguments are wrong
  | 'not-found' // topic, group, user… does not exist
  | 'exists' // it already exists
  | 'auth' // authentication or authorization refused
  | 'invalid' // the cluster refused the values (configs, partition counts, replication factor…)
  | 'unavailable' // no broker reachable, timed out, or no leader/coordinator right now
  | 'failed'; // any other Kafka error

const KIND_OF_CODE = new Map<number, AdminErrorKind>([
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'not-found'],
  [ErrorCode.UNKNOWN_TOPIC_ID, 'not-found'],
  [ErrorCode.GROUP_ID_NOT_FOUND, 'not-found'],
  [ErrorCode.RESOURCE_NOT_FOUND, 'not-found'],
  [ErrorCode.TOPIC_ALREADY_EXISTS, 'exists'],
  [ErrorCode.SASL_AUTHENTICATION_FAILED, 'auth'],
  [ErrorCode.ILLEGAL_SASL_STATE, 'auth'],
  [ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'auth'],
  [ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'auth'],
  [ErrorCode.GROUP_AUTHORIZATION_FAILED, 'auth'],
  [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'auth'],
  [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'auth'],
  [ErrorCode.DELEGATION_TOKEN_AUTHORIZATION_FAILED, 'auth'],
  [ErrorCode.INVALID_CONFIG, 'invalid'],
  [ErrorCode.INVALID_PARTITIONS, 'invalid'],
  [ErrorCode.INVALID_REPLICATION_FACTOR, 'invalid'],
  [ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'invalid'],
  [ErrorCode.INVALID_REQUEST, 'invalid'],
  [ErrorCode.INVALID_TOPIC_EXCEPTION, 'invalid'],
  [ErrorCode.POLICY_VIOLATION, 'invalid'],
  [ErrorCode.UNSUPPORTED_VERSION, 'invalid'],
  [ErrorCode.NON_EMPTY_GROUP, 'invalid'],
  [ErrorCode.REQUEST_TIMED_OUT, 'unavailable'],
  [ErrorCode.LEADER_NOT_AVAILABLE, 'unavailable'],
  [ErrorCode.NOT_LEADER_OR_FOLLOWER, 'unavailable'],
  [ErrorCode.COORDINATOR_NOT_AVAILABLE, 'unavailable'],
  [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'unavailable'],
  [ErrorCode.NOT_COORDINATOR, 'unavailable'],
  [ErrorCode.NOT_CONTROLLER, 'unavailable'],
  [ErrorCode.BROKER_NOT_AVAILABLE, 'unavailable'],
]);

export class AdminError extends Error {
  override name = 'AdminError';

  constructor(
    message: string,
    readonly kind: AdminErrorKind = 'failed',
    /** The Kafka error code behind it, when there is one. */
    readonly code?: number,
  ) {
    super(message);
  }

  /** Classifies any thrown value: Kafka errors by code, connection failures as unavailable. */
  static from(err: unknown): AdminError {
    if (err instanceof AdminError) return err;
    if (err instanceof KafkaError) return new AdminError(err.message || errorName(err.code), kindOfCode(err.code), err.code);
    const message = err instanceof Error ? err.message : String(err);
    if (/cannot connect|timed out|closed|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENOTFOUND/.test(message)) return new AdminError(message, 'unavailable');
    return new AdminError(message);
  }
}

export function kindOfCode(code: number): AdminErrorKind {
  return KIND_OF_CODE.get(code) ?? 'failed';
}

/** Throws an AdminError saying what failed when errorCode is not NONE. */
export function check(what: string, errorCode: number, message?: string | null): void {
  if (errorCode !== ErrorCode.NONE) throw new AdminError(`${what}: ${errorName(errorCode)}${message ? `: ${message}` : ''}`, kindOfCode(errorCode), errorCode);
}
