import * as flatbuffers from 'flatbuffers';
import { Record as FlatRecord } from '../../../codec/flat/generated/sabre/fb/record.js';
import { Attribute } from '../../../codec/flat/generated/sabre/fb/attribute.js';

/**
 * A job's output as a flatbuffers `sabre.fb.Record` (src/codec/flat/record.fbs),
 * what `--format flatbuffers` writes for a job run (--job) to Kafka: key =
 * the job's key text (absent for an unkeyed job), event_time = the output's
 * event time, value = NaN (an output has no one value), and one attribute per
 * top-level field of the output: a string as text, a number as number, a
 * boolean as number 1 or 0, anything else (null, arrays, objects) as text
 * holding its JSON. A job reading such a topic (--format flatbuffers) gets
 * the fields back (booleans as 1/0, nested values as their JSON text).
 * One Builder is reused; each call returns a fresh copy of the bytes.
 */
export class JobRecordEncoder {
  private readonly b = new flatbuffers.Builder(256);
  private readonly attrs: number[] = [];

  encode(key: string | null, eventTime: number, output: Record<string, unknown>): Uint8Array {
    const b = this.b;
    b.clear();
    // As in WindowResultEncoder: write every scalar we add, a number 0 included.
    b.forceDefaults(true);
    const attrs = this.attrs;
    attrs.length = 0;
    for (const name in output) {
      const v = output[name];
      if (v === undefined) continue; // not in the JSON line either
      const n = b.createString(name);
      if (typeof v === 'number' || typeof v === 'boolean') {
        Attribute.startAttribute(b);
        Attribute.addName(b, n);
        Attribute.addNumber(b, typeof v === 'number' ? v : v ? 1 : 0);
        attrs.push(Attribute.endAttribute(b));
      } else {
        const t = b.createString(typeof v === 'string' ? v : JSON.stringify(v));
        Attribute.startAttribute(b);
        Attribute.addName(b, n);
        Attribute.addText(b, t);
        attrs.push(Attribute.endAttribute(b));
      }
    }
    const vec = FlatRecord.createAttributesVector(b, attrs);
    const k = key === null ? 0 : b.createString(key);
    FlatRecord.startRecord(b);
    if (k) FlatRecord.addKey(b, k);
    FlatRecord.addEventTime(b, eventTime);
    FlatRecord.addValue(b, NaN);
    FlatRecord.addAttributes(b, vec);
    b.finish(FlatRecord.endRecord(b));
    return b.asUint8Array().slice();
  }
}

/** A decoded job output Record: for consumers and tests. */
export interface JobRecord {
  key: string | null;
  eventTime: number;
  value: number;
  /** Attribute name → its text, or its number when it has no text. */
  attributes: Record<string, string | number>;
}

/** The inverse of JobRecordEncoder.encode. */
export function decodeJobRecord(bytes: Uint8Array): JobRecord {
  const r = FlatRecord.getRootAsRecord(new flatbuffers.ByteBuffer(bytes));
  const attributes: Record<string, string | number> = {};
  const a = new Attribute();
  for (let i = 0; i < r.attributesLength(); i++) {
    r.attributes(i, a);
    const name = a.name();
    if (name === null) continue;
    const text = a.text();
    attributes[name] = text !== null ? text : a.number();
  }
  return { key: r.key(), eventTime: r.eventTime(), value: r.value(), attributes };
}
