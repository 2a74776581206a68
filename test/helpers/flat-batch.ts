// Builds sabre.fb.RecordBatch buffers the way a client would: the flatbuffers
// Builder and the flatc-generated classes.
import * as flatbuffers from 'flatbuffers';
import { Record } from '../../dist/src/codec/flat/generated/sabre/fb/record.js';
import { RecordBatch } from '../../dist/src/codec/flat/generated/sabre/fb/record-batch.js';
import { Attribute } from '../../dist/src/codec/flat/generated/sabre/fb/attribute.js';

/** A field left undefined is left out of the record (to build bad ones). */
export interface FlatRecord {
  key?: string;
  ts?: number;
  value?: number;
  /** Named attributes: text, or a number when text is left out. */
  attributes?: { name: string; text?: string; number?: number }[];
}

function attributesOf(b: flatbuffers.Builder, r: FlatRecord): number {
  if (r.attributes === undefined) return 0;
  const offs = r.attributes.map((a) => {
    const name = b.createString(a.name);
    const text = a.text === undefined ? 0 : b.createString(a.text);
    Attribute.startAttribute(b);
    Attribute.addName(b, name);
    if (a.text !== undefined) Attribute.addText(b, text);
    if (a.number !== undefined) Attribute.addNumber(b, a.number);
    return Attribute.endAttribute(b);
  });
  return Record.createAttributesVector(b, offs);
}

export function recordBatch(records: FlatRecord[]): Uint8Array {
  const b = new flatbuffers.Builder(64 + records.length * 48);
  // Without it the Builder leaves out fields equal to their default (a value of 0), which Sabre reads as missing.
  b.forceDefaults(true);
  const offsets = records.map((r) => {
    const key = r.key === undefined ? 0 : b.createString(r.key);
    const attrs = attributesOf(b, r);
    Record.startRecord(b);
    if (attrs !== 0) Record.addAttributes(b, attrs);
    if (r.key !== undefined) Record.addKey(b, key);
    if (r.ts !== undefined) Record.addEventTime(b, r.ts);
    if (r.value !== undefined) Record.addValue(b, r.value);
    return Record.endRecord(b);
  });
  const vec = RecordBatch.createRecordsVector(b, offsets);
  b.finish(RecordBatch.createRecordBatch(b, vec));
  return b.asUint8Array().slice();
}

/** One Record as the root of its buffer, as a Kafka value in flatbuffers format. */
export function singleRecord(r: FlatRecord): Uint8Array {
  const b = new flatbuffers.Builder(64);
  b.forceDefaults(true);
  const key = r.key === undefined ? 0 : b.createString(r.key);
  const attrs = attributesOf(b, r);
  Record.startRecord(b);
  if (attrs !== 0) Record.addAttributes(b, attrs);
  if (r.key !== undefined) Record.addKey(b, key);
  if (r.ts !== undefined) Record.addEventTime(b, r.ts);
  if (r.value !== undefined) Record.addValue(b, r.value);
  b.finish(Record.endRecord(b));
  return b.asUint8Array().slice();
}
