// Reading form and query values: every value from a request is a string (or missing), checked here with a
// message that says which field was wrong; failures are AdminError 'usage' (HTTP 400).
import { parseTime } from '../admin/time';
import { AdminError } from './data';
import { html, type Html } from './html';
import { CSRF_FIELD } from './security';

export function field(src: unknown, name: string): string | undefined {
  const v = (src as Record<string, unknown> | undefined)?.[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new AdminError(`${name}: expected one value`, 'usage');
  const t = v.trim();
  return t === '' ? undefined : t;
}

export function intField(src: unknown, name: string, opts: { min: number; max?: number }): number | undefined {
  const v = field(src, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n) || n < opts.min || (opts.max !== undefined && n > opts.max)) {
    throw new AdminError(`${name} must be an integer${opts.max !== undefined ? ` from ${opts.min} to ${opts.max}` : ` ≥ ${opts.min}`}, got "${v}"`, 'usage');
  }
  return n;
}

/** A timestamp given as epoch milliseconds or an ISO-8601 date. */
export function timestampField(src: unknown, name: string): number | undefined {
  const v = field(src, name);
  if (v === undefined) return undefined;
  const n = parseTime(v);
  if (n === undefined) throw new AdminError(`${name} must be epoch milliseconds or an ISO-8601 time, got "${v}"`, 'usage');
  return n;
}

export function choiceField<T extends string>(src: unknown, name: string, choices: readonly T[], dflt: T): T {
  const v = field(src, name) ?? dflt;
  if (!(choices as readonly string[]).includes(v)) throw new AdminError(`${name} must be one of ${choices.join(', ')}, got "${v}"`, 'usage');
  return v as T;
}

/** The hidden CSRF field every POST form carries. */
export function csrfInput(token: string): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}
