// A worker's side of the checkpoint files: where the state its operators
// snapshot at BARRIER(id) goes. Operators never touch files themselves:
// they produce bytes, and restore from handles (readSnapshotBytes, snapshot.ts).
import { join } from 'node:path';
import { writeFileDurably } from './durable-file.js';
import { checkpointPath } from './manifest.js';

export class SnapshotWriter {
  constructor(private readonly checkpointDir: string, private readonly worker: number) {}

  /** The file of checkpoint `id` for this worker: checkpointPath(dir, id)/worker-<worker>.snap, written durably. */
  write(id: number, bytes: Uint8Array): void {
    writeFileDurably(join(checkpointPath(this.checkpointDir, id), `worker-${this.worker}.snap`), bytes);
  }
}
