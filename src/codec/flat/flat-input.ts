import * as flatbuffers from 'flatbuffers';
import { Record } from './generated/sabre/fb/record.js';
import { RecordBatch } from './generated/sabre/fb/record-batch.js';
import { Attribute } from './generated/sabre/fb/attribute.js';
import type { RecordFault } from '../../errors.js';

/**
 * Reads flatbuffers input from clients (HTTP/WebSocket batches, Kafka values)
 * in place: key bytes, event time and value are located, not decoded — no
 * strings, no objects per record. The engine then frames each record for its
 * partition (records of one batch go to different partitions, so a batch is
 * re-framed record by record). JS flatbuffers has no verifier, so every read
 * is bounds-checked here and a malformed buffer is reported, not thrown.
 */
export class FlatInput {
  private bb = new flatbuffers.ByteBuffer(new Uint8Array(0));
  private readonly batch = new RecordBatch();
  private readonly rec = new Record();
  bytes: Uint8Array = new Uint8Array(0);
  keyStart = 0;
  keyLength = 0;
  eventTime = 0;
  value = 0;
  fault: RecordFault | undefined;
  detail = '';

  /** Attach a RecordBatch buffer; returns the record count, or -1 (see fault/detail). */
  openBatch(bytes: Uint8Array): number {
    this.bytes = bytes;
    this.bb = new flatbuffers.ByteBuffer(bytes);
    try {
      if (bytes.length < 8) return this.fail('bad-flatbuffer', 'a RecordBatch needs at least 8 bytes');
      RecordBatch.getRootAsRecordBatch(this.bb, this.batch);
      this.checkTable(this.batch.bb_pos);
      const n = this.batch.recordsLength();
      if (n < 0 || n * 4 > bytes.length) return this.fail('bad-flatbuffer', 'record vector length out of range');
      return n;
    } catch (e) {
      return this.fail('bad-flatbuffer', `not a RecordBatch: ${(e as Error).message}`);
    }
  }

  /** Locate record i of the open batch; false when it is unusable (see fault/detail). */
  batchRecord(i: number, needsValue: boolean): boolean {
    try {
      this.batch.records(i, this.rec);
      return this.read(needsValue);
    } catch (e) {
      return this.fail('bad-flatbuffer', `record ${i}: ${(e as Error).message}`) >= 0;
    }
  }

  /** A buffer holding one Record as its root (Kafka values). */
  single(bytes: Uint8Array, needsValue: boolean): boolean {
    this.bytes = bytes;
    this.bb = new flatbuffers.ByteBuffer(bytes);
    try {
      if (bytes.length < 8) return this.fail('bad-flatbuffer', 'a Record needs at least 8 bytes') >= 0;
      Record.getRootAsRecord(this.bb, this.rec);
      return this.read(needsValue);
    } catch (e) {
      return this.fail('bad-flatbuffer', `not a Record: ${(e as Error).message}`) >= 0;
    }
  }

  /**
   * The record located by the last batchRecord/single that returned true, as
   * the object a job module reads: { key, <timeField>: event_time, value,
   * ...attributes (name → text, or number when it has no text) }. Allocates:
   * a job's path, which parses JSON records into objects too. undefined
   * (with fault/detail) when an attribute lies outside the buffer.
   */
  toObject(timeField: string): { [field: string]: unknown } | undefined {
    const key = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.keyStart, this.keyLength).toString('utf8');
    const obj: { [field: string]: unknown } = { key, [timeField]: this.eventTime, value: this.value };
    try {
      const bb = this.bb;
      const pos = this.rec.bb_pos;
      const vec = bb.__offset(pos, 10);
      if (vec === 0) return obj;
      const at = bb.__vector(pos + vec);
      const n = bb.__vector_len(pos + vec);
      if (n < 0 || !this.in(at, n * 4)) throw new RangeError('attribute vector out of bounds');
      const a = new Attribute();
      for (let i = 0; i < n; i++) {
        this.rec.attributes(i, a);
        this.checkTable(a.bb_pos);
        const name = a.name();
        if (name === null) continue;
        const text = a.text();
        obj[name] = text !== null ? text : a.number();
      }
    } catch (e) {
      return this.fail('bad-flatbuffer', `attributes: ${(e as Error).message}`) >= 0 ? obj : undefined;
    }
    return obj;
  }

  private read(needsValue: boolean): boolean {
    const bb = this.bb;
    const pos = this.rec.bb_pos;
    this.checkTable(pos);
    const keyField = bb.__offset(pos, 4);
    if (keyField === 0) return this.fail('missing-key', 'the record has no key') >= 0;
    const str = pos + keyField + bb.readUint32(pos + keyField);
    const len = this.in(str, 4) ? bb.readInt32(str) : -1;
    if (len < 0 || !this.in(str + 4, len)) return this.fail('bad-flatbuffer', 'key out of bounds') >= 0;
    this.keyStart = str + 4;
    this.keyLength = len;
    if (bb.__offset(pos, 6) === 0) return this.fail('bad-time', 'the record has no event_time') >= 0;
    this.eventTime = this.rec.eventTime();
    if (!Number.isFinite(this.eventTime)) return this.fail('bad-time', 'event_time is not finite') >= 0;
    // A missing scalar is its schema default (0): Builders leave defaults out unless forceDefaults is set.
    this.value = this.rec.value();
    if (needsValue && !Number.isFinite(this.value)) return this.fail('bad-value', 'value is not finite') >= 0;
    if (!needsValue && !Number.isFinite(this.value)) this.value = 0;
    this.fault = undefined;
    return true;
  }

  private in(at: number, len: number): boolean {
    return at >= 0 && len >= 0 && at + len <= this.bytes.length;
  }

  /** A table's vtable must lie inside the buffer before fields are read through it. */
  private checkTable(pos: number): void {
    if (!this.in(pos, 4)) throw new RangeError('table offset out of bounds');
    const vt = pos - this.bb.readInt32(pos);
    if (!this.in(vt, 4) || !this.in(vt, this.bb.readUint16(vt))) throw new RangeError('vtable out of bounds');
    if (!this.in(pos, this.bb.readUint16(vt + 2))) throw new RangeError('table out of bounds');
  }

  private fail(fault: RecordFault, detail: string): -1 {
    this.fault = fault;
    this.detail = detail;
    return -1;
  }
}
