// A job row (layout: row-layout.ts) whose string fields come from fixed
// pools of values known up front (a generator's cards, merchants,
// symbols…): each pool value is UTF-8 encoded and murmur2-hashed once, so a
// record costs its numbers and one small integer per string field, and
// writing it copies bytes (PartitionedWriter.writePooledRow). The key, when
// it is one pooled field, is that field's bytes and hash: nothing is encoded
// per record. The bytes written are exactly RowProjector's for the same record.
import { murmur2 } from './murmur2.js';
import { ROW_KEY, ROW_KEY_LEN, ROW_STR_BYTES, rowBodyBytes, rowNumAt, type RowLayout } from '../codec/row-layout.js';
import { encodeUtf8, utf8Length } from '../codec/record-writer.js';

export class PooledRow {
  /** The numeric fields by numeric slot (number, time), set by the caller per record. */
  readonly num: Float64Array;
  /** Per string slot: the index of its value in that slot's pool, set by the caller per record. */
  readonly id: Int32Array;
  /** Numeric slot of the time field. */
  readonly timeSlot: number;
  /** The string slot of the key (-1: no key, records go round robin). */
  readonly keySlot: number;
  /** Set by next(): the record's partition hash (its key's murmur2, as writeRecord hashes a key, or its round-robin number). */
  hash = 0;
  /** Set by next(): UTF-8 bytes of the key (0 without one), of the string area, and the row body's size. */
  keyLen = 0;
  strBytes = 0;
  bodyBytes = 0;
  private roundRobin = 0;
  /** Per string slot: the current record's pool entry. */
  private readonly entry: Int32Array;
  /** Every pool's values, one after the other: entry e is bytes[start[e], start[e]+len[e]), hashed hash[e]. */
  private readonly bytes: Uint8Array;
  private readonly start: Int32Array;
  private readonly len: Int32Array;
  private readonly hashes: Int32Array;
  /** Entry e's bytes again, zero-padded to a multiple of 8 from int32 word keyWord[e]: a key area is copied as words. */
  private readonly keyWords: Int32Array;
  private readonly keyWord: Int32Array;
  /** Per string slot: the entry of its pool's value 0. */
  private readonly base: Int32Array;
  private readonly strCount: number;
  private readonly numCount: number;

  /**
   * `pools[s]`: the values string slot s may take. `keySlot`: the string slot
   * that is the record's key (KeySpec 'fields' of that one field), or -1 for
   * KeySpec 'none'.
   */
  constructor(readonly layout: RowLayout, timeSlot: number, pools: readonly (readonly string[])[], keySlot: number) {
    if (pools.length !== layout.strCount) throw new RangeError(`${pools.length} pools for ${layout.strCount} string fields`);
    this.num = new Float64Array(layout.numCount);
    this.id = new Int32Array(layout.strCount);
    this.timeSlot = timeSlot;
    this.keySlot = keySlot;
    this.strCount = layout.strCount;
    this.numCount = layout.numCount;
    const entries = pools.reduce((n, p) => n + p.length, 0);
    this.start = new Int32Array(entries);
    this.len = new Int32Array(entries);
    this.hashes = new Int32Array(entries);
    this.entry = new Int32Array(layout.strCount);
    this.base = new Int32Array(pools.length);
    let total = 0;
    for (const p of pools) for (const v of p) total += utf8Length(v);
    this.bytes = new Uint8Array(total);
    let padded = 0;
    for (const p of pools) for (const v of p) padded += (utf8Length(v) + 7) & ~7;
    this.keyWords = new Int32Array(padded >> 2);
    this.keyWord = new Int32Array(entries);
    const keyBytes = new Uint8Array(this.keyWords.buffer);
    let word = 0;
    let e = 0;
    let at = 0;
    pools.forEach((p, s) => {
      this.base[s] = e;
      for (const v of p) {
        const n = utf8Length(v);
        encodeUtf8(this.bytes, at, v, n);
        this.start[e] = at;
        this.len[e] = n;
        this.hashes[e] = murmur2(this.bytes, at, n);
        keyBytes.set(this.bytes.subarray(at, at + n), word * 4);
        this.keyWord[e] = word;
        word += ((n + 7) & ~7) >> 2;
        at += n;
        e++;
      }
    });
  }

  /**
   * A new record is in num/id (not a retry of one a full ring refused): work
   * out its pool entries, key, hash and size once. Without a key it takes
   * the next round-robin number as its hash.
   */
  next(): void {
    const base = this.base;
    const id = this.id;
    const entry = this.entry;
    const len = this.len;
    let strBytes = 0;
    for (let s = 0; s < this.strCount; s++) {
      const e = base[s]! + id[s]!;
      entry[s] = e;
      // The key's own field is not repeated: its ref points at the key bytes (row-layout.ts).
      if (s !== this.keySlot) strBytes += len[e]!;
    }
    if (this.keySlot >= 0) {
      const e = entry[this.keySlot]!;
      this.hash = this.hashes[e]!;
      this.keyLen = len[e]!;
    } else {
      this.hash = this.roundRobin;
      this.roundRobin = (this.roundRobin + 1) | 0;
    }
    this.strBytes = strBytes;
    this.bodyBytes = rowBodyBytes(this.layout, this.keyLen, strBytes);
  }

  /** The row body (next() done) at byte `body` (8-aligned) of a ring's views. */
  encode(u8: Uint8Array, i32: Int32Array, f64: Float64Array, body: number): void {
    const bytes = this.bytes;
    const start = this.start;
    const len = this.len;
    const entry = this.entry;
    const keyLen = this.keyLen;
    const numAt = body + rowNumAt(keyLen);
    i32[(body + ROW_KEY_LEN) >> 2] = keyLen;
    i32[(body + ROW_STR_BYTES) >> 2] = this.strBytes;
    if (keyLen > 0) {
      // The key and its zero padding up to the numbers, as words (the key area starts 8-aligned).
      const words = this.keyWords;
      let j = this.keyWord[entry[this.keySlot]!]!;
      for (let w = (body + ROW_KEY) >> 2, end = numAt >> 2; w < end; w++) i32[w] = words[j++]!;
    }
    const num = this.num;
    const n0 = numAt >> 3;
    for (let n = 0; n < this.numCount; n++) f64[n0 + n] = num[n]!;
    const refs = numAt + this.numCount * 8;
    let at = refs - body + this.strCount * 8;
    let w = refs >> 2;
    for (let s = 0; s < this.strCount; s++) {
      if (s === this.keySlot) {
        i32[w++] = ROW_KEY;
        i32[w++] = keyLen;
        continue;
      }
      const e = entry[s]!;
      const n = len[e]!;
      i32[w++] = at;
      i32[w++] = n;
      let o = body + at;
      for (let j = start[e]!, end = j + n; j < end; j++) u8[o++] = bytes[j]!;
      at += n;
    }
  }
}
