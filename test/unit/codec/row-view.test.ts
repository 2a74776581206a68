// A worker reads a row body in place through a reused RowView: every field type, nulls,
// repositioning, plain copies, and interned strings (the same instance for repeated values).
import { describe, expect, it } from 'vitest';
import { RowView } from '../../../dist/src/codec/row-view.js';
import { INTERN_MAX_BYTES, InternCache } from '../../../dist/src/codec/string-intern.js';
import { rowLayout } from '../../../dist/src/codec/row-layout.js';
import { normalizeFields } from '../../../dist/src/job/fields.js';
import { writeRow } from '../../helpers/row-body.js';

const layout = rowLayout(normalizeFields({ card: 'string', amount: 'number', ok: 'boolean', at: 'time', note: { type: 'string', optional: true } }, 'test'));

function ring(): { u8: Uint8Array; i32: Int32Array; f64: Float64Array } {
  const sab = new SharedArrayBuffer(4096);
  return { u8: new Uint8Array(sab), i32: new Int32Array(sab), f64: new Float64Array(sab) };
}

describe('RowView', () => {
  it('reads every field type in place and moves between rows', () => {
    const m = ring();
    const a = writeRow(m.u8, 0, layout, 'k-1', { card: 'c-1', amount: 12.5, ok: true, at: 1000, note: 'héllo ✓' });
    const b = (a + 7) & ~7;
    writeRow(m.u8, b, layout, 'key-two', { card: 'c-2', amount: -3, ok: false, at: 2000, note: 'x' });
    const v = new RowView(layout);
    v.at(m.u8, m.i32, m.f64, 0);
    expect(v.record).toEqual({ card: 'c-1', amount: 12.5, ok: true, at: 1000, note: 'héllo ✓' });
    expect(Buffer.from(m.u8.subarray(v.keyStart, v.keyStart + v.keyLength)).toString()).toBe('k-1');
    v.at(m.u8, m.i32, m.f64, b);
    expect(v.record.card).toBe('c-2');
    expect(v.record.amount).toBe(-3);
    expect(v.record.ok).toBe(false);
    expect(v.record.at).toBe(2000);
    expect(Buffer.from(m.u8.subarray(v.keyStart, v.keyStart + v.keyLength)).toString()).toBe('key-two');
  });

  it('reads missing values as null', () => {
    const m = ring();
    writeRow(m.u8, 0, layout, 'k', { card: 'c', amount: null, ok: null, at: 5 });
    const v = new RowView(layout);
    v.at(m.u8, m.i32, m.f64, 0);
    expect(v.record.amount).toBeNull();
    expect(v.record.ok).toBeNull();
    expect(v.record.note).toBeNull();
  });

  it('spreads, stringifies and copies like a plain record; the copy outlives the view', () => {
    const m = ring();
    writeRow(m.u8, 0, layout, 'k', { card: 'c-9', amount: 1, ok: true, at: 7, note: 'n' });
    const v = new RowView(layout);
    v.at(m.u8, m.i32, m.f64, 0);
    const copy = v.toObject();
    expect({ ...v.record, extra: 1 }).toEqual({ card: 'c-9', amount: 1, ok: true, at: 7, note: 'n', extra: 1 });
    expect(JSON.parse(JSON.stringify(v.record))).toEqual(copy);
    expect(Object.keys(v.record)).toEqual(['card', 'amount', 'ok', 'at', 'note']);
    writeRow(m.u8, 0, layout, 'k', { card: 'c-10', amount: 2, ok: false, at: 8 });
    expect(v.record.card).toBe('c-10');
    expect(copy.card).toBe('c-9');
  });

  it('interns repeated strings: a value seen before is served from the cache, exact bytes compared', () => {
    // String identity is not observable with ===, so the cache counts its hits and misses.
    const cache = new InternCache();
    const enc = new TextEncoder();
    const a = enc.encode('..visa-approved');
    const b = enc.encode('visa-approved');
    const first = cache.get(a, 2, a.length - 2);
    expect(cache.get(b, 0, b.length)).toBe(first);
    expect(cache.get(b, 0, b.length)).toBe('visa-approved');
    expect([cache.hits, cache.misses]).toEqual([2, 1]);
    const c = enc.encode('visa-declined');
    expect(cache.get(c, 0, c.length)).toBe('visa-declined');
    expect(cache.misses).toBe(2);
    const long = enc.encode('x'.repeat(INTERN_MAX_BYTES + 1));
    expect(cache.get(long, 0, long.length)).toBe('x'.repeat(INTERN_MAX_BYTES + 1));
    expect([cache.hits, cache.misses]).toEqual([2, 2]);
  });

  it('reads a repeated string field through the view', () => {
    const m = ring();
    const v = new RowView(layout);
    for (let i = 0; i < 3; i++) {
      writeRow(m.u8, i * 256, layout, `k${i}`, { card: i < 2 ? 'visa-approved' : 'visa-declined', amount: i, ok: true, at: i });
      v.at(m.u8, m.i32, m.f64, i * 256);
      expect(v.record.card).toBe(i < 2 ? 'visa-approved' : 'visa-declined');
    }
  });

  it('copies every field type, nulls included, in schema order; a field named __proto__ stays a field', () => {
    const odd = rowLayout(normalizeFields({
      name: 'string', ['__proto__']: 'number', yes: 'boolean', flag: 'boolean', at: 'time', s: { type: 'string', optional: true },
    }, 'test'));
    const m = ring();
    writeRow(m.u8, 0, odd, 'k', { name: 'é', ['__proto__']: 3.5, yes: false, flag: null, at: 9, s: null });
    const v = new RowView(odd);
    v.at(m.u8, m.i32, m.f64, 0);
    const copy = v.toObject();
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['name', '__proto__', 'yes', 'flag', 'at', 's']);
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).toBe(3.5);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(v.record));
    expect(JSON.parse(JSON.stringify(copy))).toEqual({ name: 'é', ['__proto__']: 3.5, yes: false, flag: null, at: 9, s: null });
  });
});
