// A small leveled logger: one line per event on stderr, so stdout stays free for tools.
// Lines are JSON objects ({"time","level","component","msg",...fields}) for log collectors, or text for people
// (logFormat / STRATA_LOG_FORMAT; "auto" = text on a terminal, JSON otherwise — in a container stderr is a pipe
// read by the runtime's log driver, which is where structured lines pay off).
// No secret is written: fields whose name looks like one are replaced (redactFields), and values registered with
// addSecret (the S3 secret key) are cut out of every line, whatever field or message they hide in.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'auto' | 'json' | 'text';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

const envLevel = process.env.STRATA_LOG_LEVEL as LogLevel;
let globalLevel: LogLevel = envLevel in ORDER ? envLevel : 'info';
let globalFormat: 'json' | 'text' = resolveFormat(process.env.STRATA_LOG_FORMAT);
const secrets = new Set<string>();

export function setLogLevel(level: LogLevel): void {
  globalLevel = level;
}

export function setLogFormat(format: LogFormat): void {
  globalFormat = resolveFormat(format);
}

function resolveFormat(format: string | undefined): 'json' | 'text' {
  if (format === 'json' || format === 'text') return format;
  return process.stderr.isTTY ? 'text' : 'json';
}

/** A value that must never appear in a log line (an empty or very short one would blank out ordinary text, so is ignored). */
export function addSecret(value: string): void {
  if (value.length >= 8) secrets.add(value);
}

export const REDACTED = '[redacted]';
const SECRET_NAME = /password|secret|token|credential|authorization|sasl|passphrase|private.?key|access.?key/i;
const MAX_DEPTH = 4;

/** Copies `fields` with every value under a secret-looking name (at any depth) replaced by REDACTED. */
export function redactFields(fields: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_NAME.test(k) ? REDACTED : redactValue(v, depth + 1);
  return out;
}

function redactValue(v: unknown, depth: number): unknown {
  if (v instanceof Error) return v.stack ?? v.message;
  if (v === null || typeof v !== 'object' || depth > MAX_DEPTH) return v;
  if (Array.isArray(v)) return v.map((x) => redactValue(x, depth + 1));
  return redactFields(v as Record<string, unknown>, depth);
}

function scrubSecrets(line: string): string {
  for (const s of secrets) if (line.includes(s)) line = line.split(s).join(REDACTED);
  return line;
}

/** One log line (with its newline) in `format`, redacted. */
export function formatLine(
  format: 'json' | 'text',
  time: Date,
  level: LogLevel,
  component: string,
  msg: string,
  fields?: Record<string, unknown>,
): string {
  const safe = fields ? redactFields(fields) : {};
  let line: string;
  if (format === 'json') {
    // The fixed keys first (people read the line too) and never overwritten by a field of the same name.
    const entry: Record<string, unknown> = { time: time.toISOString(), level, component, msg };
    for (const [k, v] of Object.entries(safe)) if (!(k in entry)) entry[k] = v;
    line = JSON.stringify(entry, jsonReplacer);
  } else {
    line = `${time.toISOString()} ${level.toUpperCase().padEnd(5)} [${component}] ${msg}${textFields(safe)}`;
  }
  return `${scrubSecrets(line)}\n`;
}

// BigInts (offsets, producer ids) are written as numbers' text rather than making JSON.stringify throw.
const jsonReplacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

function textFields(fields: Record<string, unknown>): string {
  let out = '';
  for (const [k, v] of Object.entries(fields)) {
    const s = typeof v === 'string' ? v : JSON.stringify(v, jsonReplacer);
    out += ` ${k}=${/\s/.test(s ?? '') ? JSON.stringify(s) : s}`;
  }
  return out;
}

export function createLogger(component = 'strata'): Logger {
  const log = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < ORDER[globalLevel]) return;
    process.stderr.write(formatLine(globalFormat, new Date(), level, component, msg, fields));
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (c) => createLogger(`${component}/${c}`),
  };
}
