// A small leveled logger: one line per event on stderr, so stdout stays free for tools.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

let globalLevel: LogLevel = (process.env.STRATA_LOG_LEVEL as LogLevel) in ORDER ? (process.env.STRATA_LOG_LEVEL as LogLevel) : 'info';

export function setLogLevel(level: LogLevel): void {
  globalLevel = level;
}

function format(fields?: Record<string, unknown>): string {
  if (!fields) return '';
  let out = '';
  for (const [k, v] of Object.entries(fields)) {
    const s = v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v);
    out += ` ${k}=${/\s/.test(s ?? '') ? JSON.stringify(s) : s}`;
  }
  return out;
}

export function createLogger(component = 'strata'): Logger {
  const log = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < ORDER[globalLevel]) return;
    process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${component}] ${msg}${format(fields)}\n`);
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (c) => createLogger(`${component}/${c}`),
  };
}
