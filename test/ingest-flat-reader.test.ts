import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FlatInput } from '../dist/src/codec/flat-input.js';
import { RecordBatchReader } from '../dist/src/server/record-batch-reader.js';
import { recordBatch, type FlatRecord } from './helpers/flat-batch.js';

// The ingest fast path (RecordBatchReader) must agree with FlatInput, the reference:
// whatever it accepts, FlatInput accepts with the same key, time and value; whatever
// FlatInput rejects, it declines (and FlatInput then names the fault).

const optionalNumber = fc.option(fc.oneof(fc.double(), fc.constantFrom(0, -0, NaN, Infinity, 1.7e12)), { nil: undefined });
const record = fc.record({ key: fc.option(fc.string({ maxLength: 12 }), { nil: undefined }), ts: optionalNumber, value: optionalNumber });

describe('RecordBatchReader', () => {
  it('agrees with FlatInput on every record of client-built batches', () => {
    fc.assert(fc.property(fc.array(record, { maxLength: 30 }), fc.boolean(), (records: FlatRecord[], needsValue) => {
      const bytes = recordBatch(records);
      const fast = new RecordBatchReader();
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
        const fast = new RecordBatchReader();
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
});
