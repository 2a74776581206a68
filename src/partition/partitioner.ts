import { toPositive } from './murmur2.js';

/**
 * How partitions are dealt to workers. `modulo`: worker w owns every p with
 * p % W == w. `blocks`: worker w owns a contiguous block, p * W / P rounded
 * down == w — under --changelog, where a member owns the Kafka partitions
 * the group's round-robin assignor gives it (m, m + M, m + 2M, …) and
 * `modulo` would leave some of its workers idle whenever M and W share a
 * factor (two members of two workers: each would use one).
 */
export type WorkerSpread = 'modulo' | 'blocks';

/**
 * key hash → key group → partition → worker. Key groups are fixed for a job's
 * life (state is organised by them), partitions and workers are independent
 * of each other (WorkerSpread).
 */
export class Partitioner {
  /** partition of each key group: a table, so the hot path does one modulo. */
  private readonly groupToPartition: Int32Array;

  constructor(readonly keyGroups: number, readonly partitions: number, readonly workers: number, readonly spread: WorkerSpread = 'modulo') {
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
    return this.spread === 'modulo' ? p % this.workers : Math.floor((p * this.workers) / this.partitions);
  }

  partitionsOfWorker(w: number): number[] {
    const out: number[] = [];
    for (let p = 0; p < this.partitions; p++) if (this.workerOfPartition(p) === w) out.push(p);
    return out;
  }
}
