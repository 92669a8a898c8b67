/**
 * The differences between two JSON-like values, one line per differing leaf, as
 * `path: nq <value> ≠ requests <value>`. Empty when they are equal. Object key order is
 * ignored; array order is not.
 */
export function diff(nq: unknown, requests: unknown, path = "$"): string[] {
  if (Object.is(nq, requests)) return [];
  if (Array.isArray(nq) && Array.isArray(requests)) {
    const out: string[] = [];
    if (nq.length !== requests.length)
      out.push(`${path}.length: nq ${nq.length} ≠ requests ${requests.length}`);
    for (let i = 0; i < Math.min(nq.length, requests.length); i++)
      out.push(...diff(nq[i], requests[i], `${path}[${i}]`));
    return out;
  }
  if (isPlainObject(nq) && isPlainObject(requests)) {
    const out: string[] = [];
    const keys = new Set([...Object.keys(nq), ...Object.keys(requests)]);
    for (const key of keys) {
      const child = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
      if (!(key in nq)) out.push(`${child}: nq <absent> ≠ requests ${show(requests[key])}`);
      else if (!(key in requests)) out.push(`${child}: nq ${show(nq[key])} ≠ requests <absent>`);
      else out.push(...diff(nq[key], requests[key], child));
    }
    return out;
  }
  return [`${path}: nq ${show(nq)} ≠ requests ${show(requests)}`];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  const text = value === undefined ? "undefined" : JSON.stringify(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
