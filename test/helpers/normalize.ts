/**
 * Puts our values and python3-libvirt's JSON in one shape for comparison: integers beyond
 * 2^53 as decimal strings (JSON would round them), bigints that fit as numbers, tuples as
 * arrays.
 */
export function normalize(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isSafeInteger(v) || !Number.isInteger(v) ? v : String(v);
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

/** 16 UUID bytes in libvirt's printed form. */
export function uuidString(bytes: Uint8Array): string {
  // No Buffer: the sweep also runs in a browser (test/helpers/browser-sweep.ts).
  const h = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
