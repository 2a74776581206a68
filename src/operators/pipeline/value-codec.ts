// Record values kept by aggregates (first/last, countDistinct, topN) go into
// checkpoints as JSON. Strings, booleans and finite numbers are themselves;
// what JSON cannot carry is wrapped in a one-key object, which no plain
// value is, so decoding is unambiguous.

export type SavedValue = string | number | boolean | { num: string } | { bigint: string } | { json: unknown };

export function encodeValue(v: unknown): SavedValue {
  switch (typeof v) {
    case 'string': case 'boolean': return v;
    case 'number': return Number.isFinite(v) ? v : { num: String(v) };
    case 'bigint': return { bigint: v.toString() };
    default: return { json: v };
  }
}

export function decodeValue(s: SavedValue): unknown {
  if (typeof s !== 'object' || s === null) return s;
  if ('num' in s) return Number(s.num);
  if ('bigint' in s) return BigInt(s.bigint);
  return s.json;
}

function typeRank(v: unknown): number {
  return typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : 2;
}

/** Numbers numerically, then strings by UTF-16 code units, then anything else by its string form. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return (a as number) - (b as number);
  const sa = ra === 1 ? (a as string) : String(a);
  const sb = rb === 1 ? (b as string) : String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
