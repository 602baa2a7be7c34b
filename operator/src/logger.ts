// A levelled logger writing one JSON line per message to stderr.
import type { Logger } from './reconcilers/reconciler';

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export function makeLogger(level: string): Logger {
  const min = Math.max(0, LEVELS.indexOf(level as (typeof LEVELS)[number]));
  const write = (lvl: (typeof LEVELS)[number]) => (msg: string) => {
    if (LEVELS.indexOf(lvl) < min) return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg })}\n`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
