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
  | { ok: false; reason: 'not-an-object' | 'bad-field' | 'bad-time' | 'missing-key'; detail: string };

function at(obj: unknown, path: readonly string[]): unknown {
  let v = obj;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  return v;
}

/** The value a field of this type holds for v, or undefined when v does not fit (a 'time' field also takes ISO-8601 text). */
function fit(v: unknown, type: Field['type']): unknown {
  switch (type) {
    case 'string': return typeof v === 'string' ? v : undefined;
    case 'boolean': return typeof v === 'boolean' ? v : undefined;
    case 'number': return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    case 'time': {
      if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
      const ms = typeof v === 'string' ? parseIsoTime(v) : NaN;
      return Number.isFinite(ms) ? ms : undefined;
    }
  }
}

/**
 * The record the job sees: its declared fields by name, in declaration
 * order (absent optional fields are null). Fields are checked in that order
 * and the first bad one names the fault: the time field's is `bad-time`, a
 * key field's `missing-key` (neither may be null), any other's `bad-field`.
 * Then an event time outside the ISO-8601 years is `bad-time`.
 */
export function project(source: unknown, fields: readonly Field[], timeField: string, key: KeySpec): Projected {
  if (source === null || typeof source !== 'object' || Array.isArray(source)) {
    return { ok: false, reason: 'not-an-object', detail: 'expected a JSON object' };
  }
  const keyFields = key.kind === 'fields' ? key.fields : [];
  const record: Record<string, unknown> = {};
  for (const f of fields) {
    const raw = at(source, f.path);
    const reason = f.name === timeField ? 'bad-time' : keyFields.includes(f.name) ? 'missing-key' : 'bad-field';
    if (raw === undefined || raw === null) {
      if (!f.optional || reason !== 'bad-field') return { ok: false, reason, detail: `field "${f.name}" is missing or null` };
      record[f.name] = null;
      continue;
    }
    const v = fit(raw, f.type);
    if (v === undefined) return { ok: false, reason, detail: `field "${f.name}" is not a ${f.type}` };
    record[f.name] = v;
  }
  const ts = record[timeField] as number;
  if (!isEventTime(ts)) return { ok: false, reason: 'bad-time', detail: `event time ${ts} is outside the ISO-8601 years` };
  return { ok: true, record, ts };
}

/**
 * The key string the main thread partitions on, and what window results
 * carry for it. A key function sees the source record as read (the main
 * thread runs none of the job's stages); key fields are the projected ones.
 */
export function keyOf(source: unknown, record: Record<string, unknown>, key: KeySpec): { key: string; keyOut: Record<string, unknown> } {
  switch (key.kind) {
    case 'none': return { key: '', keyOut: {} };
    case 'fn': {
      const k = String((key.fn as (r: unknown) => unknown)(source));
      return { key: k, keyOut: { key: k } };
    }
    case 'fields': {
      const keyOut: Record<string, unknown> = {};
      for (const f of key.fields) keyOut[f] = record[f];
      const values = key.fields.map((f) => record[f]);
      return { key: values.length === 1 ? String(values[0]) : JSON.stringify(values), keyOut };
    }
  }
}
