// The one way pages produce HTML: the `html` tagged template escapes every interpolated value (topic names,
// keys, values, headers, error messages all come from outside), unless the value is itself Html built the same
// way. Arrays are joined; null, undefined and false render as nothing. There is no "raw" escape hatch for
// strings. `url` builds a path with each interpolation percent-encoded as one path segment or query value.

export class Html {
  /** Only html`` creates these; the constructor is not for pages. */
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type Interpolation = Html | string | number | boolean | null | undefined | readonly Interpolation[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function render(v: Interpolation): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === null || v === undefined || v === false) return '';
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new Html(out);
}

/** url`/topics/${name}/messages` → "/topics/a%2Fb/messages": every interpolation is encodeURIComponent-ed. */
export function url(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += encodeURIComponent(String(v)) + strings[i + 1]!;
  });
  return out;
}

/** A query string from the defined entries (values encoded). */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
