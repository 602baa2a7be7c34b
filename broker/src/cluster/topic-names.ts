// Topic names as Kafka accepts them, which topics are internal, and how names a client sent are echoed back.
// One module for every handler: a name is checked here before it is stored, and any client-supplied string is
// passed through echoName/quoteName before it goes into a response, so a response can never carry a string the
// encoder refuses. (The codec decodes strings leniently: invalid UTF-8 becomes U+FFFD, three bytes each, so a
// 32,767-byte request string can come back almost three times longer.)
import { ErrorCode, KafkaError } from '../protocol/errors';
import { MAX_STRING_BYTES } from '../protocol/codec';
import { truncateUtf8 } from '../protocol/bounded-string';

/** Kafka's internal topics: written only by the broker itself, never by clients. */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state']);

/** Kafka's Topic.MAX_NAME_LENGTH: a partition directory `<name>-<partition>` must fit a 255-byte file name. */
export const MAX_TOPIC_NAME_LENGTH = 249;

/** How much of a client-supplied name an error message quotes. */
const MAX_QUOTED_CHARS = 300;

const LEGAL = /^[a-zA-Z0-9._-]+$/;

export function isInternalTopic(name: string | null | undefined): boolean {
  return name !== null && name !== undefined && INTERNAL_TOPICS.has(name);
}

/**
 * A client's admin operation (create, delete, add partitions, alter configs) on an internal topic. Kafka leaves
 * this to ACLs that reserve these topics to the brokers; without an authorizer we answer as such an ACL would.
 */
export function internalTopicAdminError(name: string, action: string): KafkaError {
  return new KafkaError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `${name} is an internal topic: clients may not ${action} it.`);
}

/** A client's write to an internal topic: Kafka's ReplicaManager refuses it with INVALID_TOPIC_EXCEPTION. */
export function internalTopicWriteError(name: string, action: 'append to' | 'delete records of'): KafkaError {
  return new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot ${action} internal topic ${name}`);
}

/**
 * Why `name` is not a legal topic name (Kafka's Topic.validate: non-empty, not "." or "..", at most 249
 * characters of [a-zA-Z0-9._-]), or null when it is. Invalid UTF-8 fails too: it decodes to U+FFFD.
 */
export function topicNameError(name: string | null): string | null {
  if (name === null || name.length === 0) return 'Topic name is illegal, it can\'t be empty';
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${quoteName(name)}`;
  }
  if (!LEGAL.test(name)) {
    return `Topic name ${quoteName(name)} is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  }
  return null;
}

export function isValidTopicName(name: string | null): name is string {
  return topicNameError(name) === null;
}

/**
 * A client-supplied string as it may be echoed in a response field: unchanged when it fits the wire's
 * 32,767-byte limit (every legal name does), else cut at a character boundary to fit.
 */
export function echoName(s: string): string;
export function echoName(s: string | null): string | null;
export function echoName(s: string | null): string | null {
  return s === null ? null : truncateUtf8(s, MAX_STRING_BYTES);
}

/** A client-supplied name for an error message or a log line: quoted, and shortened when long. */
export function quoteName(s: string | null): string {
  if (s === null) return 'null';
  const shown = s.length > MAX_QUOTED_CHARS ? `${s.slice(0, MAX_QUOTED_CHARS)}... (${s.length} characters)` : s;
  return `'${shown}'`;
}
