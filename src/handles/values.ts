/**
 * Plain values for the handle face and the command's `--json`: UUIDs as canonical strings,
 * enum values by name, tag/value lists as objects, and one JSON form for everything.
 */

const HEX = /* @__PURE__ */ Array.from({ length: 256 }, (_, k) => k.toString(16).padStart(2, '0'));

/** 16 bytes → `'c7a5fdbd-edaf-9455-926a-d65c16db1809'`. */
export function uuidString(bytes: Uint8Array): string {
  let h = '';
  for (const b of bytes) h += HEX[b];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A UUID given as a string (32 hex digits, dashes anywhere between pairs, as libvirt parses
 * them) or 16 bytes, as the 16 bytes the protocol carries; anything else is a RangeError
 * naming `where`, before anything is sent.
 */
export function uuidBytes(value: string | Uint8Array, where = 'uuid'): Uint8Array {
  if (value instanceof Uint8Array) {
    if (value.length !== 16) throw new RangeError(`${where}: a UUID is 16 bytes, not ${value.length}`);
    return value;
  }
  if (typeof value !== 'string') throw new TypeError(`${where}: a UUID is a string or 16 bytes, not ${typeof value}`);
  const hex = value.trim().replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`${where}: '${value}' is not a UUID (32 hexadecimal digits)`);
  const out = new Uint8Array(16);
  for (let k = 0; k < 16; k++) out[k] = parseInt(hex.slice(2 * k, 2 * k + 2), 16);
  return out;
}

/** An enum value's name from a generated table; a value newer than the table stays a number. */
export function enumName<N extends string>(table: Readonly<Record<number, N>>, value: number): N | number {
  return table[value] ?? value;
}

/** A domain state's reason by the state's own reason enum. */
export function stateReasonName(reasons: Readonly<Record<number, Readonly<Record<number, string>>>>, state: number, reason: number): string | number {
  return reasons[state]?.[reason] ?? reason;
}

/**
 * `[{ tag: 6, val: 2097152n }]` → `{ actualBalloon: 2097152n }`: tag/value lists as one object,
 * the tag named by its enum (or a string tag used as it is); an unknown tag keeps its number.
 */
export function keyedValues<V>(list: readonly object[], tag: string, value: string, names?: Readonly<Record<number, string>>): Record<string, V> {
  const out: Record<string, V> = {};
  for (const item of list as readonly Record<string, unknown>[]) {
    const t = item[tag] as number | string;
    out[typeof t === 'number' ? (names?.[t] ?? String(t)) : t] = item[value] as V;
  }
  return out;
}

/**
 * The JSON form of any result of either face: 64-bit integers as numbers up to 2^53 and
 * decimal strings beyond, 16 bytes as a UUID string and other bytes as base64, handles as
 * their identity (their `toJSON()`). `JSON.stringify(x, jsonReplacer)` gives the text.
 * @example
 * ```ts
 * console.log(JSON.stringify(await dom.memoryStats(), jsonReplacer)); // {"actualBalloon":2097152,...}
 * ```
 */
export function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return v.length === 16 ? uuidString(v) : base64(v);
  return v;
}

/** `value` as the JSON text of {@link jsonReplacer}'s form, indented by `indent`. */
export function toJSONText(value: unknown, indent: number | string = 2): string {
  return JSON.stringify(value, jsonReplacer, indent);
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let k = 0; k < bytes.length; k += 0x8000) s += String.fromCharCode(...bytes.subarray(k, k + 0x8000));
  return btoa(s);
}
