// Builds sabre.fb.RecordBatch buffers the way a client would: the flatbuffers
// Builder and the flatc-generated classes.
import * as flatbuffers from 'flatbuffers';
import { Record } from '../../dist/src/codec/flat/generated/sabre/fb/record.js';
import { RecordBatch } from '../../dist/src/codec/flat/generated/sabre/fb/record-batch.js';

/** A field left undefined is left out of the record (to build bad ones). */
export interface FlatRecord {
  key?: string;
  ts?: number;
  value?: number;
}

export function recordBatch(records: FlatRecord[]): Uint8Array {
  const b = new flatbuffers.Builder(64 + records.length * 48);
  // Without it the Builder leaves out fields equal to their default (a value of 0), which Sabre reads as missing.
  b.forceDefaults(true);
  const offsets = records.map((r) => {
    const key = r.key === undefined ? 0 : b.createString(r.key);
    Record.startRecord(b);
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
  Record.startRecord(b);
  if (r.key !== undefined) Record.addKey(b, key);
  if (r.ts !== undefined) Record.addEventTime(b, r.ts);
  if (r.value !== undefined) Record.addValue(b, r.value);
  b.finish(Record.endRecord(b));
  return b.asUint8Array().slice();
}
