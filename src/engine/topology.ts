import type { ResolvedOptions } from '../options.js';
import { Doorbell } from '../ring/doorbell.js';
import { RingBuffer } from '../ring/ring-buffer.js';
import { Partitioner } from '../partition/partitioner.js';
import { PartitionedWriter } from '../partition/partitioned-writer.js';
import type { Counters } from '../metrics/counters.js';

/** The shared memory of a run, and the main thread's writer into it. */
export interface Topology {
  partitioner: Partitioner;
  /** One per worker: rung when its rings get data or its out-ring gets space. */
  workerBells: Doorbell[];
  /** One per partition: written by the main thread, read by the partition's worker. */
  rings: RingBuffer[];
  /** One per worker: its results, read by the main thread's out-drain. */
  outRings: RingBuffer[];
  writer: PartitionedWriter;
}

/** `mainBell` wakes the main thread: space in a ring, data in an out-ring. */
export function createTopology(o: ResolvedOptions, counters: Counters, mainBell: Doorbell): Topology {
  const partitioner = new Partitioner(o.keyGroups, o.partitions, o.workers, o.changelog !== undefined ? 'blocks' : 'modulo');
  const workerBells = Array.from({ length: o.workers }, () => Doorbell.create());
  const rings = Array.from({ length: o.partitions },
    (_, p) => RingBuffer.create(o.ringSize, workerBells[partitioner.workerOfPartition(p)]!, mainBell));
  const outRings = workerBells.map((wb) => RingBuffer.create(o.outRingSize, mainBell, wb));
  const writer = new PartitionedWriter(rings, partitioner, counters, o.maxBatch, o.maxFutureSkew > 0 ? o.maxFutureSkew : Infinity);
  return { partitioner, workerBells, rings, outRings, writer };
}
