// Commander argParsers for repeatable flags: `repeatable(parse)` appends each occurrence (partitions, headers,
// operations), `-c key=value` (topic create, alter-config --set) collects a map, `--delete key` a list of names.
// Bad input is a usage error (exit 2).
import { AdminError } from '../admin/errors';

/** Parses one "key=value" (the value may contain "=" and be empty; the key may not). */
export function parseKeyValue(flag: string, text: string): [string, string] {
  const eq = text.indexOf('=');
  const key = eq < 0 ? '' : text.slice(0, eq).trim();
  if (eq < 0 || key === '') throw new AdminError(`${flag} expects key=value, got "${text}"`, 'usage');
  return [key, text.slice(eq + 1)];
}

/** A collector for a repeatable key=value flag; giving the same key twice is refused rather than guessed. */
export function keyValues(flag: string): (text: string, previous: Record<string, string> | undefined) => Record<string, string> {
  return (text, previous = {}) => {
    const [key, value] = parseKeyValue(flag, text);
    if (Object.hasOwn(previous, key)) throw new AdminError(`${flag} ${key} is given twice`, 'usage');
    return { ...previous, [key]: value };
  };
}

/** A repeatable flag's parser: each occurrence is parsed and appended. */
export function repeatable<T>(parse: (text: string) => T): (text: string, previous: T[] | undefined) => T[] {
  return (text, previous = []) => [...previous, parse(text)];
}

/** A collector for a repeatable flag taking a non-empty name. */
export function names(flag: string): (text: string, previous: string[] | undefined) => string[] {
  return repeatable((text) => {
    if (text.trim() === '') throw new AdminError(`${flag} expects a name`, 'usage');
    return text.trim();
  });
}
