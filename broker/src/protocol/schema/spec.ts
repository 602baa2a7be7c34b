// Shape of the generated schema tables in messages.ts (hand-written; the generator emits data of this shape).

/** Highest version number: open-ended ranges ("3+") end here. */
export const MAX_VERSION = 32767;

/** Inclusive version range. An empty range ("none") is { min: 0, max: -1 }. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export type DefaultValue = number | string | boolean | null;

export interface FieldSpec {
  /** camelCase: the JSON name with its first letter lower-cased. */
  readonly name: string;
  /** JSON type: 'int32', 'string', 'records', '[]int32', '[]TopicData' (struct array) or 'EpochEndOffset' (struct). */
  readonly type: string;
  readonly versions: VersionRange;
  readonly nullableVersions?: VersionRange;
  readonly taggedVersions?: VersionRange;
  readonly tag?: number;
  /** Overrides the message's flexible versions for this field (RequestHeader.ClientId is never compact). */
  readonly flexibleVersions?: VersionRange;
  /** Parsed JSON default; absent means the type's default (0, '', false, empty, zero uuid, null records). */
  readonly default?: DefaultValue;
  /** Fields of a struct or of a struct array's elements. */
  readonly fields?: readonly FieldSpec[];
}

export type MessageType = 'request' | 'response' | 'header' | 'data';

export interface MessageSpec {
  readonly name: string;
  readonly apiKey?: number;
  readonly type: MessageType;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange;
  readonly fields: readonly FieldSpec[];
}

/** A records field: encode accepts one buffer or a list written as-is (zero-copy); decode yields a slice or null. */
export type Records = Buffer | Buffer[] | null;

/** What encode accepts for a message type T: any field may be left out and takes its default. */
export type MessageInput<T> = T extends Buffer
  ? T
  : T extends (infer E)[]
    ? MessageInput<E>[]
    : T extends object
      ? { [K in keyof T]?: MessageInput<T[K]> }
      : T;

export function inRange(range: VersionRange | undefined, version: number): boolean {
  return range !== undefined && version >= range.min && version <= range.max;
}
