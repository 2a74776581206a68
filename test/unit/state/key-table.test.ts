import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { B_FIRST, B_ID1, B_STRIDE, INLINE_BYTES, KeyTable } from '../../../dist/src/state/key-table.js';
import { murmur2 } from '../../../dist/src/partition/murmur2.js';

const enc = new TextEncoder();

describe('KeyTable', () => {
  it('gives each distinct key one dense, stable id across growth, inline and long keys, and hash collisions (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(
        fc.string({ maxLength: INLINE_BYTES }),
        fc.string({ minLength: INLINE_BYTES + 1, maxLength: 80 }),
        fc.constantFrom('', 'a', 'SYM1', 'SYM10', 'x'.repeat(INLINE_BYTES), 'x'.repeat(INLINE_BYTES + 1)),
      ), { minLength: 1, maxLength: 400 }),
      fc.boolean(),
      (keys, collide) => {
        const t = new KeyTable(16); // tiny, so the table grows many times
        const ids = new Map<string, number>();
        // Writing keys into a shared buffer at odd offsets, as ring memory would hold them.
        const src = new Uint8Array(64 * 1024);
        for (let round = 0; round < 2; round++) {
          for (const k of keys) {
            const bytes = enc.encode(k);
            const at = 3 + (bytes.length % 5);
            src.set(bytes, at);
            // Colliding mode: every key gets the same hash, so equality rests on the bytes alone.
            const hash = collide ? 0x1234 : murmur2(bytes, 0, bytes.length);
            const id = t.idOf(hash, src, at, bytes.length);
            if (!ids.has(k)) ids.set(k, ids.size);
            expect(id).toBe(ids.get(k));
          }
        }
        expect(t.size).toBe(ids.size);
        for (const [k, id] of ids) {
          const bytes = enc.encode(k);
          expect(t.keyLength(id)).toBe(bytes.length);
          expect([...t.arena.subarray(t.keyOffset(id), t.keyOffset(id) + bytes.length)]).toEqual([...bytes]);
          expect(t.hash(id)).toBe(collide ? 0x1234 : murmur2(bytes, 0, bytes.length));
        }
      },
    ), { numRuns: 60 });
  });

  it("keeps each key's window-list head in its bucket through growth, readable by id and by find()", () => {
    const t = new KeyTable(16);
    const n = 5000;
    const key = (i: number) => enc.encode(i % 2 === 0 ? `K${i}` : `a-long-key-past-the-inline-bytes-${i}`);
    for (let i = 0; i < n; i++) {
      const b = key(i);
      const id = t.idOf(murmur2(b, 0, b.length), b, 0, b.length);
      expect(t.firstWindow(id)).toBe(-1); // a new key has no windows
      t.setFirstWindow(id, i * 3);
    }
    for (let i = 0; i < n; i++) {
      const b = key(i);
      const bucket = t.find(murmur2(b, 0, b.length), b, 0, b.length);
      expect(t.buckets[bucket * B_STRIDE + B_ID1]! - 1).toBe(i);
      expect(t.buckets[bucket * B_STRIDE + B_FIRST]).toBe(i * 3);
      expect(t.firstWindow(i)).toBe(i * 3);
    }
    expect(t.size).toBe(n);
  });

  it('findForRecord: on a table shared by stages, the first lookup answers the rest of the record; nextRecord() and growth forget it', () => {
    const find = (t: KeyTable, k: string) => { const b = enc.encode(k); return t.findForRecord(murmur2(b, 0, b.length), b, 0, b.length); };
    const own = new KeyTable(16);
    // Not shared: every call is a lookup of its own key.
    expect(find(own, 'a')).not.toBe(find(own, 'b'));
    const t = new KeyTable(16);
    t.sharedByStages = true;
    const a = find(t, 'a');
    // The same record: its key is not looked at again (stages pass the same key; a different one proves the bucket is remembered).
    expect(find(t, 'b')).toBe(a);
    expect(t.size).toBe(1);
    t.nextRecord();
    const b = find(t, 'b');
    expect(b).not.toBe(a);
    expect(t.buckets[b * B_STRIDE + B_ID1]! - 1).toBe(1);
    // A record whose key grows the table: the remembered bucket is where the key is after the growth.
    for (let i = 0; i < 40; i++) { t.nextRecord(); find(t, `k${i}`); }
    t.nextRecord();
    const x = enc.encode('x');
    const bx = t.findForRecord(murmur2(x, 0, x.length), x, 0, x.length);
    expect(t.find(murmur2(x, 0, x.length), x, 0, x.length)).toBe(bx);
    expect(find(t, 'x')).toBe(bx);
  });
});
