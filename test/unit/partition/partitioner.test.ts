import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { murmur2, toPositive, Partitioner } from '../../../dist/src/index.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('partitioner', () => {
  it('murmur2 matches Kafka\'s Utils.murmur2 test vectors', () => {
    // From Kafka's UtilsTest.testMurmur2.
    const cases: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [s, h] of cases) expect(murmur2(bytes(s))).toBe(h);
  });

  it('hashes a sub-range the same as a copy of it', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(8), fc.nat(8), (data, a, b) => {
      const start = Math.min(a, data.length);
      const end = Math.max(start, data.length - b);
      expect(murmur2(data, start, end - start)).toBe(murmur2(data.slice(start, end)));
    }));
  });

  it('maps key groups to partitions and partitions to workers independently', () => {
    const p = new Partitioner(128, 16, 3);
    for (let g = 0; g < 128; g++) expect(p.partitionOf(g)).toBe(g % 16);
    expect(p.partitionsOfWorker(0)).toEqual([0, 3, 6, 9, 12, 15]);
    const all = [0, 1, 2].flatMap((w) => p.partitionsOfWorker(w)).sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 16 }, (_, i) => i));
    fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (h) => {
      expect(p.keyGroupOf(h)).toBe(toPositive(h) % 128);
      expect(p.partitionOf(h)).toBe(p.keyGroupOf(h) % 16);
    }));
  });
});

describe('Partitioner worker spread (--changelog deals blocks)', () => {
  it('blocks: contiguous, every partition owned once, and a round-robin member\'s partitions reach every worker', () => {
    const p = new Partitioner(132, 12, 2, 'blocks');
    expect(p.partitionsOfWorker(0)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(p.partitionsOfWorker(1)).toEqual([6, 7, 8, 9, 10, 11]);
    for (const [P, W] of [[12, 2], [12, 5], [7, 3], [4, 4], [3, 8]] as const) {
      const q = new Partitioner(P * 11, P, W, 'blocks');
      const owned = Array.from({ length: W }, (_, w) => q.partitionsOfWorker(w)).flat().sort((a, b) => a - b);
      expect(owned).toEqual(Array.from({ length: P }, (_, i) => i));
      for (let x = 0; x < P; x++) expect(q.partitionsOfWorker(q.workerOfPartition(x))).toContain(x);
    }
    // Two members of a group (round robin: even and odd partitions), two workers each: both workers of each member get records.
    for (const member of [0, 1]) {
      const mine = Array.from({ length: 12 }, (_, i) => i).filter((i) => i % 2 === member);
      expect(new Set(mine.map((i) => p.workerOfPartition(i))).size).toBe(2);
      expect(new Set(mine.map((i) => new Partitioner(132, 12, 2).workerOfPartition(i))).size).toBe(1); // what modulo would do
    }
  });
});
