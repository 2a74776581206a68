// The body of a record frame for a job module (--job): the fields the job
// reads, projected once by the main thread (src/codec/row-writer.ts) and
// read in place by workers (src/codec/row-view.ts). Not a flatbuffers
// table: the field set is the job's, fixed for its run, so every field sits
// at an offset computed once and a read is one load, no vtable.
//
// Body layout (offsets from the body start, which is 8-byte aligned):
//    0 u32  key length K (UTF-8 bytes)
//    4 u32  string bytes S (the total of the string area's bytes)
//    8      key bytes, then zero padding to the next multiple of 8
//    8+pad(K)           f64 × numeric fields (number, time, boolean as 0/1; NaN = null)
//    … then             i32 × 2 × string fields: (offset from the body start, byte length; -1 = null)
//    … then             the string fields' UTF-8 bytes, one after the other
//
// A string field that is the whole key (KeySpec 'fields' of that one field)
// is not written twice: its ref points at the key bytes (offset ROW_KEY,
// length K) and S leaves it out. Readers follow refs and never assume where
// a string's bytes are.
import type { Field } from '../job/fields.js';

export const ROW_KEY_LEN = 0;
export const ROW_STR_BYTES = 4;
export const ROW_KEY = 8;
/** A string field's length word for null. */
export const ROW_NULL_STRING = -1;

/** Where each field of a job's schema lives in a row body. */
export interface RowLayout {
  readonly fields: readonly Field[];
  /** Per field (schema order): its numeric slot, or -1 for a string field. */
  readonly numSlot: Int32Array;
  /** Per field: its string slot, or -1 for a numeric field. */
  readonly strSlot: Int32Array;
  readonly numCount: number;
  readonly strCount: number;
}

export function rowLayout(fields: readonly Field[]): RowLayout {
  const numSlot = new Int32Array(fields.length).fill(-1);
  const strSlot = new Int32Array(fields.length).fill(-1);
  let n = 0;
  let s = 0;
  fields.forEach((f, i) => {
    if (f.type === 'string') strSlot[i] = s++;
    else numSlot[i] = n++;
  });
  return { fields, numSlot, strSlot, numCount: n, strCount: s };
}

/** Byte offset of the numeric area for a key of `keyLen` bytes. */
export function rowNumAt(keyLen: number): number {
  return ROW_KEY + ((keyLen + 7) & ~7);
}

/** Byte offset of the string refs (after the numeric area). */
export function rowStrRefsAt(layout: RowLayout, keyLen: number): number {
  return rowNumAt(keyLen) + layout.numCount * 8;
}

/** Body bytes of a row with a `keyLen`-byte key and `strBytes` bytes of string fields. */
export function rowBodyBytes(layout: RowLayout, keyLen: number, strBytes: number): number {
  return rowStrRefsAt(layout, keyLen) + layout.strCount * 8 + strBytes;
}
