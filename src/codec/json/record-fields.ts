import type { RecordFault } from '../../errors.js';

/** ISO-8601 date or date-time: date, then optionally time and offset. */
const ISO_8601 = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Epoch ms of an ISO-8601 string, NaN if it is not one. A date-time without
 * an offset is UTC, as a date alone is: Date.parse would read it in the
 * machine's time zone, so the same input would give other windows elsewhere.
 */
export function parseIsoTime(t: string): number {
  const m = ISO_8601.exec(t);
  if (!m) return NaN;
  return Date.parse(m[2] === undefined ? m[1]! : `${m[1]}T${m[2]}${m[3] ?? 'Z'}`);
}

/**
 * Pulls key, event time and value out of a parsed JSON record into its own
 * fields (one reusable instance per source, no object per record). On
 * failure `fault` and `detail` say why; the caller dead-letters the input.
 * The built-in job's RecordExtractor (src/codec/record-extractor.ts).
 */
export class RecordFields {
  /** The byte scanner reads exactly these three fields, so it may stand in for extract(). */
  readonly scannable = true;
  key = '';
  time = 0;
  value = 0;
  fault: RecordFault | undefined = undefined;
  detail = '';

  constructor(readonly keyField: string, readonly timeField: string, readonly valueField: string,
    /** false when only `count` is asked: the value is then not required. */
    readonly needsValue: boolean) {}

  /** true when `obj` is a usable record. */
  extract(obj: unknown): boolean {
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      return this.fail('not-an-object', `expected a JSON object, got ${obj === null ? 'null' : Array.isArray(obj) ? 'an array' : typeof obj}`);
    }
    const rec = obj as Record<string, unknown>;
    const k = rec[this.keyField];
    if (typeof k === 'string') this.key = k;
    else if (typeof k === 'number' && Number.isFinite(k)) this.key = String(k);
    else {
      return this.fail('missing-key', k === undefined || k === null
        ? `field "${this.keyField}" is missing or null`
        : `field "${this.keyField}" must be a string or a number, got ${typeof k}`);
    }
    const t = rec[this.timeField];
    if (typeof t === 'number') {
      if (!Number.isFinite(t)) return this.fail('bad-time', `field "${this.timeField}" is not a finite number`);
      this.time = t;
    } else if (typeof t === 'string') {
      const ms = parseIsoTime(t);
      if (!Number.isFinite(ms)) return this.fail('bad-time', `field "${this.timeField}" is not an ISO-8601 date: ${JSON.stringify(t).slice(0, 60)}`);
      this.time = ms;
    } else {
      return this.fail('bad-time', t === undefined || t === null
        ? `field "${this.timeField}" is missing or null`
        : `field "${this.timeField}" must be epoch ms or an ISO-8601 string, got ${typeof t}`);
    }
    const v = rec[this.valueField];
    if (typeof v === 'number' && Number.isFinite(v)) this.value = v;
    else if (this.needsValue) {
      return this.fail('bad-value', v === undefined || v === null
        ? `field "${this.valueField}" is missing or null`
        : `field "${this.valueField}" must be a finite number, got ${typeof v === 'number' ? String(v) : typeof v}`);
    } else this.value = 0;
    this.fault = undefined;
    return true;
  }

  write(writer: { writeRecord(key: string, eventTime: number, value: number, ingest: number): number }, ingest: number): number {
    return writer.writeRecord(this.key, this.time, this.value, ingest);
  }

  private fail(fault: RecordFault, detail: string): false {
    this.fault = fault;
    this.detail = detail;
    return false;
  }
}
