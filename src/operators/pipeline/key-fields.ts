// How a window result or a process context names its key. The main thread
// partitions on a key string (the projection's contract): one key field →
// its value as text (a number as String(n)); several → JSON.stringify of
// their values; a key function → its result as text. Workers turn that
// string back into the fields a result carries.
import type { JobPlan } from '../../job/plan.js';

export interface KeyFields {
  /** 'fields': results carry the key fields by name; 'fn': a `key` field; 'none': no key. */
  readonly kind: 'fields' | 'fn' | 'none';
  /** The key field names (kind 'fields'), in keyBy order. */
  readonly names: readonly string[];
  /** Per name: the field is a number (one-field keys give a number back). */
  readonly numeric: readonly boolean[];
}

export function keyFieldsOf(plan: JobPlan): KeyFields {
  const k = plan.key;
  if (k.kind !== 'fields') return { kind: k.kind, names: [], numeric: [] };
  const numeric = k.fields.map((n) => plan.fields.find((f) => f.name === n)?.type === 'number');
  return { kind: 'fields', names: k.fields, numeric };
}

/** Write the key's fields into `out` (a result being built): { card } or { symbol, side } or { key }. */
export function putKey(kf: KeyFields, key: string, out: Record<string, unknown>): void {
  if (kf.kind === 'fn') {
    out.key = key;
    return;
  }
  if (kf.kind === 'none') return;
  const names = kf.names;
  if (names.length === 1) {
    out[names[0]!] = kf.numeric[0] ? Number(key) : key;
    return;
  }
  const values = JSON.parse(key) as unknown[];
  for (let i = 0; i < names.length; i++) out[names[i]!] = values[i];
}
