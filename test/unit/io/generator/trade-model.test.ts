import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mod10000, TradeModel } from '../../../../dist/src/io/generator/trade-model.js';
import { Xorshift32 } from '../../../../dist/src/io/generator/xorshift32.js';

describe('generator model', () => {
  it('mod10000 is (r >>> 0) % 10000 for every int32 (property, plus the edges)', () => {
    for (const r of [0, 1, -1, 9999, 10000, 65535, 65536, 0x7fffffff, -0x80000000, -10000]) expect(mod10000(r)).toBe((r >>> 0) % 10000);
    fc.assert(fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (r) => mod10000(r) === (r >>> 0) % 10000), { numRuns: 20000 });
  });

  it('draws the value of docs/SEMANTICS.md: 100 + (r2 % 10000) / 100 from the second draw', () => {
    const m = new TradeModel({ kind: 'trades', seed: 7, keys: 100, disorder: 10, eventsPerMs: 1000 });
    const rng = new Xorshift32(7);
    for (let i = 0; i < 1000; i++) {
      m.draw();
      rng.next();
      const r2 = rng.next();
      rng.next();
      expect(m.value).toBe(100 + (r2 % 10000) / 100);
    }
  });
});
