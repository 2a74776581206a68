// PaneUnion: the size of the union of a window's own set and its later
// windows' sets, counted again and again with one map that is never
// cleared between counts (a stamp per count).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PaneUnion } from '../../../../dist/src/operators/pipeline/pane-union.js';
import type { Acc } from '../../../../dist/src/operators/pipeline/aggregate-set.js';

const accOf = (values: unknown[]): Acc => ({ f: new Float64Array(0), o: [undefined, new Set(values)] });
const value = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom('a', 'b', '1', NaN, 0, -0, true, null), fc.double());

describe('PaneUnion', () => {
  it('counts |own ∪ later sets| as a Set would (SameValueZero: NaN once, -0 as 0), count after count (property)', () => {
    const union = new PaneUnion();
    fc.assert(fc.property(fc.array(fc.array(value, { maxLength: 12 }), { minLength: 1, maxLength: 7 }), (sets) => {
      const [own, ...rest] = sets.map(accOf);
      const later = [...rest, accOf(['never counted'])]; // past n: ignored
      expect(union.count(own!.o[1] as Set<unknown>, later, rest.length, 1)).toBe(new Set(sets.flat()).size);
    }), { numRuns: 300 });
  });

  it('starts over past its bound and still counts exactly', () => {
    const union = new PaneUnion();
    const big = Array.from({ length: 70_000 }, (_, i) => i);
    expect(union.count(new Set(big), [accOf([1, -1])], 1, 1)).toBe(70_001);
    expect(union.count(new Set([1, 2]), [accOf([2, 3])], 1, 1)).toBe(3);
    expect(union.count(new Set(), [], 0, 1)).toBe(0);
  });
});
