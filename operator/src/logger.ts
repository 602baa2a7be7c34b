// A levelled logger writing one line per message to stderr: a JSON object {time, level, component, msg} by default
// (the operator runs in a container, where the log driver collects stderr), or text with STRATA_LOG_FORMAT=text.
// Messages carry no fields, so there is nothing to redact by name; the operator never logs Secret contents.
import type { Logger } from './reconcilers/reconciler';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export function makeLogger(level: string, format: string = process.env.STRATA_LOG_FORMAT ?? 'json'): Logger {
  const min = Math.max(0, LEVELS.indexOf(level as (typeof LEVELS)[number]));
  const text = format === 'text' || (format === 'auto' && process.stderr.isTTY);
  const write = (lvl: (typeof LEVELS)[number]) => (msg: string) => {
    if (LEVELS.indexOf(lvl) < min) return;
    const time = new Date().toISOString();
    process.stderr.write(
      text ? `${time} ${lvl.toUpperCase().padEnd(5)} [operator] ${msg}\n` : `${JSON.stringify({ time, level: lvl, component: 'operator', msg })}\n`,
    );
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
