// Writes a flatbuffers `sabre.fb.Record` (key, event_time, value; no
// attributes) straight into a ring's memory, without a flatbuffers Builder:
// the layout below is fixed, so encoding is a handful of stores. Any
// flatbuffers reader decodes it (test/unit/codec/codec-record.test.ts reads it back with
// the flatc-generated classes); workers also recognise it for a fast path.
//
// Body layout (offsets from the body start, which is 8-byte aligned):
//    0 u32  root offset → table at 16
//    4 u16[6] vtable: size 12, table size 24, key @4, event_time @8, value @16, attributes absent
//   16 i32  table: soffset to the vtable (16 - 4 = 12)
//   20 u32  key: offset to the string at 40 (40 - 20)
//   24 f64  event_time
//   32 f64  value
//   40 u32  key length, then the UTF-8 bytes and a NUL (flatbuffers strings)
// Flatbuffers is little-endian, as is every platform Node ships for.

export const ROOT_OFFSET = 16;
export const VT_WORD0 = (24 << 16) | 12; // u16 vtable size, u16 table size
export const VT_WORD1 = (8 << 16) | 4; // key @4, event_time @8
export const VT_WORD2 = 16; // value @16, attributes absent
export const KEY_REF = 20;
export const TIME_AT = 24;
export const VALUE_AT = 32;
export const KEY_AT = 40;

/** Body bytes for a key of `keyBytes` UTF-8 bytes. */
export function recordBodyBytes(keyBytes: number): number {
  return KEY_AT + 4 + keyBytes + 1;
}

/**
 * Write the body's layout words at byte offset `at` (8-aligned): root, vtable,
 * table and key length. The caller stores event time and value at
 * f64[(at + TIME_AT) >> 3] and f64[(at + VALUE_AT) >> 3] itself (doubles passed
 * as call arguments would be boxed), then the key bytes with writeKey*.
 */
export function writeRecordLayout(i32: Int32Array, at: number, keyBytes: number): void {
  const w = at >> 2;
  i32[w] = ROOT_OFFSET;
  i32[w + 1] = VT_WORD0;
  i32[w + 2] = VT_WORD1;
  i32[w + 3] = VT_WORD2;
  i32[w + 4] = ROOT_OFFSET - 4;
  i32[w + 5] = KEY_AT - KEY_REF;
  i32[w + (KEY_AT >> 2)] = keyBytes;
}

/** Convenience for tests and cold paths: layout plus time and value. */
export function writeRecordHead(i32: Int32Array, f64: Float64Array, at: number, keyBytes: number,
  eventTime: number, value: number): void {
  writeRecordLayout(i32, at, keyBytes);
  f64[(at + TIME_AT) >> 3] = eventTime;
  f64[(at + VALUE_AT) >> 3] = value;
}

/** Copy pre-encoded key bytes src[srcStart, srcStart+keyLen) (and the NUL) into the body at `at`. */
export function writeKeyBytes(u8: Uint8Array, at: number, src: Uint8Array, srcStart: number, keyLen: number): void {
  const o = at + KEY_AT + 4;
  for (let i = 0; i < keyLen; i++) u8[o + i] = src[srcStart + i]!;
  u8[o + keyLen] = 0;
}

const encoder = new TextEncoder();

/**
 * Byte length of `s` in UTF-8, computed without allocating (surrogate pairs
 * count 4, lone surrogates 3 as TextEncoder replaces them with U+FFFD).
 */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { n += 4; i++; } else n += 3;
    } else n += 3;
  }
  return n;
}

/** UTF-8 encode `key` at u8[at…]; `keyLen` from utf8Length. ASCII keys allocate nothing. */
export function encodeUtf8(u8: Uint8Array, at: number, key: string, keyLen: number): void {
  if (keyLen === key.length) {
    for (let i = 0; i < keyLen; i++) u8[at + i] = key.charCodeAt(i);
  } else {
    encoder.encodeInto(key, u8.subarray(at, at + keyLen));
  }
}
