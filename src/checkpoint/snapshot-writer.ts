// A worker's side of the checkpoint files: where the state its operators
// snapshot at BARRIER(id) goes, and the handles through which they restore.
// Operators never touch files themselves (they produce and take bytes).
import { join } from 'node:path';
import { writeFileDurably } from './durable-file.js';
import { checkpointPath } from './manifest.js';
import { readSnapshotBytes } from './snapshot.js';
import type { StateHandle } from '../operators/operator.js';

export class SnapshotWriter {
  constructor(private readonly checkpointDir: string, private readonly worker: number) {}

  /** The file of checkpoint `id` for this worker: checkpointPath(dir, id)/worker-<worker>.snap, written durably. */
  write(id: number, bytes: Uint8Array): void {
    writeFileDurably(join(checkpointPath(this.checkpointDir, id), `worker-${this.worker}.snap`), bytes);
  }
}

/** Handles on the snapshot files of the checkpoint to restore; each is read when the operator asks. */
export function stateFiles(paths: readonly string[]): StateHandle[] {
  return paths.map((where) => ({ where, read: () => readSnapshotBytes(where) }));
}
