import { toPositive } from './murmur2.js';

/**
 * key hash → key group → partition → worker. Key groups are fixed for a job's
 * life (state is organised by them), partitions and workers are independent
 * of each other: worker w owns every partition p with p % W == w.
 */
export class Partitioner {
  /** partition of each key group: a table, so the hot path does one modulo. */
  private readonly groupToPartition: Int32Array;

  constructor(readonly keyGroups: number, readonly partitions: number, readonly workers: number) {
    this.groupToPartition = new Int32Array(keyGroups);
    for (let g = 0; g < keyGroups; g++) this.groupToPartition[g] = g % partitions;
  }

  keyGroupOf(hash: number): number {
    return toPositive(hash) % this.keyGroups;
  }

  partitionOf(hash: number): number {
    return this.groupToPartition[toPositive(hash) % this.keyGroups]!;
  }

  workerOfPartition(p: number): number {
    return p % this.workers;
  }

  partitionsOfWorker(w: number): number[] {
    const out: number[] = [];
    for (let p = w; p < this.partitions; p += this.workers) out.push(p);
    return out;
  }
}
