// Frames the main thread writes into every ring (BARRIER, REWIND, END/STOP)
// go one after the other: a second waits until the first is in every ring,
// even when the first waits for space, so every ring holds them in one order
// (a worker aligns on each; workers/barrier-aligner.ts). And holds of the
// sources nest: the first release does not end a second hold.
import { describe, expect, it } from 'vitest';
import { KIND_BARRIER, KIND_RECORD, KIND_REWIND, KIND_STOP } from '../../../dist/src/codec/frame.js';
import { WRITE_OK } from '../../../dist/src/partition/partitioned-writer.js';
import { murmur2 } from '../../../dist/src/index.js';
import { drainRing, rig } from '../../helpers/ring-frames.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('PartitionedWriter control frames into every ring', () => {
  it('a REWIND asked for while a BARRIER waits for space in a full ring follows it in every ring', async () => {
    const { rings, writer, partitioner } = rig(2, { capacity: 4096 });
    // Fill partition 1's ring.
    let k = 0;
    for (let full = false; !full; k++) {
      const key = `k${k}`;
      if (partitioner.partitionOf(hashOf(key)) !== 1) continue;
      const r = writer.writeRecord(key, 1000 + k, 1, 0);
      full = r === 1;
      if (!full) expect(r).toBe(WRITE_OK);
    }
    const barrier = writer.writeBarrierAll(7);
    const rewind = writer.writeRewindAll(3);
    const stop = writer.end(false);
    await tick();
    expect(drainRing(rings[0]!, 0).map((f) => f.kind)).toEqual([KIND_BARRIER]); // the rewind waits behind the barrier
    expect(drainRing(rings[1]!, 1).every((f) => f.kind === KIND_RECORD)).toBe(true); // frees the ring
    writer.wakeWaiters();
    await Promise.all([barrier, rewind, stop]);
    expect(drainRing(rings[0]!, 0).map((f) => [f.kind, f.time])).toEqual([[KIND_REWIND, 3], [KIND_STOP, Infinity]]);
    expect(drainRing(rings[1]!, 1).map((f) => [f.kind, f.time])).toEqual([[KIND_BARRIER, 7], [KIND_REWIND, 3], [KIND_STOP, Infinity]]);
  });

  it('holds nest: sources write again only after the last release', () => {
    const { writer } = rig(2);
    writer.hold();
    writer.hold();
    expect(writer.writeRecord('a', 1, 1, 0)).toBeGreaterThanOrEqual(0); // held: reported as a full partition
    writer.release();
    expect(writer.writeRecord('a', 1, 1, 0)).toBeGreaterThanOrEqual(0);
    writer.release();
    expect(writer.writeRecord('a', 1, 1, 0)).toBe(WRITE_OK);
  });
});

function hashOf(key: string): number {
  return murmur2(new TextEncoder().encode(key));
}
