// What the main thread does to a source record of a job before any of the
// job's own code runs: project it to the declared fields (a field missing or
// null where not optional, or of another type, dead-letters the record as
// `bad-field`; a bad event time as `bad-time`), and key it. Plain code, read
// next to src/job/fields.ts and docs/SEMANTICS.md ("Records", "Event times").
import type { Field } from '../../src/job/fields.js';
import type { KeySpec } from '../../src/job/plan.js';
import { parseIsoTime } from '../../src/codec/json/record-fields.js';
import { isEventTime } from '../../src/time/event-time-range.js';

export type Projected =
  | { ok: true; record: Record<string, unknown>; ts: number }
  | { ok: false; reason: 'not-an-object' | 'bad-field' | 'bad-time'; detail: string };

function at(obj: unknown, path: readonly string[]): unknown {
  let v = obj;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

/** The event time a time field's value names, or NaN. A 'time' field may also be an ISO-8601 string. */
function eventTime(v: unknown, type: Field['type']): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && type === 'time') return parseIsoTime(v);
  return NaN;
}

function fits(v: unknown, type: Field['type']): boolean {
  switch (type) {
    case 'string': return typeof v === 'string';
    case 'boolean': return typeof v === 'boolean';
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'time': return (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && !Number.isNaN(parseIsoTime(v)));
  }
}

/** The record the job sees: its declared fields by name, in declaration order (absent optional fields are null). */
export function project(source: unknown, fields: readonly Field[], timeField: string): Projected {
  if (source === null || typeof source !== 'object' || Array.isArray(source)) {
    return { ok: false, reason: 'not-an-object', detail: 'expected a JSON object' };
  }
  const tf = fields.find((f) => f.name === timeField)!;
  const ts = eventTime(at(source, tf.path), tf.type);
  if (!isEventTime(ts)) return { ok: false, reason: 'bad-time', detail: `field "${timeField}" is not a valid event time` };
  const record: Record<string, unknown> = {};
  for (const f of fields) {
    const v = at(source, f.path);
    if (v === undefined || v === null) {
      if (!f.optional) return { ok: false, reason: 'bad-field', detail: `field "${f.name}" is missing or null` };
      record[f.name] = null;
    } else if (!fits(v, f.type)) {
      return { ok: false, reason: 'bad-field', detail: `field "${f.name}" is not a ${f.type}` };
    } else {
      record[f.name] = f.name === timeField ? ts : v;
    }
  }
  return { ok: true, record, ts };
}

/**
 * The key string the main thread partitions on, and what window results
 * carry for it. Computed from the projected source record, before any of the
 * job's stages (the main thread runs none of them).
 */
export function keyOf(record: Record<string, unknown>, key: KeySpec): { key: string; keyOut: Record<string, unknown> } {
  switch (key.kind) {
    case 'none': return { key: '', keyOut: {} };
    case 'fn': {
      const k = (key.fn as (r: unknown) => unknown)(record);
      if (typeof k !== 'string' && typeof k !== 'number') throw new TypeError(`the key function returned ${typeof k}`);
      return { key: String(k), keyOut: { key: String(k) } };
    }
    case 'fields': {
      const keyOut: Record<string, unknown> = {};
      for (const f of key.fields) keyOut[f] = record[f];
      const values = key.fields.map((f) => record[f]);
      return { key: values.length === 1 ? String(values[0]) : JSON.stringify(values), keyOut };
    }
  }
}
