// The main thread's half of a job's row frame (layout in row-layout.ts):
// checks a parsed record against the job's fields and stashes what the frame
// needs; PartitionedWriter.writeRow hashes the key and calls encode() to
// write the body straight into the ring. One instance per input path,
// reused for every record: nothing is allocated per record beyond the key
// string (and what a key function or a string of several fields makes).
import type { RecordFault } from '../errors.js';
import type { Field } from '../job/fields.js';
import type { JobPlan, KeySpec } from '../job/plan.js';
import { parseIsoTime } from './json/record-fields.js';
import { ROW_KEY, ROW_KEY_LEN, ROW_NULL_STRING, ROW_STR_BYTES, rowLayout, rowNumAt, rowStrRefsAt, type RowLayout } from './row-layout.js';
import { encodeUtf8, utf8Length } from './record-writer.js';

const MISSING = Symbol('missing');

export class RowProjector {
  /** The numeric fields by numeric slot (number, time, boolean as 1/0; NaN = null). */
  readonly num: Float64Array;
  /** The string fields by string slot (null = null). */
  readonly str: (string | null)[];
  /** UTF-8 byte length of each string slot (set by stringBytes()). */
  readonly strLen: Int32Array;
  /** The record's key (empty without a key). */
  key = '';
  /** Numeric slot of the time field: the event time is num[timeSlot]. */
  readonly timeSlot: number;
  /** false for KeySpec 'none': records go round robin, `roundRobin` is their hash. */
  readonly keyed: boolean;
  roundRobin = 0;
  fault: RecordFault | undefined = undefined;
  detail = '';
  /** The byte scanner knows nothing of a job's fields. */
  readonly scannable = false;
  private next = 0;
  /** Per key field (KeySpec 'fields'): its index in layout.fields. */
  private readonly keyFields: Int32Array;
  /** Per field: 1 when it is a key field (a missing one is 'missing-key', never an optional null). */
  private readonly isKey: Uint8Array;
  /** The string slot that is the whole key (one string key field), else -1: its ref points at the key bytes (row-layout.ts). */
  private readonly keyStrSlot: number;
  private readonly timeIndex: number;
  /** The common case, compiled for the layout: every field present with its type (see compileFastExtract). */
  private readonly fast: (obj: object, num: Float64Array, str: (string | null)[]) => boolean;

  constructor(readonly layout: RowLayout, readonly timeField: string, readonly keySpec: KeySpec) {
    this.num = new Float64Array(layout.numCount);
    this.str = new Array<string | null>(layout.strCount).fill(null);
    this.strLen = new Int32Array(layout.strCount);
    const names = layout.fields.map((f) => f.name);
    this.timeIndex = names.indexOf(timeField);
    if (this.timeIndex < 0 || layout.numSlot[this.timeIndex]! < 0) throw new RangeError(`time field "${timeField}" is not a numeric field of the layout`);
    this.timeSlot = layout.numSlot[this.timeIndex]!;
    this.keyed = keySpec.kind !== 'none';
    const ks = keySpec.kind === 'fields' ? keySpec.fields : [];
    this.keyFields = Int32Array.from(ks, (k) => {
      const i = names.indexOf(k);
      if (i < 0) throw new RangeError(`key field "${k}" is not a field of the layout`);
      return i;
    });
    this.isKey = new Uint8Array(layout.fields.length);
    for (const i of this.keyFields) this.isKey[i] = 1;
    this.keyStrSlot = this.keyFields.length === 1 ? layout.strSlot[this.keyFields[0]!]! : -1;
    this.fast = compileFastExtract(layout);
  }

  /** The projector of a job's plan (its fields, time field and key). */
  static of(plan: JobPlan): RowProjector {
    return new RowProjector(rowLayout(plan.fields), plan.timeField, plan.key);
  }

  /** The event time extract() stashed. */
  get time(): number {
    return this.num[this.timeSlot]!;
  }

  /** true when `obj` is a usable record; else fault and detail say why. */
  extract(obj: unknown): boolean {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      return this.fail('not-an-object', `expected a JSON object, got ${obj === null ? 'null' : Array.isArray(obj) ? 'an array' : typeof obj}`);
    }
    if (this.fast(obj, this.num, this.str)) return this.keyOf(obj);
    // Something is missing, null or of another type: the field-by-field rules below say what.
    const { fields, numSlot, strSlot } = this.layout;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const v = valueAt(obj, f.path);
      const s = strSlot[i]!;
      if (s >= 0) {
        if (typeof v === 'string') this.str[s] = v;
        else if ((v === MISSING || v === null) && f.optional && !this.isKeyField(i)) this.str[s] = null;
        else return this.badField(i, f, v);
        continue;
      }
      const n = numSlot[i]!;
      if (f.type === 'boolean') {
        if (v === true) this.num[n] = 1;
        else if (v === false) this.num[n] = 0;
        else if ((v === MISSING || v === null) && f.optional) this.num[n] = NaN;
        else return this.badField(i, f, v);
      } else if (typeof v === 'number' && Number.isFinite(v)) {
        this.num[n] = v;
      } else if (f.type === 'time' && typeof v === 'string') {
        const ms = parseIsoTime(v);
        if (!Number.isFinite(ms)) return this.badField(i, f, v);
        this.num[n] = ms;
      } else if ((v === MISSING || v === null) && f.optional && i !== this.timeIndex && !this.isKeyField(i)) {
        this.num[n] = NaN;
      } else {
        return this.badField(i, f, v);
      }
    }
    return this.keyOf(obj);
  }

  /** Write the stashed row (the RecordExtractor side of src/codec/record-extractor.ts). */
  write(writer: { writeRow(row: RowProjector, ingest: number): number }, ingest: number): number {
    return writer.writeRow(this, ingest);
  }

  /** Total UTF-8 bytes of the string area (the key's string field, whose bytes are the key's, aside); fills strLen. */
  stringBytes(): number {
    let total = 0;
    for (let s = 0; s < this.str.length; s++) {
      if (s === this.keyStrSlot) continue;
      const v = this.str[s];
      const n = v === null || v === undefined ? 0 : utf8Length(v);
      this.strLen[s] = n;
      total += n;
    }
    return total;
  }

  /**
   * The row body at byte `body` of a ring's views (8-aligned), its key
   * key[0, keyLen) already UTF-8; `strBytes` from stringBytes(). The frame
   * must have rowBodyBytes(layout, keyLen, strBytes) bytes of body.
   */
  encode(u8: Uint8Array, i32: Int32Array, f64: Float64Array, body: number, key: Uint8Array, keyLen: number, strBytes: number): void {
    i32[(body + ROW_KEY_LEN) >> 2] = keyLen;
    i32[(body + ROW_STR_BYTES) >> 2] = strBytes;
    const k = body + ROW_KEY;
    for (let i = 0; i < keyLen; i++) u8[k + i] = key[i]!;
    const numAt = body + rowNumAt(keyLen);
    for (let i = k + keyLen; i < numAt; i++) u8[i] = 0;
    const num = this.num;
    for (let n = 0; n < num.length; n++) f64[(numAt >> 3) + n] = num[n]!;
    const refs = body + rowStrRefsAt(this.layout, keyLen);
    let at = rowStrRefsAt(this.layout, keyLen) + this.str.length * 8;
    for (let s = 0; s < this.str.length; s++) {
      const v = this.str[s];
      const w = (refs >> 2) + s * 2;
      if (s === this.keyStrSlot) {
        i32[w] = ROW_KEY;
        i32[w + 1] = keyLen;
        continue;
      }
      i32[w] = at;
      if (v === null || v === undefined) {
        i32[w + 1] = ROW_NULL_STRING;
        continue;
      }
      const len = this.strLen[s]!;
      i32[w + 1] = len;
      encodeUtf8(u8, body + at, v, len);
      at += len;
    }
  }

  private keyOf(obj: object): boolean {
    const spec = this.keySpec;
    if (spec.kind === 'none') {
      this.key = '';
      this.roundRobin = this.next;
      this.next = (this.next + 1) | 0;
    } else if (spec.kind === 'fn') {
      let k: unknown;
      try {
        k = (spec.fn as (r: unknown) => unknown)(obj);
      } catch (e) {
        return this.fail('user-function', `${e instanceof Error ? e.message : String(e)} (the key function at ${spec.where})`);
      }
      this.key = String(k);
    } else if (this.keyFields.length === 1) {
      this.key = this.keyPart(this.keyFields[0]!, false);
    } else {
      // Several fields: the JSON array of their values, so ("a,b", "c") and ("a", "b,c") stay apart.
      let key = '[';
      for (let j = 0; j < this.keyFields.length; j++) key += (j > 0 ? ',' : '') + this.keyPart(this.keyFields[j]!, true);
      this.key = key + ']';
    }
    this.fault = undefined;
    return true;
  }

  private keyPart(i: number, json: boolean): string {
    const s = this.layout.strSlot[i]!;
    if (s >= 0) return json ? JSON.stringify(this.str[s]) : this.str[s]!;
    return String(this.num[this.layout.numSlot[i]!]);
  }

  private isKeyField(i: number): boolean {
    return this.isKey[i] === 1;
  }

  /** Cold path: name what is wrong with field i (value v). */
  private badField(i: number, f: Field, v: unknown): false {
    const name = f.path.join('.');
    const missing = v === MISSING || v === null;
    const got = missing ? 'is missing or null' : `must be ${expected(f)}, got ${describe(v)}`;
    if (i === this.timeIndex) {
      const iso = typeof v === 'string' && f.type === 'time';
      return this.fail('bad-time', iso ? `field "${name}" is not an ISO-8601 date: ${JSON.stringify(v).slice(0, 60)}`
        : missing ? `field "${name}" is missing or null`
          : f.type === 'time' ? `field "${name}" must be epoch ms or an ISO-8601 string, got ${describe(v)}` : `field "${name}" ${got}`);
    }
    if (this.isKeyField(i)) return this.fail('missing-key', `field "${name}" ${got}`);
    return this.fail('bad-field', `field "${name}" ${got}`);
  }

  private fail(fault: RecordFault, detail: string): false {
    this.fault = fault;
    this.detail = detail;
    return false;
  }
}

/** The value at `path` in obj, or MISSING when a step is absent or not an object. */
function valueAt(obj: object, path: readonly string[]): unknown {
  let v: unknown = obj;
  for (let i = 0; i < path.length; i++) {
    if (v === null || typeof v !== 'object') return MISSING;
    const o = v as Record<string, unknown>;
    const k = path[i]!;
    v = o[k];
    if (v === undefined) return MISSING;
  }
  return v;
}

/**
 * extract()'s loop for a record whose every field is present with its
 * declared type, generated once per layout: a named load per path step and a
 * typed store, no per-field dispatch or path walk. It stashes what the loop
 * would and returns true; on anything else (a missing, null or mistyped
 * field, an ISO time that does not parse) it returns false and extract()'s
 * loop decides, from the start, as before. Paths reach the source only as
 * JSON string literals.
 */
function compileFastExtract(layout: RowLayout): (obj: object, num: Float64Array, str: (string | null)[]) => boolean {
  const lines: string[] = [];
  layout.fields.forEach((f, i) => {
    let get = 'obj';
    f.path.forEach((step, k) => {
      lines.push(`v = ${get}[${JSON.stringify(step)}];`);
      if (k < f.path.length - 1) lines.push('if (v === null || typeof v !== "object") return false;');
      get = 'v';
    });
    const s = layout.strSlot[i]!;
    const n = layout.numSlot[i]!;
    if (f.type === 'string') lines.push(`if (typeof v !== "string") return false; str[${s}] = v;`);
    else if (f.type === 'boolean') lines.push(`if (v === true) num[${n}] = 1; else if (v === false) num[${n}] = 0; else return false;`);
    else if (f.type === 'number') lines.push(`if (typeof v !== "number" || v - v !== 0) return false; num[${n}] = v;`);
    else {
      lines.push(`if (typeof v === "number") { if (v - v !== 0) return false; num[${n}] = v; }`
        + ` else if (typeof v === "string") { const ms = parseIsoTime(v); if (ms - ms !== 0) return false; num[${n}] = ms; } else return false;`);
    }
  });
  const source = `return function fastExtract(obj, num, str) {\n  let v;\n  ${lines.join('\n  ')}\n  return true;\n};`;
  return (new Function('parseIsoTime', source) as (p: typeof parseIsoTime) => (obj: object, num: Float64Array, str: (string | null)[]) => boolean)(parseIsoTime);
}

function expected(f: Field): string {
  switch (f.type) {
    case 'string': return 'a string';
    case 'boolean': return 'true or false';
    case 'time': return 'epoch ms or an ISO-8601 string';
    default: return 'a finite number';
  }
}

function describe(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `the string ${JSON.stringify(v).slice(0, 40)}`;
  return Array.isArray(v) ? 'an array' : typeof v;
}
