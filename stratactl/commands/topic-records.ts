// stratactl topic produce | consume: records in and out of a topic, kcat style. produce reads stdin line by
// line (text with an optional key delimiter, or JSON lines) and sends it in batches as it streams; consume
// prints records in a kcat -f format, or one JSON/YAML object per record for scripts.
import { once } from 'node:events';
import * as readline from 'node:readline';
import { type Command, Option } from 'commander';
import { stringify as toYaml } from 'yaml';
import { AdminError } from '../../admin/errors';
import { IdempotentProducer } from '../../admin/idempotent-producer';
import { parseTime } from '../../admin/time';
import { BYTES_FORMATS, type BytesFormat, compileKcatFormat, recordToJson } from '../../admin/record-format';
import { type Acks, COMPRESSION_NAMES, type CompressionName, type ConsumedRecord, type Isolation, produceRecords, type ProduceRecord, readRecords, type StartAt } from '../../admin/records';
import { action, nonNegativeInt, positiveInt } from '../context';
import type { OutputFormat } from '../output';
import { repeatable } from '../key-values';
import { topicCommand } from './topic';

export function registerTopicRecordCommands(program: Command): void {
  const topic = topicCommand(program);
  topic
    .command('produce <topic>')
    .description('produce one record per stdin line (empty lines are skipped); -o json|yaml prints each record’s partition and offset')
    .option('-K, --key-delimiter <delimiter>', 'split each line into key and value at the first delimiter (kcat -K)')
    .option('-H, --header <key=value>', 'add a header to every record (repeatable)', repeatable((h: string) => h), [])
    .addOption(new Option('-p, --partition <n>', 'produce to this partition (default: by key as Kafka’s partitioner, keyless to one partition)').argParser(nonNegativeInt('--partition')))
    .addOption(
      new Option('--acks <acks>', 'acknowledgements to wait for; all (-1) produces idempotently: a request whose answer was lost is sent again and the broker drops the copy; 0 or 1 turn idempotence off (as Kafka’s enable.idempotence needs acks=all), so a lost answer fails the command')
        .choices(['-1', '0', '1', 'all'])
        .default('-1'),
    )
    .option('--no-idempotence', 'with --acks all, produce without a producer id (as enable.idempotence=false, e.g. on Kafka before 2.8 without IDEMPOTENT_WRITE on the cluster)')
    .addOption(new Option('--compression <codec>', 'batch compression').choices(COMPRESSION_NAMES as string[]).default('none'))
    .addOption(new Option('--input <format>', 'text lines, or JSON lines {"key","value","headers":{…},"partition"}').choices(['text', 'json']).default('text'))
    .action(action(async (ctx, name: string, flags: ProduceFlags) => produce(ctx, name, flags)));
  topic
    .command('consume <topic>')
    .description('print records (stops at the end offset seen at start unless --follow); -o json|yaml prints one object per record')
    .addOption(new Option('-p, --partition <n>', 'read this partition (repeatable; default all)').argParser(repeatable(nonNegativeInt('--partition'))))
    .addOption(new Option('--offset <where>', 'beginning (default) | end | <offset> | -<n> (the last n)').argParser(parseOffset))
    .addOption(new Option('--timestamp <time>', 'start at the first record at or after this time (ms since the epoch or ISO-8601)').argParser(parseTimestamp))
    .addOption(new Option('-c, --count <n>', 'stop after n records').argParser(positiveInt('--count')))
    .option('-f, --format <format>', 'kcat -f format for table output: %t %p %o %k %K %s %S %R %T %h %% \\n \\t', '%s\\n')
    .addOption(new Option('--key-format <format>', 'how keys are rendered').choices(BYTES_FORMATS as string[]))
    .addOption(new Option('--value-format <format>', 'how values are rendered').choices(BYTES_FORMATS as string[]))
    .option('--follow', 'keep printing new records until interrupted; without -p, partitions added meanwhile are found within 5 s and read from their beginning')
    .addOption(new Option('--isolation <level>', 'read_committed hides aborted transactions').choices(['read_committed', 'read_uncommitted']).default('read_committed'))
    .action(action(async (ctx, name: string, flags: ConsumeFlags) => consume(ctx, name, flags)));
}

interface ProduceFlags {
  keyDelimiter?: string;
  header: string[];
  partition?: number;
  acks: string;
  compression: CompressionName;
  input: 'text' | 'json';
  idempotence: boolean;
}

interface ConsumeFlags {
  partition?: number[];
  offset?: StartAt;
  timestamp?: number;
  count?: number;
  format: string;
  keyFormat?: BytesFormat;
  valueFormat?: BytesFormat;
  follow?: boolean;
  isolation: Isolation;
}

type Ctx = Parameters<Parameters<typeof action>[0]>[0];

// Lines are sent once this many are waiting or their bytes reach the limit (few requests, bounded memory), or
// when no further line has come for LINGER_MS (a person typing sees each line sent, as with linger.ms).
const CHUNK_RECORDS = 1000;
const CHUNK_BYTES = 256 * 1024;
const LINGER_MS = 100;

/** The lines of `lines`; while `waiting()` and no line comes for lingerMs, runs `idle` (then waits again). */
async function* lingering(lines: AsyncIterable<string>, lingerMs: number, waiting: () => boolean, idle: () => Promise<void>): AsyncGenerator<string> {
  const it = lines[Symbol.asyncIterator]();
  let next = it.next();
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const quiet = waiting() ? new Promise<'quiet'>((resolve) => (timer = setTimeout(() => resolve('quiet'), lingerMs))) : undefined;
    const got = await (quiet ? Promise.race([next, quiet]) : next);
    clearTimeout(timer);
    if (got === 'quiet') {
      await idle();
      continue;
    }
    if (got.done) return;
    next = it.next();
    yield got.value;
  }
}

async function produce(ctx: Ctx, topic: string, flags: ProduceFlags) {
  const headers = flags.header.map(parseHeader);
  const acks = (flags.acks === 'all' ? -1 : Number(flags.acks)) as Acks;
  const toRecord = flags.input === 'json' ? jsonLineRecord : textLineRecord(flags.keyDelimiter);
  const output = ctx.options.output;
  const cc = ctx.cluster();
  await cc.topic(topic); // a missing topic fails before stdin is read
  // One producer identity for the whole run: sequence numbers continue across the chunks sent.
  const idempotence = acks === -1 && flags.idempotence ? new IdempotentProducer() : false;
  let chunk: ProduceRecord[] = [];
  let chunkBytes = 0;
  let total = 0;
  const partitions = new Set<number>();
  const send = async () => {
    if (chunk.length === 0) return;
    const results = await produceRecords(cc, topic, chunk, { acks, compression: flags.compression, idempotence });
    chunk = [];
    chunkBytes = 0;
    total += results.length;
    for (const r of results) partitions.add(r.partition);
    if (output === 'json') await write(ctx.stdout, results.map((r) => `${JSON.stringify(r)}\n`).join(''));
    else if (output === 'yaml') await write(ctx.stdout, results.map((r) => `- partition: ${r.partition}\n  offset: ${r.offset}\n`).join(''));
  };
  const lines = readline.createInterface({ input: ctx.stdin, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lingering(lines, LINGER_MS, () => chunk.length > 0, send)) {
    lineNo++;
    if (line === '') continue;
    const record = toRecord(line, lineNo);
    record.headers = [...(record.headers ?? []), ...headers];
    if (flags.partition !== undefined) record.partition = flags.partition;
    chunk.push(record);
    chunkBytes += line.length;
    if (chunk.length >= CHUNK_RECORDS || chunkBytes >= CHUNK_BYTES) await send();
  }
  await send();
  if (output !== 'table') return;
  const where = [...partitions].sort((a, b) => a - b).join(',');
  return { data: { topic, records: total }, tables: [`produced ${total} record(s) to ${topic}${total > 0 ? ` (partition ${where})` : ''}`] };
}

function textLineRecord(delimiter: string | undefined): (line: string, lineNo: number) => ProduceRecord {
  return (line) => {
    const at = delimiter ? line.indexOf(delimiter) : -1;
    // As kcat -K: no delimiter in the line means a keyless record.
    if (at < 0) return { key: null, value: Buffer.from(line, 'utf8') };
    return { key: Buffer.from(line.slice(0, at), 'utf8'), value: Buffer.from(line.slice(at + delimiter!.length), 'utf8') };
  };
}

/** {"key","value","headers":{k:v}|[{key,value}],"partition","timestamp"}: strings as UTF-8, other JSON values as their JSON text. */
function jsonLineRecord(line: string, lineNo: number): ProduceRecord {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch (err) {
    throw new AdminError(`line ${lineNo} is not JSON: ${(err as Error).message}`, 'usage');
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new AdminError(`line ${lineNo}: expected a JSON object with "value"`, 'usage');
  const o = doc as Record<string, unknown>;
  const bytes = (v: unknown): Buffer | null => (v === null || v === undefined ? null : Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8'));
  const headerList = Array.isArray(o.headers)
    ? (o.headers as Array<{ key?: unknown; value?: unknown }>).map((h) => ({ key: String(h.key), value: bytes(h.value) }))
    : Object.entries((o.headers ?? {}) as Record<string, unknown>).map(([key, value]) => ({ key, value: bytes(value) }));
  const record: ProduceRecord = { key: bytes(o.key), value: bytes(o.value), headers: headerList };
  if (o.partition !== undefined) {
    if (!Number.isSafeInteger(o.partition) || (o.partition as number) < 0) throw new AdminError(`line ${lineNo}: "partition" must be a non-negative integer`, 'usage');
    record.partition = o.partition as number;
  }
  if (o.timestamp !== undefined) {
    if (!Number.isSafeInteger(o.timestamp)) throw new AdminError(`line ${lineNo}: "timestamp" must be milliseconds since the epoch`, 'usage');
    record.timestamp = o.timestamp as number;
  }
  return record;
}

async function consume(ctx: Ctx, topic: string, flags: ConsumeFlags) {
  if (flags.timestamp !== undefined && flags.offset !== undefined) throw new AdminError('give either --offset or --timestamp, not both', 'usage');
  const start: StartAt = flags.timestamp !== undefined ? { timestamp: flags.timestamp } : (flags.offset ?? 'beginning');
  const output: OutputFormat = ctx.options.output;
  const formats = { keyFormat: flags.keyFormat, valueFormat: flags.valueFormat };
  const line = compileKcatFormat(flags.format, formats);
  const render =
    output === 'json'
      ? (r: ConsumedRecord) => `${JSON.stringify(recordToJson(r, formats))}\n`
      : output === 'yaml'
        ? (r: ConsumedRecord) => `---\n${toYaml(recordToJson(r, formats))}`
        : line;
  // Ctrl-C while following ends the read cleanly (exit 0 after what was printed); so does a closed pipe.
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  const onPipeError = () => stop.abort();
  process.once('SIGINT', onSigint);
  ctx.stdout.on('error', onPipeError);
  try {
    const records = readRecords(ctx.cluster(), { topic, partitions: flags.partition, start, limit: flags.count, follow: flags.follow, isolation: flags.isolation, signal: stop.signal });
    for await (const r of records) {
      if (stop.signal.aborted) break;
      await write(ctx.stdout, render(r));
    }
  } catch (err) {
    // The reader went away (| head): stop quietly, as kcat does.
    if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
  } finally {
    process.removeListener('SIGINT', onSigint);
    ctx.stdout.removeListener('error', onPipeError);
  }
}

/** Writes and waits for the stream to drain when its buffer is full (a slow pipe must not grow memory). */
async function write(out: NodeJS.WritableStream, chunk: string | Buffer): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

function parseHeader(h: string): { key: string; value: Buffer } {
  const eq = h.indexOf('=');
  if (eq <= 0) throw new AdminError(`--header must be key=value, got "${h}"`, 'usage');
  return { key: h.slice(0, eq), value: Buffer.from(h.slice(eq + 1), 'utf8') };
}

/** --offset: beginning | end | <n> | -<n> (the last n records of each partition). */
export function parseOffset(v: string): StartAt {
  if (v === 'beginning' || v === 'end') return v;
  if (/^-\d+$/.test(v) && Number.isSafeInteger(-Number(v))) return { fromEnd: -Number(v) };
  if (/^\d+$/.test(v) && Number.isSafeInteger(Number(v))) return { offset: Number(v) };
  throw new AdminError(`--offset must be beginning, end, an offset or -<n> for the last n records, got "${v}"`, 'usage');
}

/** --timestamp: milliseconds since the epoch, or an ISO-8601 date-time. */
export function parseTimestamp(v: string): number {
  const ms = parseTime(v);
  if (ms === undefined) throw new AdminError(`--timestamp must be milliseconds since the epoch or an ISO-8601 time, got "${v}"`, 'usage');
  return ms;
}
