import * as flatbuffers from 'flatbuffers';
import { Record } from './flat/generated/sabre/fb/record.js';
import { KEY_AT, ROOT_OFFSET, VALUE_AT, TIME_AT, VT_WORD0, VT_WORD1, VT_WORD2 } from './record-writer.js';

/**
 * Reads a flatbuffers Record in place (no copy) from a byte view, e.g. a
 * ring's data region. Bodies Sabre wrote itself (record-writer.ts) are read
 * with direct loads; any other valid Record (from Kafka or a client's batch)
 * goes through the flatc-generated accessors. After `at(offset)` the fields
 * keyStart/keyLength/value/eventTime describe the record; nothing allocates.
 */
export class RecordView {
  private readonly bb: flatbuffers.ByteBuffer;
  private readonly rec = new Record();
  keyStart = 0;
  keyLength = 0;
  value = 0;
  eventTime = 0;
  hasValue = false;

  constructor(private readonly u8: Uint8Array, private readonly i32: Int32Array, private readonly f64: Float64Array) {
    this.bb = new flatbuffers.ByteBuffer(u8);
  }

  /** Decode the body starting at byte `body` (4-aligned; 8-aligned for the fast path). */
  at(body: number): void {
    const w = body >> 2;
    if ((body & 7) === 0 && this.i32[w] === ROOT_OFFSET && this.i32[w + 1] === VT_WORD0
      && this.i32[w + 2] === VT_WORD1 && this.i32[w + 3] === VT_WORD2 && this.i32[w + 4] === ROOT_OFFSET - 4) {
      this.keyLength = this.i32[w + (KEY_AT >> 2)]!;
      this.keyStart = body + KEY_AT + 4;
      this.eventTime = this.f64[(body + TIME_AT) >> 3]!;
      this.value = this.f64[(body + VALUE_AT) >> 3]!;
      this.hasValue = true;
      return;
    }
    this.slow(body);
  }

  private slow(body: number): void {
    const bb = this.bb;
    bb.setPosition(body);
    const rec = Record.getRootAsRecord(bb, this.rec);
    const keyField = bb.__offset(rec.bb_pos, 4);
    if (keyField === 0) {
      this.keyStart = 0;
      this.keyLength = 0;
    } else {
      const str = rec.bb_pos + keyField + bb.readUint32(rec.bb_pos + keyField);
      this.keyLength = bb.readInt32(str);
      this.keyStart = str + 4;
    }
    this.eventTime = rec.eventTime();
    this.hasValue = bb.__offset(rec.bb_pos, 8) !== 0;
    this.value = rec.value();
  }

  /** The key as a string: only for emitting, it allocates. */
  keyString(): string {
    return decoder.decode(this.u8.subarray(this.keyStart, this.keyStart + this.keyLength));
  }
}

const decoder = new TextDecoder();
