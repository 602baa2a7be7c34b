// The request generator shared by the hostile-field suite, the fuzz test and `npm run fuzz`. It walks the
// generated schemas (broker/src/protocol/schema/messages.ts) for every API and version the broker serves (the
// handler table) and builds
//  - a VALID request body with plausible values (existing topic names and ids, the test's group id, a real record
//    batch, small timeouts), and
//  - HOSTILE-but-valid variants of it: one field at a time set to an extreme (max-length, empty, null, invalid
//    UTF-8 strings; negative and huge integers; unknown uuids; empty and huge arrays; a count claiming ~2^31
//    elements with a short body; random unknown tagged fields; extreme client ids in the header).
// Frames are encoded with the broker's own generic codec (frames.ts); what the encoder refuses to write (invalid
// UTF-8, impossible counts, unknown tags) is patched into the encoded frame afterwards.
import { API_SPECS } from '../../broker/src/protocol/apis';
import { ZERO_UUID, isFlexible } from '../../broker/src/protocol/codec';
import { handlerTable } from '../../broker/src/handlers/index';
import { inRange, type FieldSpec, type MessageSpec } from '../../broker/src/protocol/schema/spec';
import { recordBatch } from '../helpers/wire';
import { Rng } from './rng';

/** An API the broker serves, with the version range its handler declares. */
export interface ServedApi {
  apiKey: number;
  name: string;
  minVersion: number;
  maxVersion: number;
  request: MessageSpec;
}

export function servedApis(): ServedApi[] {
  const out: ServedApi[] = [];
  for (const h of handlerTable().values()) {
    const spec = API_SPECS.get(h.apiKey);
    if (!spec) throw new Error(`handler for api key ${h.apiKey} has no schema`);
    out.push({ apiKey: h.apiKey, name: spec.name, minVersion: h.minVersion, maxVersion: h.maxVersion, request: spec.request });
  }
  return out.sort((a, b) => a.apiKey - b.apiKey);
}

/** What exists on the broker under test, so valid requests name real things. */
export interface FuzzContext {
  /** A topic holding data (requests read, describe and commit offsets on it). */
  topic: { name: string; id: string; partitions: number };
  /** A group id that requests about groups name. */
  groupId: string;
  /** Prefix for names that requests may create or delete (CreateTopics, DeleteTopics, JoinGroup groups). */
  scratchPrefix: string;
}

export type PathPart = string | number;
export type Path = readonly PathPart[];

/** Edits applied to the encoded frame, for what the codec refuses to write. */
export type RawEdit =
  /** Overwrites the content of the string at `path` (pre-filled with ASCII of the same length) with invalid UTF-8. */
  | { kind: 'invalid-utf8'; path: Path }
  /** Sets the element count of the array at `path` (one element in the body) to 2^31-1. */
  | { kind: 'huge-count'; path: Path }
  /** Appends unknown tagged fields to the header's or body's top-level tag section. */
  | { kind: 'unknown-tags'; where: 'header' | 'body'; seed: number }
  /** Replaces the header's client id (pre-filled with ASCII) by invalid UTF-8. */
  | { kind: 'invalid-utf8-client-id' };

export interface RequestCase {
  apiKey: number;
  version: number;
  /** What is hostile about it, e.g. 'topics[0].name=max-length'; 'valid' for the plain request. */
  label: string;
  clientId: string | null;
  body: Record<string, unknown>;
  raw?: RawEdit;
  /** Deliberately malformed (a count the frame cannot hold): the broker may close the connection instead of answering. */
  malformed?: boolean;
}

export function caseName(c: RequestCase): string {
  return `${API_SPECS.get(c.apiKey)?.name ?? c.apiKey} v${c.version} ${c.label}`;
}

// ---- extreme values -------------------------------------------------------------------------------------

export const MAX_STRING = 32767;
/** Invalid UTF-8 strings this long are echoed back three times longer (U+FFFD) if not validated: > 32767. */
export const INVALID_UTF8_BYTES = 11_000;
const INT_EXTREMES: Record<string, number[]> = {
  int8: [-1, -128, 127],
  int16: [-1, -32768, 32767],
  uint16: [0, 65535],
  int32: [-1, -2147483648, 2147483647],
  uint32: [0, 4294967295],
  // 2^63 itself is not a JS-representable int64; 2^63-1024 is the largest double below it.
  int64: [-1, -9223372036854775808, 9223372036854774784],
  float64: [-1, Number.MAX_VALUE, Number.NaN],
};
/** Large arrays are cut at this many elements or this many encoded bytes, far under the 100 MiB frame limit. */
const LARGE_ARRAY_ELEMENTS = 10_000;
const LARGE_ARRAY_BYTES = 4 << 20;
const LARGE_BYTES = 1 << 20;

export function maxString(): string {
  return 'x'.repeat(MAX_STRING);
}

/** 32,766 bytes of three-byte characters: a length check counting characters instead of bytes passes it. */
export function maxMultibyteString(): string {
  return '€'.repeat(Math.floor(MAX_STRING / 3));
}

// ---- plausible values -----------------------------------------------------------------------------------

interface GenState {
  api: string;
  ctx: FuzzContext;
  rng: Rng;
  /** Dotted path of field names without indexes, e.g. 'topics.partitions.partitionIndex'. */
  path: string;
}

/** A rule returns undefined to fall through to the type's plain value (e.g. `partitions` of structs). */
type Rule = (s: GenState, f: FieldSpec) => unknown;

let scratchCounter = 0;
function scratch(s: GenState, kind: string): string {
  return `${s.ctx.scratchPrefix}-${kind}-${(++scratchCounter).toString(36)}`;
}

function subscriptionBytes(topic: string): Buffer {
  // ConsumerProtocolSubscription v0: version, topics [string], user data (null).
  const t = Buffer.from(topic, 'utf8');
  const b = Buffer.alloc(2 + 4 + 2 + t.length + 4);
  let o = b.writeInt16BE(0, 0);
  o = b.writeInt32BE(1, o);
  o = b.writeInt16BE(t.length, o);
  o += t.copy(b, o);
  b.writeInt32BE(-1, o);
  return b;
}

/**
 * Plausible values, looked up as `<Api>.<path>`, `<Api>.<field>`, `<path>`, then `<field>`; anything else takes
 * the type's plain value. Timeouts are small so valid requests never make a test wait.
 */
const RULES: Record<string, Rule> = {
  // names of things
  name: (s) => s.ctx.topic.name,
  topic: (s) => s.ctx.topic.name,
  topicId: (s) => s.ctx.topic.id,
  'Metadata.topics.topicId': () => ZERO_UUID,
  resourceName: (s) => s.ctx.topic.name,
  resourceType: () => 2, // TOPIC
  groupId: (s) => s.ctx.groupId,
  key: (s) => s.ctx.groupId,
  coordinatorKeys: (s) => [s.ctx.groupId],
  'DescribeGroups.groups': (s) => [s.ctx.groupId],
  groupsNames: (s) => [scratch(s, 'group')],
  'JoinGroup.groupId': (s) => scratch(s, 'group'),
  'CreateTopics.topics.name': (s) => scratch(s, 'topic'),
  'DeleteTopics.topics.name': (s) => scratch(s, 'topic'),
  'DeleteTopics.topics.topicId': () => ZERO_UUID,
  'DeleteTopics.topicNames': (s) => [scratch(s, 'topic')],
  // partitions
  partitionIndex: () => 0,
  partition: () => 0,
  index: () => 0,
  partitions: (_s, f) => (f.fields ? undefined : [0]),
  partitionIndexes: () => [0],
  // groups
  memberId: () => '',
  'Heartbeat.memberId': () => 'fuzz-unknown-member',
  'SyncGroup.memberId': () => 'fuzz-unknown-member',
  'LeaveGroup.members.memberId': () => 'fuzz-unknown-member',
  groupInstanceId: () => null,
  generationId: () => -1,
  generationIdOrMemberEpoch: () => -1,
  memberEpoch: () => -1,
  protocolType: () => 'consumer',
  protocolName: () => 'range',
  'JoinGroup.protocols.name': () => 'range',
  'JoinGroup.protocols.metadata': (s) => subscriptionBytes(s.ctx.topic.name),
  sessionTimeoutMs: () => 10_000,
  rebalanceTimeoutMs: () => 10_000,
  'SyncGroup.assignments': () => [],
  reason: () => 'fuzz',
  // produce / fetch / offsets
  acks: () => -1,
  timeoutMs: () => 5000,
  transactionalId: () => null,
  // the transactional APIs' ids are not nullable: an id no producer initialised (answers INVALID_PRODUCER_ID_MAPPING)
  'AddPartitionsToTxn.transactionalId': () => 'fuzz-txn',
  'AddOffsetsToTxn.transactionalId': () => 'fuzz-txn',
  'EndTxn.transactionalId': () => 'fuzz-txn',
  'TxnOffsetCommit.transactionalId': () => 'fuzz-txn',
  records: () => recordBatch([{ key: Buffer.from('k'), value: Buffer.from('fuzz') }], 1_700_000_000_000),
  replicaId: () => -1,
  maxWaitMs: () => 20,
  minBytes: () => 1,
  maxBytes: () => 1 << 20,
  partitionMaxBytes: () => 256 << 10,
  sessionId: () => 0,
  sessionEpoch: () => -1,
  fetchOffset: () => 0,
  logStartOffset: () => -1,
  currentLeaderEpoch: () => -1,
  lastFetchedEpoch: () => -1,
  forgottenTopicsData: () => [],
  clusterId: () => null,
  rackId: () => '',
  timestamp: () => -1,
  maxNumOffsets: () => 1,
  leaderEpoch: () => 0,
  committedOffset: () => 1,
  committedLeaderEpoch: () => -1,
  commitTimestamp: () => -1,
  committedMetadata: () => '',
  retentionTimeMs: () => -1,
  offset: () => 0,
  transactionTimeoutMs: () => 60_000,
  producerId: () => -1,
  producerEpoch: () => -1,
  // admin
  numPartitions: () => 1,
  replicationFactor: () => 1,
  'CreateTopics.topics.assignments': () => [],
  'CreateTopics.topics.configs.name': () => 'retention.ms',
  'CreateTopics.topics.configs.value': () => '3600000',
  'CreateTopics.validateOnly': (s) => s.rng.chance(0.5),
  'CreatePartitions.topics.count': (s) => s.ctx.topic.partitions + 1,
  'CreatePartitions.topics.assignments': () => null,
  'CreatePartitions.validateOnly': () => true,
  'AlterConfigs.resources.configs.name': () => 'retention.ms',
  'AlterConfigs.resources.configs.value': () => '604800000',
  'IncrementalAlterConfigs.resources.configs.name': () => 'retention.ms',
  'IncrementalAlterConfigs.resources.configs.value': () => '604800000',
  configOperation: () => 0, // SET
  configurationKeys: () => null,
  brokerIds: () => [1],
  statesFilter: () => [],
  typesFilter: () => [],
  allowAutoTopicCreation: () => false,
  endpointType: () => 1,
  clientSoftwareName: () => 'strata-fuzz',
  clientSoftwareVersion: () => '1.0',
};

function typeDefault(f: FieldSpec, type: string, isArray: boolean): unknown {
  if (isArray) {
    if (type === 'string') return ['fuzz'];
    if (type.startsWith('int') || type.startsWith('uint')) return [0];
    return []; // struct arrays get one element from the caller
  }
  switch (type) {
    case 'bool':
      return false;
    case 'string':
      return 'fuzz';
    case 'uuid':
      return ZERO_UUID;
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    default:
      return f.default !== undefined && typeof f.default === 'number' ? f.default : 0;
  }
}

function tagged(f: FieldSpec, version: number, flexible: boolean): boolean {
  return flexible && inRange(f.taggedVersions, version);
}

function plausibleStruct(fields: readonly FieldSpec[], version: number, flexible: boolean, s: GenState): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) {
    // Tagged fields keep their defaults in valid requests (the hostile variants set them).
    if (!inRange(f.versions, version) || tagged(f, version, flexible)) continue;
    o[f.name] = plausibleField(f, version, flexible, { ...s, path: s.path ? `${s.path}.${f.name}` : f.name });
  }
  return o;
}

function plausibleField(f: FieldSpec, version: number, flexible: boolean, s: GenState): unknown {
  const rule = RULES[`${s.api}.${s.path}`] ?? RULES[`${s.api}.${f.name}`] ?? RULES[s.path] ?? RULES[f.name];
  const ruled = rule?.(s, f);
  if (ruled !== undefined) return ruled;
  const isArray = f.type.startsWith('[]');
  if (f.fields) {
    const element = plausibleStruct(f.fields, version, flexible, s);
    return isArray ? [element] : element;
  }
  return typeDefault(f, isArray ? f.type.slice(2) : f.type, isArray);
}

/** A valid request body for one API version, with plausible values. */
export function validBody(apiKey: number, version: number, ctx: FuzzContext, rng: Rng): Record<string, unknown> {
  const spec = requestSpec(apiKey);
  return plausibleStruct(spec.fields, version, isFlexible(spec, version), { api: apiNameOf(apiKey), ctx, rng, path: '' });
}

function requestSpec(apiKey: number): MessageSpec {
  const api = API_SPECS.get(apiKey);
  if (!api) throw new Error(`no schema for api key ${apiKey}`);
  return api.request;
}

function apiNameOf(apiKey: number): string {
  return API_SPECS.get(apiKey)!.name;
}

export function validCase(apiKey: number, version: number, ctx: FuzzContext, rng: Rng, clientId = 'strata-fuzz'): RequestCase {
  return { apiKey, version, label: 'valid', clientId, body: validBody(apiKey, version, ctx, rng) };
}

// ---- hostile variants -----------------------------------------------------------------------------------

/** Deep copy of plain objects and arrays; buffers are shared (never mutated). */
export function cloneBody<T>(v: T): T {
  if (Array.isArray(v)) return v.map(cloneBody) as T;
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = cloneBody(x);
    return o as T;
  }
  return v;
}

export function getPath(body: unknown, path: Path): unknown {
  let v = body;
  for (const p of path) v = (v as Record<PathPart, unknown>)[p];
  return v;
}

/** A copy of body with the value at path replaced. */
export function withPath(body: Record<string, unknown>, path: Path, value: unknown): Record<string, unknown> {
  const copy = cloneBody(body);
  let v: Record<PathPart, unknown> = copy;
  for (const p of path.slice(0, -1)) v = v[p] as Record<PathPart, unknown>;
  v[path[path.length - 1]] = value;
  return copy;
}

export function pathLabel(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

interface Variant {
  label: string;
  value?: unknown;
  raw?: RawEdit;
  malformed?: boolean;
}

function partitionish(name: string): boolean {
  return name === 'partitionIndex' || name === 'partition' || name === 'index' || name === 'partitions' || name === 'partitionIndexes';
}

function leafVariants(f: FieldSpec, type: string, nullable: boolean, current: unknown, path: Path, ctx: FuzzContext, rng: Rng): Variant[] {
  const out: Variant[] = [];
  switch (type) {
    case 'string':
      out.push({ label: 'max-length', value: maxString() });
      out.push({ label: 'max-length-multibyte', value: maxMultibyteString() });
      out.push({ label: 'empty', value: '' });
      out.push({ label: `invalid-utf8-${INVALID_UTF8_BYTES}`, value: 'u'.repeat(INVALID_UTF8_BYTES), raw: { kind: 'invalid-utf8', path } });
      break;
    case 'uuid':
      out.push({ label: 'unknown-uuid', value: rng.uuid() });
      out.push({ label: 'zero-uuid', value: ZERO_UUID });
      break;
    case 'bool':
      out.push({ label: `${!current}`, value: !current });
      break;
    case 'bytes':
      out.push({ label: 'empty', value: Buffer.alloc(0) });
      out.push({ label: `${LARGE_BYTES}-bytes`, value: rng.bytes(LARGE_BYTES) });
      break;
    case 'records':
      out.push({ label: 'empty', value: Buffer.alloc(0) });
      out.push({ label: 'garbage', value: rng.bytes(1024) });
      break;
    default: {
      const extremes = INT_EXTREMES[type];
      if (!extremes) throw new Error(`no extremes for type ${type}`);
      for (const v of extremes) if (v !== current) out.push({ label: String(v), value: v });
      if (partitionish(f.name)) out.push({ label: `first-missing-partition(${ctx.topic.partitions})`, value: ctx.topic.partitions });
    }
  }
  if (nullable && current !== null) out.push({ label: 'null', value: null });
  return out;
}

/**
 * Every hostile variant of one valid request: for each field (descending into the first element of struct
 * arrays), each extreme value; plus header client ids and unknown tagged fields.
 */
export function hostileCases(valid: RequestCase, ctx: FuzzContext, rng: Rng): RequestCase[] {
  const spec = requestSpec(valid.apiKey);
  const version = valid.version;
  const flexible = isFlexible(spec, version);
  const ctxLess = (label: string, extra: Partial<RequestCase>): RequestCase => ({ ...valid, label, ...extra });
  const out: RequestCase[] = [];

  // Header: the client id is echoed into member ids and logs.
  out.push(ctxLess('clientId=max-length', { clientId: maxString() }));
  out.push(ctxLess('clientId=max-length-multibyte', { clientId: maxMultibyteString() }));
  out.push(ctxLess('clientId=empty', { clientId: '' }));
  out.push(ctxLess('clientId=null', { clientId: null }));
  out.push(ctxLess(`clientId=invalid-utf8-${INVALID_UTF8_BYTES}`, { clientId: 'u'.repeat(INVALID_UTF8_BYTES), raw: { kind: 'invalid-utf8-client-id' } }));
  if (flexible) {
    out.push(ctxLess('header unknown tagged fields', { raw: { kind: 'unknown-tags', where: 'header', seed: rng.int(1 << 30) } }));
    out.push(ctxLess('body unknown tagged fields', { raw: { kind: 'unknown-tags', where: 'body', seed: rng.int(1 << 30) } }));
  }

  const walk = (fields: readonly FieldSpec[], base: Path, regular: boolean): void => {
    for (const f of fields) {
      if (!inRange(f.versions, version)) continue;
      const path = [...base, f.name];
      const isTagged = tagged(f, version, flexible);
      const isArray = f.type.startsWith('[]');
      const type = isArray ? f.type.slice(2) : f.type;
      const nullable = inRange(f.nullableVersions, version);
      const current = getPath(valid.body, path);
      const variants: Variant[] = [];
      if (isArray) {
        const items = (current as unknown[] | undefined) ?? [];
        if (items.length > 0) variants.push({ label: 'empty-array', value: [] });
        if (nullable && current !== null) variants.push({ label: 'null', value: null });
        const element = items[0] ?? (f.fields ? undefined : typeDefault(f, type, false));
        if (element !== undefined) {
          const n = largeCount(element);
          variants.push({ label: `${n}-elements`, value: new Array(n).fill(element) });
          // Only a regular (untagged) path can be located in the frame by the count edit.
          if (regular && !isTagged) variants.push({ label: 'count-2^31-1-short-body', value: [element], raw: { kind: 'huge-count', path }, malformed: true });
        }
        if (!f.fields && element !== undefined) {
          for (const v of leafVariants(f, type, false, element, [...path, 0], ctx, rng)) {
            if (v.label === 'null') continue;
            variants.push({ ...v, label: `[0]=${v.label}`, value: [v.value], raw: v.raw });
          }
        }
      } else if (!f.fields) {
        variants.push(...leafVariants(f, type, nullable, current ?? null, path, ctx, rng));
      }
      for (const v of variants) {
        const label = `${pathLabel(path)}${v.label.startsWith('[') ? '' : '='}${v.label}`;
        const body = freshScratch(withPath(valid.body, path, v.value), ctx);
        out.push(ctxLess(label, { body, raw: v.raw, malformed: v.malformed }));
      }
      if (f.fields) {
        if (isArray) {
          if (Array.isArray(current) && current.length > 0) walk(f.fields, [...path, 0], regular && !isTagged);
        } else if (current !== undefined && current !== null) {
          walk(f.fields, path, regular && !isTagged);
        }
      }
    }
  };
  walk(spec.fields, [], true);
  return out;
}

/**
 * Each variant gets its own scratch names (one new name per distinct old one, so duplicated array elements stay
 * duplicates): a JoinGroup variant then never waits for the member an earlier variant left in the same group.
 */
function freshScratch(body: Record<string, unknown>, ctx: FuzzContext): Record<string, unknown> {
  const renamed = new Map<string, string>();
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string' && v.startsWith(ctx.scratchPrefix)) {
      let n = renamed.get(v);
      if (n === undefined) renamed.set(v, (n = `${v.replace(/-[0-9a-z]+$/, '')}-${(++scratchCounter).toString(36)}`));
      return n;
    }
    if (Array.isArray(v)) return v.map(visit);
    if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) o[k] = visit(x);
      return o;
    }
    return v;
  };
  return visit(body) as Record<string, unknown>;
}

/** How many copies of `element` make a large but bounded array. */
function largeCount(element: unknown): number {
  const size = Math.max(1, approxSize(element));
  return Math.max(16, Math.min(LARGE_ARRAY_ELEMENTS, Math.floor(LARGE_ARRAY_BYTES / size)));
}

function approxSize(v: unknown): number {
  if (v === null || v === undefined) return 1;
  if (typeof v === 'string') return 2 + Buffer.byteLength(v);
  if (typeof v === 'number') return 8;
  if (typeof v === 'boolean') return 1;
  if (v instanceof Uint8Array) return 4 + v.length;
  if (Array.isArray(v)) return 4 + v.reduce((n: number, x) => n + approxSize(x), 0);
  return Object.values(v as object).reduce((n: number, x) => n + approxSize(x), 0);
}

/** The valid request and every hostile variant of one API at every version its handler serves. */
export function apiCases(api: ServedApi, ctx: FuzzContext, rng: Rng, opts: { hostile?: boolean } = {}): RequestCase[] {
  const out: RequestCase[] = [];
  for (let v = api.minVersion; v <= api.maxVersion; v++) {
    const valid = validCase(api.apiKey, v, ctx, rng);
    out.push(valid);
    if (opts.hostile !== false) out.push(...hostileCases(valid, ctx, rng));
  }
  return out;
}
