// Test helper: writes row bodies (src/codec/row-layout.ts) by hand, as the
// main thread's projection does, using only the layout helpers.
import { ROW_KEY, ROW_KEY_LEN, ROW_NULL_STRING, ROW_STR_BYTES, rowBodyBytes, rowNumAt, rowStrRefsAt, type RowLayout } from '../../dist/src/codec/row-layout.js';

const enc = new TextEncoder();

/** Write a row with key `key` and field values `values` (by name; null/undefined = null) at byte `at` (8-aligned); returns its size. */
export function writeRow(u8: Uint8Array, at: number, layout: RowLayout, key: string, values: Record<string, unknown>): number {
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const kb = enc.encode(key);
  const strs = layout.fields.map((f) => (f.type === 'string' && values[f.name] != null ? enc.encode(String(values[f.name])) : undefined));
  const strBytes = strs.reduce((n, b) => n + (b?.length ?? 0), 0);
  const size = rowBodyBytes(layout, kb.length, strBytes);
  u8.fill(0, at, at + size);
  dv.setUint32(at + ROW_KEY_LEN, kb.length, true);
  dv.setUint32(at + ROW_STR_BYTES, strBytes, true);
  u8.set(kb, at + ROW_KEY);
  const numAt = at + rowNumAt(kb.length);
  const refsAt = at + rowStrRefsAt(layout, kb.length);
  let strAt = rowStrRefsAt(layout, kb.length) + layout.strCount * 8;
  layout.fields.forEach((f, i) => {
    const v = values[f.name];
    if (f.type === 'string') {
      const r = refsAt + layout.strSlot[i]! * 8;
      const b = strs[i];
      if (b === undefined) {
        dv.setInt32(r, 0, true);
        dv.setInt32(r + 4, ROW_NULL_STRING, true);
      } else {
        dv.setInt32(r, strAt, true);
        dv.setInt32(r + 4, b.length, true);
        u8.set(b, at + strAt);
        strAt += b.length;
      }
    } else {
      const n = v == null ? NaN : f.type === 'boolean' ? (v ? 1 : 0) : Number(v);
      dv.setFloat64(numAt + layout.numSlot[i]! * 8, n, true);
    }
  });
  return size;
}
