// A worker's side of the checkpoint files: where the state its operators
// snapshot at BARRIER(id) goes. Operators never touch files themselves:
// they produce bytes, and restore from handles (readSnapshotBytes, snapshot.ts).
import { join } from 'node:path';
import { writeFileDurably } from './durable-file.js';
import { checkpointPath } from './manifest.js';

/**
 * A checkpoint's snapshot file: one per worker, or with --changelog one per
 * partition (each partition's state is a Kafka partition's, written to the
 * changelog on its own). Both kinds restore alike: every worker reads every
 * file and keeps the key groups it owns.
 */
export function snapshotFileName(owner: { worker: number } | { partition: number }): string {
  return 'worker' in owner ? `worker-${owner.worker}.snap` : `partition-${owner.partition}.snap`;
}

export class SnapshotWriter {
  constructor(private readonly checkpointDir: string, private readonly worker: number) {}

  /** The file of checkpoint `id` for this worker (or for one of its partitions), written durably. */
  write(id: number, bytes: Uint8Array, partition?: number): void {
    const name = snapshotFileName(partition === undefined ? { worker: this.worker } : { partition });
    writeFileDurably(join(checkpointPath(this.checkpointDir, id), name), bytes);
  }
}
