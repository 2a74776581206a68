import { describe, expect, it } from 'vitest';
import { WRITE_OK, WRITE_WRONG_PARTITION } from '../../../dist/src/partition/partitioned-writer.js';
import { murmur2, toPositive } from '../../../dist/src/partition/murmur2.js';
import { drainAll, rig } from '../../helpers/ring-frames.js';

const T0 = 1_700_000_000_000;
const enc = new TextEncoder();

describe('PartitionedWriter.inputPartition (--changelog: a Kafka partition\'s records stay in its ring)', () => {
  it('a key that Kafka\'s partitioner puts elsewhere is refused with wrong-partition and its detail; the rest are written', () => {
    const { writer, rings } = rig(4, { keyGroups: 128 });
    const partitionOf = (k: string) => toPositive(murmur2(enc.encode(k))) % 128 % 4;
    const keys = Array.from({ length: 40 }, (_, i) => `K${i}`);
    let written = 0;
    for (const k of keys) {
      writer.inputPartition = 2;
      const r = writer.writeRecord(k, T0, 1, T0);
      if (partitionOf(k) === 2) {
        expect(r).toBe(WRITE_OK);
        written++;
      } else {
        expect(r).toBe(WRITE_WRONG_PARTITION);
        const why = writer.rejection(r)!;
        expect(why.fault).toBe('wrong-partition');
        expect(why.detail).toContain(`belongs to partition ${partitionOf(k)}`);
        expect(why.detail).toContain('not to partition 2');
      }
      const bytes = enc.encode(k);
      writer.io[0] = T0; writer.io[1] = 1; writer.io[2] = T0;
      expect(writer.writeKeyBytes(bytes, 0, bytes.length)).toBe(partitionOf(k) === 2 ? WRITE_OK : WRITE_WRONG_PARTITION);
    }
    expect(written).toBeGreaterThan(3);
    expect(written).toBeLessThan(keys.length);
    writer.inputPartition = -1;
    for (const k of keys) expect(writer.writeRecord(k, T0, 1, T0)).toBe(WRITE_OK);
    writer.publishAll();
    const frames = drainAll(rings);
    const inRing = (p: number) => frames.filter((f) => f.partition === p).length;
    // Partition 2: each of its keys written three times (writeRecord and writeKeyBytes under the check, writeRecord after it).
    expect(inRing(2)).toBe(written * 3);
    for (const p of [0, 1, 3]) expect(inRing(p)).toBe(keys.filter((k) => partitionOf(k) === p).length);
  });
});
