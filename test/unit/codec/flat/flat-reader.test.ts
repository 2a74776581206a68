import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FlatInput } from '../../../../dist/src/codec/flat/flat-input.js';
import { FlatReader } from '../../../../dist/src/codec/flat/flat-reader.js';
import { recordBatch, singleRecord, type FlatRecord } from '../../../helpers/flat-batch.js';

// The ingest fast path (FlatReader) must agree with FlatInput, the reference:
// whatever it accepts, FlatInput accepts with the same key, time and value; whatever
// FlatInput rejects, it declines (and FlatInput then names the fault).

const optionalNumber = fc.option(fc.oneof(fc.double(), fc.constantFrom(0, -0, NaN, Infinity, 1.7e12)), { nil: undefined });
const record = fc.record({ key: fc.option(fc.string({ maxLength: 12 }), { nil: undefined }), ts: optionalNumber, value: optionalNumber });

describe('FlatReader', () => {
  it('agrees with FlatInput on every record of client-built batches', () => {
    fc.assert(fc.property(fc.array(record, { maxLength: 30 }), fc.boolean(), (records: FlatRecord[], needsValue) => {
      const bytes = recordBatch(records);
      const fast = new FlatReader();
      const flat = new FlatInput();
      const n = flat.openBatch(bytes);
      expect(fast.open(bytes)).toBe(n);
      for (let i = 0; i < n; i++) {
        const ok = flat.batchRecord(i, needsValue);
        if (fast.read(i)) {
          expect(ok).toBe(true);
          expect(Buffer.from(fast.bytes.subarray(fast.keyStart, fast.keyStart + fast.keyLength)))
            .toEqual(Buffer.from(flat.bytes.subarray(flat.keyStart, flat.keyStart + flat.keyLength)));
          expect([fast.eventTime, fast.value]).toEqual([flat.eventTime, flat.value]);
        } else {
          const r = records[i]!;
          const complete = r.key !== undefined && Number.isFinite(r.ts) && Number.isFinite(r.value);
          expect(complete).toBe(false);
        }
      }
    }), { numRuns: 300 });
  });

  it('never throws and never reads out of bounds on damaged or random bytes', () => {
    const base = recordBatch([{ key: 'abc', ts: 1, value: 2 }, { key: 'de', ts: 3, value: 4 }]);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      (random, flips) => {
        const fast = new FlatReader();
        for (const bytes of [random, (() => { const b = base.slice(); for (const [at, v] of flips) b[at % b.length] = v; return b; })()]) {
          const n = fast.open(bytes);
          for (let i = 0; i < Math.max(0, Math.min(n, 64)); i++) {
            if (fast.read(i)) {
              expect(fast.keyStart + fast.keyLength).toBeLessThanOrEqual(bytes.length);
              expect(Number.isFinite(fast.eventTime) && Number.isFinite(fast.value)).toBe(true);
            }
          }
        }
      }), { numRuns: 500 });
  });

  it('reads single records (Kafka values) like FlatInput, also when they share one buffer at any offset, as slices or in place', () => {
    fc.assert(fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), fc.nat({ max: 7 }), fc.boolean(), (records: FlatRecord[], pad, needsValue) => {
      // Like the values of one Kafka fetch: consecutive slices of one ArrayBuffer, at unaligned offsets.
      const parts = records.map(singleRecord);
      const whole = new Uint8Array(pad + parts.reduce((n, p) => n + p.length + pad, 0));
      const slices: Uint8Array[] = [];
      const starts: number[] = [];
      let at = pad;
      for (const p of parts) {
        whole.set(p, at);
        slices.push(whole.subarray(at, at + p.length));
        starts.push(at);
        at += p.length + pad;
      }
      const inPlace = new FlatReader();
      const fast = new FlatReader();
      const flat = new FlatInput();
      slices.forEach((bytes, i) => {
        const ok = flat.single(bytes, needsValue);
        const r = records[i]!;
        const complete = r.key !== undefined && Number.isFinite(r.ts) && Number.isFinite(r.value);
        expect(fast.single(bytes)).toBe(complete);
        if (!complete) return;
        expect(ok).toBe(true);
        expect(Buffer.from(fast.bytes.subarray(fast.keyStart, fast.keyStart + fast.keyLength)).toString('utf8')).toBe(r.key);
        expect(Buffer.from(fast.bytes.subarray(fast.keyStart, fast.keyStart + fast.keyLength)))
          .toEqual(Buffer.from(flat.bytes.subarray(flat.keyStart, flat.keyStart + flat.keyLength)));
        expect([fast.eventTime, fast.value]).toEqual([flat.eventTime, flat.value]);
        expect([fast.eventTime, fast.value]).toEqual([r.ts, r.value]);
        // In place (Sabre's Kafka decoder hands the fetch's bytes and the value's range): the same record, its key located in `whole`.
        const s0 = starts[i]!;
        expect(inPlace.single(whole, s0, s0 + bytes.length)).toBe(true);
        expect(inPlace.bytes).toBe(whole);
        expect(Buffer.from(whole.subarray(inPlace.keyStart, inPlace.keyStart + inPlace.keyLength)).toString('utf8')).toBe(r.key);
        expect([inPlace.eventTime, inPlace.value]).toEqual([r.ts, r.value]);
      });
    }), { numRuns: 300 });
  });

  it('declines truncated or random single records without throwing', () => {
    const good = singleRecord({ key: 'abc', ts: 1, value: 2 });
    const fast = new FlatReader();
    const flat = new FlatInput();
    let accepted = 0;
    for (let n = 0; n <= good.length; n++) {
      const bytes = good.subarray(0, n);
      if (!fast.single(bytes)) continue;
      // Only the string's terminator and padding may be cut off: what is read is still all there.
      accepted++;
      expect(fast.keyStart + fast.keyLength).toBeLessThanOrEqual(n);
      expect(flat.single(bytes, true)).toBe(true);
      expect([fast.eventTime, fast.value, fast.keyLength]).toEqual([1, 2, 3]);
    }
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(accepted).toBeLessThanOrEqual(good.length - (fast.keyStart + 3) + 1);
    // The same cuts as a range of a larger buffer (bytes after the range are valid record bytes): the range's end is the end.
    const big = new Uint8Array(5 + good.length * 2);
    big.set(good, 5);
    big.set(good, 5 + good.length);
    const inPlace = new FlatReader();
    for (let n = 0; n <= good.length; n++) {
      expect(inPlace.single(big, 5, 5 + n)).toBe(fast.single(good.subarray(0, n)));
      if (inPlace.single(big, 5, 5 + n)) expect(inPlace.keyStart + inPlace.keyLength).toBeLessThanOrEqual(5 + n);
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
      if (fast.single(bytes)) {
        expect(fast.keyStart + fast.keyLength).toBeLessThanOrEqual(bytes.length);
        expect(Number.isFinite(fast.eventTime) && Number.isFinite(fast.value)).toBe(true);
      }
    }), { numRuns: 500 });
  });
});
